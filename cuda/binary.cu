// add/sub/mul/div on CUDA (binary_math_stub's Add/Sub/Mul/Div and add_alpha_stub): out = f(a, b)
// over a TensorIter whose three operands share one dtype, with the functors of
// ops/elementwise_functors.h, so each element is computed exactly as the CPU kernel computes it.
// The family's other ops are not implemented on CUDA yet (RuntimeError). This file is compiled with -fmad=false (CMakeLists.txt): a + alpha * b must not
// become one fused multiply-add, which rounds once where the CPU rounds twice.
#include "cuda/kernels.h"
#include "cuda/loop.cuh"
#include "ops/elementwise_functors.h"

namespace pe::cuda {
namespace {

// Every operand dense (TensorIter::is_contiguous): plain indexing.
template <class T, class F>
__global__ void binary_contig_kernel(T* out, const T* a, const T* b, int64_t n, F f) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    out[i] = f(a[i], b[i]);
}

template <class T, class F>
__global__ void binary_strided_kernel(char* out, const char* a, const char* b, OffsetCalc<3> calc, int64_t n, F f) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    int64_t off[3];
    calc.get(i, off);
    *reinterpret_cast<T*>(out + off[0]) =
        f(*reinterpret_cast<const T*>(a + off[1]), *reinterpret_cast<const T*>(b + off[2]));
  }
}

template <class T, class F>
void launch_binary(const TensorIter& iter, const F& f) {
  const int64_t n = iter.numel();
  if (n == 0) return;
  DeviceGuard guard(iter_device(iter));
  if (iter.is_contiguous()) {
    binary_contig_kernel<T, F><<<grid_size(n), kBlockSize>>>(reinterpret_cast<T*>(iter.data(0)),
                                                            reinterpret_cast<const T*>(iter.data(1)),
                                                            reinterpret_cast<const T*>(iter.data(2)), n, f);
  } else {
    binary_strided_kernel<T, F><<<grid_size(n), kBlockSize>>>(iter.data(0), iter.data(1), iter.data(2),
                                                             make_offset_calc<3>(iter), n, f);
  }
  PE_CUDA_CHECK_LAUNCH();
}

}  // namespace

namespace {
template <class T, BinaryMathOp Op>
void launch_math(const TensorIter& iter) {
  using F = BinaryMathFunctor<T, Op>;
  if constexpr (F::supported) launch_binary<T>(iter, F());
  else PE_ERROR("binary_math: op ", (int)Op, " not supported for ", dtype_name(iter.dtype(0)));
}
}  // namespace

void binary_math_kernel(const TensorIter& iter, BinaryMathOp op) {
  PE_CHECK(iter.ntensors() == 3, "binary_math_stub: expected 3 operands (out, a, b), got ", iter.ntensors());
  PE_DISPATCH_ALL_TYPES(iter.dtype(0), "binary_math", [&] {
    switch (op) {
      case BinaryMathOp::Add: return launch_math<scalar_t, BinaryMathOp::Add>(iter);
      case BinaryMathOp::Sub: return launch_math<scalar_t, BinaryMathOp::Sub>(iter);
      case BinaryMathOp::Mul: return launch_math<scalar_t, BinaryMathOp::Mul>(iter);
      case BinaryMathOp::Div: return launch_math<scalar_t, BinaryMathOp::Div>(iter);
      default: break;
    }
    PE_ERROR("binary_math: op ", (int)op, " is not implemented on CUDA yet");
  });
}

void add_alpha_kernel(const TensorIter& iter, const Scalar& alpha) {
  PE_CHECK(iter.ntensors() == 3, "add_alpha_stub: expected 3 operands (out, a, b), got ", iter.ntensors());
  PE_DISPATCH_ALL_TYPES(iter.dtype(0), "add", [&] {
    launch_binary<scalar_t>(iter, AddAlphaFunctor<scalar_t>{alpha.to<opmath_t<scalar_t>>()});
  });
}

}  // namespace pe::cuda
