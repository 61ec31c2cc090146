// CUDA kernels of the dtype-keeping binary ops (binary_math_stub: add/sub/mul/div, integer and floor
// division, remainder, fmod, pow, atan2, maximum/minimum, fmax/fmin, bitwise ops and shifts; add_alpha_stub:
// a + alpha * b), with the CPU's functors. Compiled with -fmad=false (cuda/CMakeLists.txt): a + alpha * b
// must not become one fused multiply-add, which rounds once where the CPU rounds twice.
#include "cuda/elementwise.cuh"
#include "cuda/kernels.h"
#include "ops/elementwise_functors.h"

namespace pe::cuda {
namespace {

template <class T, BinaryMathOp Op>
void run_math(const TensorIter& iter) {
  using F = BinaryMathFunctor<T, Op>;
  if constexpr (F::supported) launch_elementwise<T, T, T>(iter, F());
  else PE_ERROR("binary_math: op ", (int)Op, " not supported for ", dtype_name(iter.dtype(0)));
}

template <class T>
void run_op(const TensorIter& iter, BinaryMathOp op) {
  switch (op) {
#define PE_CASE(Op) \
  case BinaryMathOp::Op: return run_math<T, BinaryMathOp::Op>(iter);
    PE_CASE(Add) PE_CASE(Sub) PE_CASE(Mul) PE_CASE(Div) PE_CASE(DivTrunc) PE_CASE(DivFloor) PE_CASE(Remainder) PE_CASE(Fmod) PE_CASE(Pow) PE_CASE(Atan2)
    PE_CASE(Maximum) PE_CASE(Minimum) PE_CASE(Fmax) PE_CASE(Fmin) PE_CASE(BitwiseAnd) PE_CASE(BitwiseOr)
    PE_CASE(BitwiseXor) PE_CASE(LeftShift) PE_CASE(RightShift)
#undef PE_CASE
  }
  PE_ERROR("binary_math: unknown op ", (int)op);
}

}  // namespace

void binary_math_kernel(const TensorIter& iter, BinaryMathOp op) {
  PE_DISPATCH_ALL_TYPES(iter.dtype(0), "binary_math", [&] { run_op<scalar_t>(iter, op); });
}

void add_alpha_kernel(const TensorIter& iter, const Scalar& alpha) {
  PE_DISPATCH_ALL_TYPES(iter.dtype(0), "add", [&] {
    launch_elementwise<scalar_t, scalar_t, scalar_t>(iter, AddAlphaFunctor<scalar_t>{alpha.to<opmath_t<scalar_t>>()});
  });
}

}  // namespace pe::cuda
