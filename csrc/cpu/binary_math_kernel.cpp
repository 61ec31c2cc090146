// CPU kernels of the dtype-keeping binary ops (binary_math_stub): add/sub/mul/div, division
// variants, remainder, fmod, pow, atan2, maximum/minimum/fmax/fmin, bitwise ops and shifts; and
// a + alpha * b (add_alpha_stub). One switch per dtype; the (op, dtype) pairs PyTorch has no kernel
// for are not instantiated (the op layer rejects them).
#include "cpu/complex_math.h"
#include "cpu/loop.h"
#include "ops/elementwise_functors.h"

namespace pe::cpu {
namespace {

template <class T, BinaryMathOp Op>
void run(const TensorIter& iter) {
  using F = BinaryMathFunctor<T, Op>;
  if constexpr (F::supported) cpu_kernel(iter, [](T a, T b) -> T { return F()(a, b); });
  else PE_ERROR("binary_math: op ", (int)Op, " not supported for ", dtype_name(iter.dtype(0)));
}

template <class T>
void run_op(const TensorIter& iter, BinaryMathOp op) {
  switch (op) {
#define PE_CASE(Op) \
  case BinaryMathOp::Op: return run<T, BinaryMathOp::Op>(iter);
    PE_CASE(Add) PE_CASE(Sub) PE_CASE(Mul) PE_CASE(Div) PE_CASE(DivTrunc) PE_CASE(DivFloor) PE_CASE(Remainder) PE_CASE(Fmod) PE_CASE(Pow) PE_CASE(Atan2)
    PE_CASE(Maximum) PE_CASE(Minimum) PE_CASE(Fmax) PE_CASE(Fmin) PE_CASE(BitwiseAnd) PE_CASE(BitwiseOr)
    PE_CASE(BitwiseXor) PE_CASE(LeftShift) PE_CASE(RightShift)
#undef PE_CASE
  }
  PE_ERROR("binary_math: unknown op ", (int)op);
}

void binary_math_kernel(const TensorIter& iter, BinaryMathOp op) {
  if (is_complex(iter.dtype(0))) return complex_binary_math(iter, op);
  PE_DISPATCH_ALL_TYPES(iter.dtype(0), "binary_math", [&] { run_op<scalar_t>(iter, op); });
}

void add_alpha_kernel(const TensorIter& iter, const Scalar& alpha) {
  if (is_complex(iter.dtype(0))) return complex_add_alpha(iter, alpha);
  PE_DISPATCH_ALL_TYPES(iter.dtype(0), "add", [&] {
    AddAlphaFunctor<scalar_t> f{alpha.to<opmath_t<scalar_t>>()};
    cpu_kernel(iter, [f](scalar_t a, scalar_t b) -> scalar_t { return f(a, b); });
  });
}

PE_REGISTER_KERNEL(binary_math_stub, CPU, &binary_math_kernel);
PE_REGISTER_KERNEL(add_alpha_stub, CPU, &add_alpha_kernel);

}  // namespace
}  // namespace pe::cpu
