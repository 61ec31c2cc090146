// CUDA kernels of isclose (isclose_stub), equal (equal_stub), trace (trace_stub) and cross (cross_stub).
// isclose and equal's element test are the CPU's functors (ops/isclose_functor.h) through the elementwise
// launcher; equal then counts the agreeing elements on the device and reads one count back (PyTorch's equal
// syncs for its bool too). trace sums the diagonal in one block, in double (int64 for integers) as the CPU.
#include "cuda/elementwise.cuh"
#include "cuda/kernels.h"
#include "ops/isclose_functor.h"

namespace pe::cuda {
namespace {

constexpr int kTraceBlock = 256;

template <class Acc, class T, class Out>
__global__ void trace_impl(Out* out, const T* p, int64_t n, int64_t stride) {
  __shared__ Acc partial[kTraceBlock];
  Acc s = 0;
  for (int64_t i = threadIdx.x; i < n; i += kTraceBlock) s += static_cast<Acc>(p[i * stride]);
  partial[threadIdx.x] = s;
  __syncthreads();
  for (int w = kTraceBlock / 2; w > 0; w /= 2) {  // a fixed tree: the same sum on every run
    if ((int)threadIdx.x < w) partial[threadIdx.x] += partial[threadIdx.x + w];
    __syncthreads();
  }
  if (threadIdx.x == 0) *out = static_cast<Out>(partial[0]);
}

// cross over `dim` (taken out of the shapes): up to kCrossMaxDims other dims, each element reaches its three
// components through the dim's strides.
constexpr int kCrossMaxDims = 16;
struct CrossGeometry {
  int nd;
  int64_t sizes[kCrossMaxDims], so[kCrossMaxDims], sa[kCrossMaxDims], sb[kCrossMaxDims];
  int64_t dso, dsa, dsb;
};

template <class T>
__global__ void cross_impl(T* out, const T* a, const T* b, CrossGeometry g, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    int64_t rest = i, oo = 0, oa = 0, ob = 0;
    for (int d = g.nd - 1; d >= 0; --d) {
      const int64_t k = rest % g.sizes[d];
      rest /= g.sizes[d];
      oo += k * g.so[d];
      oa += k * g.sa[d];
      ob += k * g.sb[d];
    }
    const T* pa = a + oa;
    const T* pb = b + ob;
    T* po = out + oo;
    const T a0 = pa[0], a1 = pa[g.dsa], a2 = pa[2 * g.dsa], b0 = pb[0], b1 = pb[g.dsb], b2 = pb[2 * g.dsb];
    po[0] = T(a1 * b2 - a2 * b1);
    po[g.dso] = T(a2 * b0 - a0 * b2);
    po[2 * g.dso] = T(a0 * b1 - a1 * b0);
  }
}

}  // namespace

void isclose_kernel(const TensorIter& iter, double rtol, double atol, bool equal_nan) {
  PE_DISPATCH_ALL_TYPES(iter.dtype(1), "isclose", [&] {
    launch_elementwise<bool, scalar_t, scalar_t>(iter, IsCloseFunctor<scalar_t>{rtol, atol, equal_nan});
  });
}

bool equal_kernel(const Tensor& a, const Tensor& b) {
  Tensor agree = make_empty(a.sizes(), DType::Bool, a.device());
  PE_DISPATCH_ALL_TYPES(a.dtype(), "equal", [&] {
    launch_elementwise<bool, scalar_t, scalar_t>(TensorIter({agree}, {a, b}), EqualValuesFunctor<scalar_t>());
  });
  return count_true_kernel(agree) == agree.numel();
}

void trace_kernel(const Tensor& out, const Tensor& diag) {
  const int64_t n = diag.numel(), st = n > 0 ? diag.stride(0) : 1;
  PE_DISPATCH_NUMERIC_TYPES(diag.dtype(), "trace", [&] {
    const auto* p = static_cast<const scalar_t*>(diag.raw_data());
    if constexpr (std::is_integral_v<scalar_t>) {  // integer traces are int64 (wrapping), as PyTorch
      launch_kernel(trace_impl<uint64_t, scalar_t, int64_t>, 1, kTraceBlock, 0, current_stream(),
                    static_cast<int64_t*>(out.raw_data()), p, n, st);
    } else {
      launch_kernel(trace_impl<double, scalar_t, scalar_t>, 1, kTraceBlock, 0, current_stream(),
                    static_cast<scalar_t*>(out.raw_data()), p, n, st);
    }
  });
}

void cross_kernel(const Tensor& out, const Tensor& a, const Tensor& b, int64_t dim) {
  CrossGeometry g{};
  int64_t n = 1;
  for (int64_t d = 0; d < out.dim(); ++d) {
    if (d == dim) continue;
    PE_CHECK(g.nd < kCrossMaxDims, "cross: more than ", kCrossMaxDims + 1, " dimensions are not supported on cuda");
    g.sizes[g.nd] = out.size(d);
    g.so[g.nd] = out.stride(d);
    g.sa[g.nd] = a.stride(d);
    g.sb[g.nd] = b.stride(d);
    n *= out.size(d);
    ++g.nd;
  }
  g.dso = out.stride(dim);
  g.dsa = a.stride(dim);
  g.dsb = b.stride(dim);
  if (n == 0) return;
  PE_DISPATCH_NUMERIC_TYPES(out.dtype(), "cross", [&] {
    launch_kernel(cross_impl<scalar_t>, grid_size(n), kBlockSize, 0, current_stream(),
                  static_cast<scalar_t*>(out.raw_data()), static_cast<const scalar_t*>(a.raw_data()),
                  static_cast<const scalar_t*>(b.raw_data()), g, n);
  });
}

}  // namespace pe::cuda
