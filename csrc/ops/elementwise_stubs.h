// The op lists and kernel tables of the elementwise op library. An op family is one enum and one
// DispatchStub; its kernel is instantiated once per (op, dtype) and picks the op with a switch.
// Every operand of a TensorIter passed to these kernels already has the compute dtype (the op
// layer casts), except outputs of predicates/comparisons (bool) and where's condition (bool).
// CPU kernels: csrc/cpu/unary_math_kernel.cpp, unary_misc_kernel.cpp, binary_math_kernel.cpp,
// compare_kernel.cpp, ternary_kernel.cpp (each loops with cpu_kernel over the functors of
// ops/elementwise_functors.h); a device backend registers its kernels for the same stubs.
#pragma once
#include "core/dispatch.h"
#include "core/tensor.h"

namespace pe {
class TensorIter;

// Unary floating-point math: (Enum, op name, expression in `x` of compute type M). Integer and
// bool inputs are promoted to the default float dtype by the op layer.
#define PE_FORALL_UNARY_FLOAT_OPS(_)                                 \
  _(Sqrt, sqrt, std::sqrt(x))                                        \
  _(Rsqrt, rsqrt, M(1) / std::sqrt(x))                               \
  _(Exp, exp, ::pe::math::exp(x))                                    \
  _(Exp2, exp2, std::exp2(x))                                        \
  _(Expm1, expm1, std::expm1(x))                                     \
  _(Log, log, std::log(x))                                           \
  _(Log1p, log1p, std::log1p(x))                                     \
  _(Log2, log2, std::log2(x))                                        \
  _(Log10, log10, std::log10(x))                                     \
  _(Sin, sin, std::sin(x))                                           \
  _(Cos, cos, std::cos(x))                                           \
  _(Tan, tan, std::tan(x))                                           \
  _(Asin, asin, std::asin(x))                                        \
  _(Acos, acos, std::acos(x))                                        \
  _(Atan, atan, std::atan(x))                                        \
  _(Sinh, sinh, std::sinh(x))                                        \
  _(Cosh, cosh, std::cosh(x))                                        \
  _(Tanh, tanh, std::tanh(x))                                        \
  _(Asinh, asinh, std::asinh(x))                                     \
  _(Acosh, acosh, std::acosh(x))                                     \
  _(Atanh, atanh, std::atanh(x))                                     \
  _(Sigmoid, sigmoid, M(1) / (M(1) + ::pe::math::exp(-x)))           \
  _(Erf, erf, std::erf(x))                                           \
  _(Erfc, erfc, std::erfc(x))                                        \
  _(Reciprocal, reciprocal, M(1) / x)

// Rounding: floating only; integer inputs are returned as a copy, bool raises.
#define PE_FORALL_ROUNDING_OPS(_)                                    \
  _(Ceil, ceil, std::ceil(x))                                        \
  _(Floor, floor, std::floor(x))                                     \
  _(Round, round, std::nearbyint(x))                                 \
  _(Trunc, trunc, std::trunc(x))                                     \
  _(Frac, frac, x - std::trunc(x))

enum class UnaryFloatOp : int8_t {
#define PE_ENUM_ENTRY(Name, name, expr) Name,
  PE_FORALL_UNARY_FLOAT_OPS(PE_ENUM_ENTRY) PE_FORALL_ROUNDING_OPS(PE_ENUM_ENTRY)
#undef PE_ENUM_ENTRY
};
using UnaryFloatFn = void (*)(const TensorIter& iter, UnaryFloatOp op);
extern DispatchStub<UnaryFloatFn> unary_float_stub;

// Unary ops that keep the dtype: out = f(a).
enum class UnaryMiscOp : int8_t { Neg, Abs, Sign, Relu, BitwiseNot };
using UnaryMiscFn = void (*)(const TensorIter& iter, UnaryMiscOp op);
extern DispatchStub<UnaryMiscFn> unary_misc_stub;

// Real functions of a complex number: out (float32/float64) = f(a (complex64/complex128)).
enum class ComplexToRealOp : int8_t { Abs, Angle };
using ComplexToRealFn = void (*)(const TensorIter& iter, ComplexToRealOp op);
extern DispatchStub<ComplexToRealFn> complex_to_real_stub;

// Predicates: bool out = f(a).
enum class PredicateOp : int8_t { IsNan, IsInf, IsFinite, LogicalNot };
using PredicateFn = void (*)(const TensorIter& iter, PredicateOp op);
extern DispatchStub<PredicateFn> predicate_stub;

// round(decimals) and nan_to_num on floating dtypes.
using RoundDecimalsFn = void (*)(const TensorIter& iter, int64_t decimals);
extern DispatchStub<RoundDecimalsFn> round_decimals_stub;
using NanToNumFn = void (*)(const TensorIter& iter, double nan, double posinf, double neginf);
extern DispatchStub<NanToNumFn> nan_to_num_stub;

// Binary ops that keep the common dtype: out = f(a, b). Integer divisors are checked for zero by
// the op layer. Div is true division (float dtypes only).
enum class BinaryMathOp : int8_t {
  Add, Sub, Mul, Div, DivTrunc, DivFloor, Remainder, Fmod, Pow, Atan2, Maximum, Minimum, Fmax, Fmin,
  BitwiseAnd, BitwiseOr, BitwiseXor, LeftShift, RightShift,
};
using BinaryMathFn = void (*)(const TensorIter& iter, BinaryMathOp op);
extern DispatchStub<BinaryMathFn> binary_math_stub;

// add/sub with an alpha other than 1: out = a + alpha * b (alpha converted to the compute type).
using AddAlphaFn = void (*)(const TensorIter& iter, const Scalar& alpha);
extern DispatchStub<AddAlphaFn> add_alpha_stub;

// Comparisons: bool out = f(a, b), a and b of one dtype. (logical_and/or/xor cast to bool and use
// the bitwise ops of binary_math_stub.)
enum class CompareOp : int8_t { Eq, Ne, Lt, Le, Gt, Ge };
using CompareFn = void (*)(const TensorIter& iter, CompareOp op);
extern DispatchStub<CompareFn> compare_stub;

// Ternary: where (out, cond(bool), a, b), clamp (out, x, lo, hi), lerp (out, start, end, weight).
enum class TernaryOp : int8_t { Where, Clamp, Lerp };
using TernaryFn = void (*)(const TensorIter& iter, TernaryOp op);
extern DispatchStub<TernaryFn> ternary_stub;

}  // namespace pe
