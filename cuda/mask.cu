// The mask ops on CUDA: masked_fill (elementwise on raw element bytes, the value passed by value),
// counting a mask, masked_select and nonzero, the last three by stream compaction in row-major order
// (cuda/compact.cuh): all on the device, the host reading only the output's size.
#include <cstring>

#include "cuda/compact.cuh"
#include "cuda/elementwise.cuh"
#include "cuda/kernels.h"
#include "ops/elementwise_functors.h"
#include "ops/ops.h"
#include "ops/select_stubs.h"

namespace pe::cuda {
namespace {

template <class T>
struct MaskedFillFunctor {
  T v;
  PE_HOST_DEVICE T operator()(T x, bool m) const { return m ? v : x; }
};

template <class T>
void masked_fill_bytes(const TensorIter& iter, const Tensor& value) {
  T v;
  std::memcpy(&v, value.raw_data(), sizeof(T));
  launch_elementwise<T, T, bool>(iter, MaskedFillFunctor<T>{v});
}

struct MaskPred {
  const char* mask;  // bool, offsets o0 of the geometry
  RowMajor2 g;
  __device__ bool operator()(int64_t i) const {
    int64_t o0, o1;
    g.offsets(i, o0, o1);
    return *reinterpret_cast<const bool*>(mask + o0);
  }
};

template <class T>
struct NonzeroPred {
  const char* data;
  RowMajor2 g;
  __device__ bool operator()(int64_t i) const {
    int64_t o0, o1;
    g.offsets(i, o0, o1);
    const T v = *reinterpret_cast<const T*>(data + o0);
    if constexpr (is_float_v<T>) return static_cast<opmath_t<T>>(v) != opmath_t<T>(0);  // NaN counts, -0 not
    else return v != T(0);
  }
};

// Row k of the (count, nd) int64 output = the coordinates of element i.
struct CoordWrite {
  int64_t* out;
  RowMajor2 g;
  __device__ void operator()(int64_t i, int64_t k) const {
    for (int d = g.nd - 1; d >= 0; --d) {
      out[k * g.nd + d] = i % g.sizes[d];
      i /= g.sizes[d];
    }
  }
};

// out[k] = self's element i (offsets o1 of the geometry).
template <class T>
struct SelectWrite {
  const char* self;
  char* out;
  int64_t ostride;  // bytes
  RowMajor2 g;
  __device__ void operator()(int64_t i, int64_t k) const {
    int64_t o0, o1;
    g.offsets(i, o0, o1);
    *reinterpret_cast<T*>(out + k * ostride) = *reinterpret_cast<const T*>(self + o1);
  }
};

// (nb + 1) int64 on the current device: exclusive offsets of the passing elements per chunk, then
// the total.
template <class P>
Tensor count_and_scan(const P& pred, int64_t n, Device dev) {
  const int64_t nb = (n + kChunk - 1) / kChunk;
  Tensor counts = make_empty({nb + 1}, DType::Int64, dev);
  int64_t* c = counts.data_ptr<int64_t>();
  launch_kernel(count_kernel<P>, (unsigned)nb, kBlockSize, 0, current_stream(), pred, n, c);
  launch_kernel(block_counts_scan_kernel, 1, kBlockSize, 0, current_stream(), c, nb);
  return counts;
}

// The one device-to-host read: the number of passing elements.
int64_t total_of(const Tensor& counts) { return item(select(counts, 0, counts.numel() - 1)).to_int64(); }

template <class T>
void masked_select_bytes(const Tensor& out, const Tensor& self, const Tensor& mask) {
  const int64_t n = mask.numel();
  const MaskPred p{static_cast<const char*>(mask.raw_data()), make_row_major2(mask, self)};
  Tensor counts = count_and_scan(p, n, mask.device());
  const SelectWrite<T> w{static_cast<const char*>(self.raw_data()), static_cast<char*>(out.raw_data()),
                         (out.dim() == 0 ? 0 : out.strides()[0]) * (int64_t)sizeof(T), p.g};
  const int64_t nb = counts.numel() - 1;
  launch_kernel(compact_kernel<MaskPred, SelectWrite<T>>, (unsigned)nb, kBlockSize, 0, current_stream(), p, w, n,
                counts.data_ptr<int64_t>());
}

}  // namespace

void masked_fill_kernel(const TensorIter& iter, const Tensor& value) {
  PE_CHECK(value.device().is_cpu(), "masked_fill: the fill value must be a CPU scalar (it is passed by value)");
  switch (element_size(iter.dtype(0))) {
    case 1: return masked_fill_bytes<uint8_t>(iter, value);
    case 2: return masked_fill_bytes<uint16_t>(iter, value);
    case 4: return masked_fill_bytes<uint32_t>(iter, value);
    default: return masked_fill_bytes<uint64_t>(iter, value);
  }
}

int64_t count_true_kernel(const Tensor& mask) {
  const int64_t n = mask.numel();
  if (n == 0) return 0;
  DeviceGuard guard(mask.device().index);
  const MaskPred p{static_cast<const char*>(mask.raw_data()), make_row_major2(mask, Tensor())};
  return total_of(count_and_scan(p, n, mask.device()));
}

void masked_select_kernel(const Tensor& out, const Tensor& self, const Tensor& mask) {
  if (mask.numel() == 0 || out.numel() == 0) return;
  DeviceGuard guard(mask.device().index);
  switch (element_size(self.dtype())) {
    case 1: return masked_select_bytes<uint8_t>(out, self, mask);
    case 2: return masked_select_bytes<uint16_t>(out, self, mask);
    case 4: return masked_select_bytes<uint32_t>(out, self, mask);
    default: return masked_select_bytes<uint64_t>(out, self, mask);
  }
}

Tensor nonzero_kernel(const Tensor& t) {
  const int64_t n = t.numel(), nd = t.dim();
  if (n == 0) return make_empty({0, nd}, DType::Int64, t.device());
  DeviceGuard guard(t.device().index);
  const RowMajor2 g = make_row_major2(t, Tensor());
  return PE_DISPATCH_ALL_TYPES(t.dtype(), "nonzero", [&]() -> Tensor {
    const NonzeroPred<scalar_t> p{static_cast<const char*>(t.raw_data()), g};
    Tensor counts = count_and_scan(p, n, t.device());
    const int64_t total = total_of(counts);
    Tensor out = make_empty({total, nd}, DType::Int64, t.device());
    if (total > 0 && nd > 0) {
      const int64_t nb = counts.numel() - 1;
      launch_kernel(compact_kernel<NonzeroPred<scalar_t>, CoordWrite>, (unsigned)nb, kBlockSize, 0, current_stream(),
                    p, CoordWrite{out.data_ptr<int64_t>(), g}, n, counts.data_ptr<int64_t>());
    }
    return out;
  });
}

}  // namespace pe::cuda
