// gather/scatter and the index_* family on CUDA (scatter_gather_stub, Note [Scatter/gather geometry]
// in ops/select_stubs.h), and scatter_reduce(mean)'s division (mean_div_stub).
//
// Gathers write distinct places: one GPU thread per position of `index`. Every write into x (assign,
// fill, add, multiply, max/min) may repeat an index, but only within one row along `dim` (positions
// that differ elsewhere reach different rows of x), so one thread walks each row in order: no
// atomics, and duplicates land in the CPU kernel's order, so both devices give the same bits (float
// sums included) and the last duplicate wins an assignment as on the CPU. Every index is checked on
// the device (Note [Device asserts]): the op layer skips its host check on CUDA, which would sync.
#include <cstring>

#include "cuda/device_assert.cuh"
#include "cuda/elementwise.cuh"
#include "cuda/kernels.h"
#include "ops/elementwise_functors.h"
#include "ops/select_stubs.h"

namespace pe::cuda {
namespace {

struct ScatterGeom {
  int nd = 1, dim = 0;
  int64_t sizes[kMaxDims] = {};                       // index's sizes
  int64_t xs[kMaxDims] = {}, is[kMaxDims] = {}, ys[kMaxDims] = {};  // byte strides of x, index, y
  int64_t x_size = 1;                                 // x's size along dim
  int64_t rows = 1, n = 1;                            // positions of the other dims; length along dim
  bool wrap = false;
};

int64_t byte_stride(const Tensor& t, int64_t d) { return t.dim() == 0 ? 0 : t.strides()[d] * t->itemsize(); }

ScatterGeom make_geom(const Tensor& x, const Tensor& index, const Tensor& y, int64_t dim, bool wrap) {
  ScatterGeom g;
  PE_CHECK(index.dim() <= kMaxDims, "scatter/gather: CUDA kernels support at most ", kMaxDims, " dims, got ",
           index.dim());
  g.nd = index.dim() == 0 ? 1 : (int)index.dim();
  g.dim = (int)dim;
  for (int d = 0; d < g.nd; ++d) {
    g.sizes[d] = index.dim() == 0 ? 1 : index.sizes()[d];
    g.xs[d] = byte_stride(x, d);
    g.is[d] = byte_stride(index, d);
    g.ys[d] = y.defined() ? byte_stride(y, d) : 0;
    if (d == dim) g.n = g.sizes[d];
    else g.rows *= g.sizes[d];
  }
  g.x_size = x.dim() == 0 ? 1 : x.sizes()[dim];
  g.wrap = wrap;
  return g;
}

// f(x element, y element) at every position of index; kPerRow: one thread per row along dim.
template <bool kPerRow, class F>
__global__ void scatter_gather_walk_kernel(char* x, const char* idx, char* y, ScatterGeom g, DeviceAssertSlot* slot, F f) {
  const int64_t total = kPerRow ? g.rows : g.rows * g.n;
  for (int64_t w = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; w < total; w += (int64_t)gridDim.x * blockDim.x) {
    int64_t r = kPerRow ? w : w / g.n;
    const int64_t j0 = kPerRow ? 0 : w % g.n, j1 = kPerRow ? g.n : j0 + 1;
    int64_t xo = 0, io = 0, yo = 0;
    for (int d = g.nd - 1; d >= 0; --d) {
      if (d == g.dim) continue;
      const int64_t c = r % g.sizes[d];
      r /= g.sizes[d];
      xo += c * g.xs[d];
      io += c * g.is[d];
      yo += c * g.ys[d];
    }
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t i = *reinterpret_cast<const int64_t*>(idx + io + j * g.is[g.dim]);
      const int64_t k = g.wrap && i < 0 ? i + g.x_size : i;
      if (k < 0 || k >= g.x_size) {
        report_index_out_of_bounds(slot, AssertKind::GatherScatter, i, g.x_size, g.dim);
        continue;
      }
      f(x + xo + k * g.xs[g.dim], y + yo + j * g.ys[g.dim]);
    }
  }
}

template <class T>
struct GatherOp {
  __device__ void operator()(char* xe, char* ye) const { *reinterpret_cast<T*>(ye) = *reinterpret_cast<const T*>(xe); }
};
template <class T>
struct AssignOp {
  __device__ void operator()(char* xe, char* ye) const { *reinterpret_cast<T*>(xe) = *reinterpret_cast<const T*>(ye); }
};
template <class T>
struct FillOp {
  T v;  // the value's bytes
  __device__ void operator()(char* xe, char*) const { *reinterpret_cast<T*>(xe) = v; }
};
template <class T>
struct AddOp {
  AddAlphaFunctor<T> add;
  __device__ void operator()(char* xe, char* ye) const {
    T* d = reinterpret_cast<T*>(xe);
    *d = add(*d, *reinterpret_cast<const T*>(ye));
  }
};
template <class T>
struct MulOp {
  __device__ void operator()(char* xe, char* ye) const {
    T* d = reinterpret_cast<T*>(xe);
    *d = BinaryMathFunctor<T, BinaryMathOp::Mul>()(*d, *reinterpret_cast<const T*>(ye));
  }
};
// scatter_reduce amax/amin: NaN propagates (a NaN in x stays, a NaN from y is taken).
template <class T>
struct MaxMinOp {
  bool is_max;
  __device__ void operator()(char* xe, char* ye) const {
    using A = opmath_t<T>;
    T* d = reinterpret_cast<T*>(xe);
    const A a = static_cast<A>(*d), b = static_cast<A>(*reinterpret_cast<const T*>(ye));
    bool take_b;
    if constexpr (std::is_floating_point_v<A>) take_b = !(a != a) && ((b != b) || (is_max ? b > a : b < a));
    else take_b = is_max ? b > a : b < a;
    if (take_b) *d = static_cast<T>(b);
  }
};

template <bool kPerRow, class F>
void launch(const Tensor& x, const Tensor& index, const Tensor& y, const ScatterGeom& g, const F& f) {
  const int64_t total = kPerRow ? g.rows : g.rows * g.n;
  if (total == 0 || g.n == 0) return;
  char* xp = static_cast<char*>(x.raw_data());
  char* yp = y.defined() ? static_cast<char*>(y.raw_data()) : xp;  // unused without y
  launch_kernel(scatter_gather_walk_kernel<kPerRow, F>, grid_size(total), kBlockSize, 0, current_stream(), xp,
                static_cast<const char*>(index.raw_data()), yp, g, device_assert_slot(), f);
}

template <class T>
void move_bytes(const Tensor& x, const Tensor& index, const Tensor& y, const ScatterGeom& g, ScatterOp op,
                const Scalar& scalar, DType dtype) {
  switch (op) {
    case ScatterOp::Gather: return launch<false>(x, index, y, g, GatherOp<T>{});
    case ScatterOp::Assign: return launch<true>(x, index, y, g, AssignOp<T>{});
    default: {
      // The value in x's dtype, then moved as raw bytes.
      T bits{};
      PE_DISPATCH_ALL_TYPES(dtype, "scatter", [&] {
        const scalar_t v = scalar.to<scalar_t>();
        static_assert(sizeof(scalar_t) <= 8);
        if (sizeof(scalar_t) == sizeof(T)) std::memcpy(&bits, &v, sizeof(T));
      });
      return launch<true>(x, index, y, g, FillOp<T>{bits});
    }
  }
}

}  // namespace

void scatter_gather_kernel(const Tensor& x, const Tensor& index, const Tensor& y, int64_t dim, ScatterOp op,
                           const Scalar& scalar, bool wrap) {
  DeviceGuard guard(x.device().index);
  const ScatterGeom g = make_geom(x, index, y, dim, wrap);
  if (op == ScatterOp::Gather || op == ScatterOp::Assign || op == ScatterOp::Fill) {
    switch (element_size(x.dtype())) {
      case 1: return move_bytes<uint8_t>(x, index, y, g, op, scalar, x.dtype());
      case 2: return move_bytes<uint16_t>(x, index, y, g, op, scalar, x.dtype());
      case 4: return move_bytes<uint32_t>(x, index, y, g, op, scalar, x.dtype());
      default: return move_bytes<uint64_t>(x, index, y, g, op, scalar, x.dtype());
    }
  }
  PE_DISPATCH_ALL_TYPES(x.dtype(), "scatter", [&] {
    if (op == ScatterOp::Add) return launch<true>(x, index, y, g, AddOp<scalar_t>{{scalar.to<opmath_t<scalar_t>>()}});
    if (op == ScatterOp::Multiply) return launch<true>(x, index, y, g, MulOp<scalar_t>{});
    launch<true>(x, index, y, g, MaxMinOp<scalar_t>{op == ScatterOp::Max});
  });
}

namespace {

template <class T>
struct MeanDivFunctor {
  PE_HOST_DEVICE T operator()(T x, int64_t c) const {
    if (c <= 1) return x;
    if constexpr (std::is_integral_v<T>) {
      const int64_t v = (int64_t)x, q = v / c;
      return static_cast<T>((v % c != 0 && v < 0) ? q - 1 : q);  // floor division
    } else {
      return static_cast<T>(static_cast<opmath_t<T>>(x) / static_cast<opmath_t<T>>(c));
    }
  }
};

}  // namespace

void mean_div_kernel(const TensorIter& iter) {
  PE_DISPATCH_NUMERIC_TYPES(iter.dtype(0), "scatter_gather_tensor_cuda_reduce_mean", [&] {
    launch_elementwise<scalar_t, scalar_t, int64_t>(iter, MeanDivFunctor<scalar_t>{});
  });
}

}  // namespace pe::cuda
