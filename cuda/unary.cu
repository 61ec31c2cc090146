// neg/abs on CUDA (unary_misc_stub's Neg/Abs): out = f(a) over a TensorIter of two operands of one
// dtype, with the functors of ops/elementwise_functors.h (the CPU kernel's arithmetic, element for
// element). The family's other ops are not implemented on CUDA yet (RuntimeError).
#include "cuda/kernels.h"
#include "cuda/loop.cuh"
#include "ops/elementwise_functors.h"

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
    unary_contig_kernel<T, F><<<grid_size(n), kBlockSize>>>(reinterpret_cast<T*>(iter.data(0)),
                                                           reinterpret_cast<const T*>(iter.data(1)), n, f);
  } else {
    unary_strided_kernel<T, F><<<grid_size(n), kBlockSize>>>(iter.data(0), iter.data(1), make_offset_calc<2>(iter),
                                                            n, f);
  }
  PE_CUDA_CHECK_LAUNCH();
}

}  // namespace

namespace {
template <class T, UnaryMiscOp Op>
void launch_misc(const TensorIter& iter) {
  using F = UnaryMiscFunctor<T, Op>;
  if constexpr (F::supported) launch_unary<T>(iter, F());
  else PE_ERROR("unary_misc: op ", (int)Op, " not supported for ", dtype_name(iter.dtype(0)));
}
}  // namespace

void unary_misc_kernel(const TensorIter& iter, UnaryMiscOp op) {
  PE_CHECK(iter.ntensors() == 2, "unary_misc_stub: expected 2 operands (out, a), got ", iter.ntensors());
  PE_DISPATCH_ALL_TYPES(iter.dtype(0), "unary_misc", [&] {
    switch (op) {
      case UnaryMiscOp::Neg: return launch_misc<scalar_t, UnaryMiscOp::Neg>(iter);
      case UnaryMiscOp::Abs: return launch_misc<scalar_t, UnaryMiscOp::Abs>(iter);
      default: break;
    }
    PE_ERROR("unary_misc: op ", (int)op, " is not implemented on CUDA yet");
  });
}

}  // namespace pe::cuda
