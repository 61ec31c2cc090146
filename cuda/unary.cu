// neg/abs on CUDA (unary_stub): out = f(a) over a TensorIter of two operands of one dtype, with the
// functors of ops/functors.h (the CPU kernel's arithmetic, element for element).
#include "cuda/kernels.h"
#include "cuda/launch.cuh"
#include "cuda/loop.cuh"
#include "ops/functors.h"
#include "ops/stubs.h"

namespace pe::cuda {
namespace {

template <class T, class F>
__global__ void unary_contig_kernel(T* out, const T* a, int64_t n, F f) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    out[i] = f(a[i]);
}

template <class T, class F>
__global__ void unary_strided_kernel(char* out, const char* a, OffsetCalc<2> calc, int64_t n, F f) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    int64_t off[2];
    calc.get(i, off);
    *reinterpret_cast<T*>(out + off[0]) = f(*reinterpret_cast<const T*>(a + off[1]));
  }
}

template <class T, class F>
void launch_unary(const TensorIter& iter, const F& f) {
  const int64_t n = iter.numel();
  if (n == 0) return;
  DeviceGuard guard(iter_device(iter));
  if (iter.is_contiguous()) {
    launch_kernel(unary_contig_kernel<T, F>, grid_size(n), kBlockSize, 0, nullptr, reinterpret_cast<T*>(iter.data(0)),
                                                           reinterpret_cast<const T*>(iter.data(1)), n, f);
  } else {
    launch_kernel(unary_strided_kernel<T, F>, grid_size(n), kBlockSize, 0, nullptr, iter.data(0), iter.data(1), make_offset_calc<2>(iter),
                                                            n, f);
  }
}

}  // namespace

void unary_kernel(const TensorIter& iter, UnaryOp op) {
  PE_CHECK(iter.ntensors() == 2, "unary_stub: expected 2 operands (out, a), got ", iter.ntensors());
  PE_DISPATCH_ALL_TYPES(iter.dtype(0), "unary", [&] {
    switch (op) {
      case UnaryOp::Neg:
        return launch_unary<scalar_t>(iter, NegFunctor<scalar_t>());
      case UnaryOp::Abs:
        return launch_unary<scalar_t>(iter, AbsFunctor<scalar_t>());
    }
    PE_ERROR("unary: unknown op ", (int)op);
  });
}

}  // namespace pe::cuda
