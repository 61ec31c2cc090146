// Advanced indexing on CUDA (index_stub, index_put_stub; Note [Advanced indexing] in
// ops/indexing.cpp). Both run over TensorIter({out or restrided dst}, {src or value, offsets}) where
// operand 2 holds int64 byte offsets that must live on the same GPU as the data. Gathers and plain
// scatters move raw elements, so they dispatch on the element size (1/2/4/8 bytes), not the dtype.
// index_put with accumulate must let duplicate indices all land: atomicAdd where the hardware has
// one for the dtype (float, double, int32, int64), else the same loop in one thread, which is slow
// but serial like the CPU kernel. Also the pieces ops/indexing.cpp builds them from: bounds, byte
// offsets (bounds checked on the device, Note [Device asserts]).
#include <limits>

#include "core/determinism.h"
#include "cuda/device_assert.cuh"
#include "cuda/kernels.h"
#include "cuda/launch.cuh"
#include "cuda/loop.cuh"
#include "ops/elementwise_functors.h"
#include "ops/ops.h"
#include "ops/stubs.h"

namespace pe::cuda {
namespace {

__device__ __forceinline__ int64_t load_offset(const char* p) { return *reinterpret_cast<const int64_t*>(p); }

// Gather (kScatter = false): d0[i] = *(d1 + d1_off[i] + offsets[i]), d0 the output, d1 the source
// restrided. Scatter (kScatter = true): *(d0 + d0_off[i] + offsets[i]) = d1[i], d0 the destination
// restrided, d1 the values; with duplicate indices one of the values wins.
template <class T, bool kScatter>
__global__ void move_kernel(char* d0, const char* d1, const char* offs, OffsetCalc<3> calc, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    int64_t off[3];
    calc.get(i, off);
    const int64_t o = load_offset(offs + off[2]);
    if constexpr (kScatter) {
      *reinterpret_cast<T*>(d0 + off[0] + o) = *reinterpret_cast<const T*>(d1 + off[1]);
    } else {
      *reinterpret_cast<T*>(d0 + off[0]) = *reinterpret_cast<const T*>(d1 + off[1] + o);
    }
  }
}

template <class T>
constexpr bool has_atomic_add_v = std::is_same_v<T, float> || std::is_same_v<T, double> ||
                                  std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>;

// *(dst + ...) += value[i]. Launched on the whole grid when has_atomic_add_v<T>, else on one thread.
template <class T>
__global__ void accumulate_kernel(char* dst, const char* value, const char* offs, OffsetCalc<3> calc, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    int64_t off[3];
    calc.get(i, off);
    T* p = reinterpret_cast<T*>(dst + off[0] + load_offset(offs + off[2]));
    const T v = *reinterpret_cast<const T*>(value + off[1]);
    if constexpr (std::is_same_v<T, int64_t>) {
      // Two's-complement addition is the same on the unsigned type.
      atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
    } else if constexpr (has_atomic_add_v<T>) {
      atomicAdd(p, v);
    } else {
      *p = BinaryMathFunctor<T, BinaryMathOp::Add>()(*p, v);
    }
  }
}

template <bool kScatter>
void launch_move(const TensorIter& iter) {
  const int64_t n = iter.numel();
  char* d0 = iter.data(0);
  const char* d1 = iter.data(1);
  const char* d2 = iter.data(2);
  const OffsetCalc<3> calc = make_offset_calc<3>(iter);
  switch (element_size(iter.dtype(0))) {
    case 1: launch_kernel(move_kernel<uint8_t, kScatter>, grid_size(n), kBlockSize, 0, current_stream(), d0, d1, d2, calc, n); break;
    case 2: launch_kernel(move_kernel<uint16_t, kScatter>, grid_size(n), kBlockSize, 0, current_stream(), d0, d1, d2, calc, n); break;
    case 4: launch_kernel(move_kernel<uint32_t, kScatter>, grid_size(n), kBlockSize, 0, current_stream(), d0, d1, d2, calc, n); break;
    default: launch_kernel(move_kernel<uint64_t, kScatter>, grid_size(n), kBlockSize, 0, current_stream(), d0, d1, d2, calc, n); break;
  }
}

// Checks shared by both entry points; returns the device to guard.
int prepare(const TensorIter& iter, const char* name) {
  PE_CHECK(iter.ntensors() == 3, name, ": expected 3 operands, got ", iter.ntensors());
  PE_CHECK(iter.dtype(2) == DType::Int64, name, ": the offsets must be int64, got ", dtype_name(iter.dtype(2)));
  PE_CHECK(iter.dtype(0) == iter.dtype(1), name, ": operands 0 and 1 must have one dtype, got ",
           dtype_name(iter.dtype(0)), " and ", dtype_name(iter.dtype(1)));
  const int dev = iter_device(iter);
  check_operands_on_device(iter, dev, name);
  return dev;
}

}  // namespace

void index_kernel(const TensorIter& iter) {
  if (iter.numel() == 0) return;
  DeviceGuard guard(prepare(iter, "index"));
  launch_move<false>(iter);
}

void index_put_kernel(const TensorIter& iter, bool accumulate) {
  if (iter.numel() == 0) return;
  DeviceGuard guard(prepare(iter, "index_put_"));
  if (!accumulate) {
    launch_move<true>(iter);
    return;
  }
  const int64_t n = iter.numel();
  const OffsetCalc<3> calc = make_offset_calc<3>(iter);
  PE_DISPATCH_ALL_TYPES(iter.dtype(0), "index_put_", [&] {
    // Float atomics add in an order that varies between runs: with deterministic algorithms requested,
    // one thread adds in index order instead (the CPU kernel's order and bits). Integer sums are exact in
    // any order.
    const bool parallel = has_atomic_add_v<scalar_t> &&
                          !(std::is_floating_point_v<scalar_t> && DeterministicAlgorithms::enabled());
    const unsigned grid = parallel ? grid_size(n) : 1;
    const unsigned block = parallel ? kBlockSize : 1;
    launch_kernel(accumulate_kernel<scalar_t>, grid, block, 0, current_stream(), iter.data(0), iter.data(1), iter.data(2), calc, n);
  });
}

namespace {

// *first = the smallest position i with index[i] outside [lo, size).
__global__ void bounds_kernel(const int64_t* index, int64_t n, int64_t lo, int64_t size,
                              unsigned long long* first) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    if (index[i] < lo || index[i] >= size) atomicMin(first, static_cast<unsigned long long>(i));
}

// An index outside [-size, size) is reported (Note [Device asserts]) and replaced by 0, so the gather
// or scatter that uses the offsets stays inside the tensor.
__global__ void offsets_kernel(char* out, const char* offs, const char* index, OffsetCalc<3> calc, int64_t n,
                               int64_t size, int64_t stride, DeviceAssertSlot* slot) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    int64_t off[3];
    calc.get(i, off);
    int64_t x = load_offset(index + off[2]);
    if (x < -size || x >= size) {
      report_index_out_of_bounds(slot, AssertKind::Index, x, size, -1);
      x = 0;
    }
    *reinterpret_cast<int64_t*>(out + off[0]) = load_offset(offs + off[1]) + (x < 0 ? x + size : x) * stride;
  }
}

}  // namespace

std::optional<int64_t> index_bounds_kernel(const Tensor& index, int64_t size, bool allow_negative) {
  const int64_t n = index.numel();
  if (n == 0) return std::nullopt;
  DeviceGuard guard(index.device().index);
  constexpr unsigned long long kNone = std::numeric_limits<unsigned long long>::max();
  Tensor first = full({}, Scalar(int64_t(-1)), TensorOptions{DType::Int64, index.device()});  // all ones: kNone
  launch_kernel(bounds_kernel, grid_size(n), kBlockSize, 0, current_stream(), index.data_ptr<int64_t>(), n,
                allow_negative ? -size : 0, size, reinterpret_cast<unsigned long long*>(first.raw_data()));
  const auto at = static_cast<unsigned long long>(item(first).to_int64());
  if (at == kNone) return std::nullopt;
  return item(select(view(index, {n}), 0, static_cast<int64_t>(at))).to_int64();  // contiguous
}

void index_offsets_kernel(const TensorIter& iter, int64_t size, int64_t stride) {
  const int64_t n = iter.numel();
  if (n == 0) return;
  DeviceGuard guard(iter_device(iter));
  launch_kernel(offsets_kernel, grid_size(n), kBlockSize, 0, current_stream(), iter.data(0), iter.data(1), iter.data(2),
                make_offset_calc<3>(iter), n, size, stride, device_assert_slot());
}

}  // namespace pe::cuda
