// Unary elementwise ops: float math (integer inputs promote to the default float dtype), rounding
// (integers pass through as a copy), neg/abs/sign/relu/bitwise_not/square/positive, predicates,
// round(decimals), nan_to_num. Dtype rules and error classes follow PyTorch 2.x.
#include <cmath>
#include <limits>

#include "ops/elementwise_util.h"

namespace pe {

using ew::elementwise_inplace;
using ew::elementwise_out;

namespace {

Tensor run_float_op(const Tensor& a, UnaryFloatOp op) {
  DType dt = ew::float_of(a.dtype());
  TensorOrScalar x(a);
  return elementwise_out({&x}, dt, dt, [&](const TensorIter& it) { unary_float_stub(a.device())(it, op); });
}
Tensor& run_float_op_(Tensor& a, UnaryFloatOp op) {
  DType dt = ew::float_of(a.dtype());
  return elementwise_inplace(a, {}, dt, dt, [&](const TensorIter& it) { unary_float_stub(a.device())(it, op); });
}

// ceil/floor/round/trunc: floating only; integers are already integral (a copy), bool raises.
Tensor run_rounding_op(const Tensor& a, UnaryFloatOp op, const char* name) {
  if (a.dtype() == DType::Bool) ew::not_implemented(name, a.dtype());
  PE_CHECK(!is_complex(a.dtype()), name, " is not supported for complex inputs");
  if (!is_floating(a.dtype())) return clone(a);
  return run_float_op(a, op);
}
Tensor& run_rounding_op_(Tensor& a, UnaryFloatOp op, const char* name) {
  assert_no_internal_overlap(a);  // integers too: nothing to write, but PyTorch checks
  if (a.dtype() == DType::Bool) ew::not_implemented(name, a.dtype());
  PE_CHECK(!is_complex(a.dtype()), name, " is not supported for complex inputs");
  if (!is_floating(a.dtype())) {  // integers are already integral
    a->bump_version();
    return a;
  }
  return run_float_op_(a, op);
}

Tensor run_misc_op(const Tensor& a, UnaryMiscOp op) {
  TensorOrScalar x(a);
  return elementwise_out({&x}, a.dtype(), a.dtype(), [&](const TensorIter& it) { unary_misc_stub(a.device())(it, op); });
}
Tensor& run_misc_op_(Tensor& a, UnaryMiscOp op) {
  return elementwise_inplace(a, {}, a.dtype(), a.dtype(), [&](const TensorIter& it) { unary_misc_stub(a.device())(it, op); });
}

Tensor run_predicate(const Tensor& a, PredicateOp op) {
  TensorOrScalar x(a);
  return elementwise_out({&x}, a.dtype(), DType::Bool, [&](const TensorIter& it) { predicate_stub(a.device())(it, op); });
}

void no_check(const Tensor&) {}
void check_neg(const Tensor& a) {
  PE_CHECK(a.dtype() != DType::Bool, "Negation, the `-` operator, on a bool tensor is not supported. If you are "
           "trying to invert a mask, use the `~` or `logical_not()` operator instead.");
}
void check_abs(const Tensor& a) {
  if (a.dtype() == DType::Bool) ew::not_implemented("abs_cpu", a.dtype());
}
void check_sign(const Tensor& a) {
  PE_CHECK(!is_complex(a.dtype()), "Unlike NumPy, torch.sign is not intended to support complex numbers. Please use "
           "torch.sgn instead.");
}
void check_relu(const Tensor& a) { PE_CHECK(a.dtype() != DType::Bool, "Boolean inputs not supported for relu"); }
void check_bitwise_not(const Tensor& a) {
  if (is_floating(a.dtype())) ew::not_implemented("bitwise_not_cpu", a.dtype());
}
// frac has no integer version in PyTorch (NotImplementedError), unlike ceil/floor/round/trunc.
void check_frac(const Tensor& a) {
  if (!is_floating(a.dtype())) ew::not_implemented("frac_cpu", a.dtype());
}

}  // namespace

#define PE_DEFINE_FLOAT_OP(Name, name, expr)                                        \
  Tensor name(const Tensor& a) { return run_float_op(a, UnaryFloatOp::Name); }      \
  Tensor& name##_(Tensor& a) { return run_float_op_(a, UnaryFloatOp::Name); }
PE_FORALL_UNARY_FLOAT_OPS(PE_DEFINE_FLOAT_OP)
#undef PE_DEFINE_FLOAT_OP

#define PE_DEFINE_ROUNDING_OP(Name, name)                                                            \
  Tensor name(const Tensor& a) { return run_rounding_op(a, UnaryFloatOp::Name, #name "_vml_cpu"); }  \
  Tensor& name##_(Tensor& a) { return run_rounding_op_(a, UnaryFloatOp::Name, #name "_vml_cpu"); }
PE_DEFINE_ROUNDING_OP(Ceil, ceil)
PE_DEFINE_ROUNDING_OP(Floor, floor)
PE_DEFINE_ROUNDING_OP(Round, round)
PE_DEFINE_ROUNDING_OP(Trunc, trunc)
#undef PE_DEFINE_ROUNDING_OP

Tensor frac(const Tensor& a) {
  check_frac(a);
  return run_float_op(a, UnaryFloatOp::Frac);
}
Tensor& frac_(Tensor& a) {
  assert_no_internal_overlap(a);
  check_frac(a);
  return run_float_op_(a, UnaryFloatOp::Frac);
}

// `check`: the op's own argument check (before PyTorch's TensorIterator: neg/relu of bool);
// `dtype_check`: the kernel's dtype check, after the in-place checks (as PyTorch's dispatch).
#define PE_DEFINE_MISC_OP(Name, name, check, dtype_check)   \
  Tensor name(const Tensor& a) {                            \
    check(a);                                               \
    dtype_check(a);                                         \
    return run_misc_op(a, UnaryMiscOp::Name);               \
  }                                                         \
  Tensor& name##_(Tensor& a) {                              \
    check(a);                                               \
    assert_no_internal_overlap(a);                          \
    dtype_check(a);                                         \
    return run_misc_op_(a, UnaryMiscOp::Name);              \
  }
PE_DEFINE_MISC_OP(Neg, neg, check_neg, no_check)
PE_DEFINE_MISC_OP(Sign, sign, check_sign, no_check)
PE_DEFINE_MISC_OP(Relu, relu, check_relu, no_check)
PE_DEFINE_MISC_OP(BitwiseNot, bitwise_not, no_check, check_bitwise_not)
#undef PE_DEFINE_MISC_OP

// abs of a complex tensor is real (|z|, as hypot); angle's complex case is arg(z).
static Tensor complex_to_real(const Tensor& a, ComplexToRealOp op) {
  TensorOrScalar x(a);
  return elementwise_out({&x}, a.dtype(), to_real_dtype(a.dtype()),
                         [&](const TensorIter& it) { complex_to_real_stub(a.device())(it, op); });
}
Tensor abs(const Tensor& a) {
  check_abs(a);
  if (is_complex(a.dtype())) return complex_to_real(a, ComplexToRealOp::Abs);
  return run_misc_op(a, UnaryMiscOp::Abs);
}
Tensor& abs_(Tensor& a) {
  assert_no_internal_overlap(a);
  check_abs(a);
  PE_CHECK(!is_complex(a.dtype()), "In-place abs is not supported for complex tensors.");
  return run_misc_op_(a, UnaryMiscOp::Abs);
}

// square is pow(a, 2): bool becomes int64 (PyTorch's promotion with the number 2).
Tensor square(const Tensor& a) {
  Tensor x = a.dtype() == DType::Bool ? to(a, DType::Int64, std::nullopt) : a;
  return mul(x, x);
}
Tensor& square_(Tensor& a) {
  assert_no_internal_overlap(a);
  ew::check_cast(a.dtype() == DType::Bool ? DType::Int64 : a.dtype(), a.dtype());
  return mul_(a, a);
}

Tensor positive(const Tensor& a) {
  PE_CHECK(a.dtype() != DType::Bool, "The `+` operator, on a bool tensor is not supported.");
  return a;
}

Tensor logical_not(const Tensor& a) { return run_predicate(a, PredicateOp::LogicalNot); }
Tensor& logical_not_(Tensor& a) {
  if (a.dtype() == DType::Bool) {
    return elementwise_inplace(a, {}, DType::Bool, DType::Bool,
                               [&](const TensorIter& it) { predicate_stub(a.device())(it, PredicateOp::LogicalNot); });
  }
  return copy_(a, logical_not(a));
}
Tensor isnan(const Tensor& a) { return run_predicate(a, PredicateOp::IsNan); }
Tensor isinf(const Tensor& a) { return run_predicate(a, PredicateOp::IsInf); }
Tensor isfinite(const Tensor& a) { return run_predicate(a, PredicateOp::IsFinite); }

namespace {
// The decimals overload has no integer kernel in PyTorch, even for decimals=0.
void check_round_decimals(const Tensor& a, int64_t decimals) {
  if (!is_floating(a.dtype())) ew::not_implemented(decimals == 0 ? "round_vml_cpu" : "round_cpu", a.dtype());
}
}  // namespace

Tensor round(const Tensor& a, int64_t decimals) {
  check_round_decimals(a, decimals);
  if (decimals == 0) return round(a);
  TensorOrScalar x(a);
  return elementwise_out({&x}, a.dtype(), a.dtype(),
                         [&](const TensorIter& it) { round_decimals_stub(a.device())(it, decimals); });
}
Tensor& round_(Tensor& a, int64_t decimals) {
  check_round_decimals(a, decimals);
  if (decimals == 0) return round_(a);
  return elementwise_inplace(a, {}, a.dtype(), a.dtype(),
                             [&](const TensorIter& it) { round_decimals_stub(a.device())(it, decimals); });
}

namespace {
// PyTorch's defaults: posinf/neginf become the largest/lowest finite value of the dtype.
void nan_to_num_values(DType dt, std::optional<double>& nan, std::optional<double>& posinf,
                       std::optional<double>& neginf) {
  double big = dt == DType::Float16 ? 65504.0
             : dt == DType::BFloat16 ? 3.3895313892515355e38
             : dt == DType::Float32 ? (double)std::numeric_limits<float>::max()
                                    : std::numeric_limits<double>::max();
  if (!nan) nan = 0.0;
  if (!posinf) posinf = big;
  if (!neginf) neginf = -big;
}
}  // namespace

Tensor nan_to_num(const Tensor& a, std::optional<double> nan, std::optional<double> posinf,
                  std::optional<double> neginf) {
  if (is_complex(a.dtype())) ew::not_implemented("nan_to_num", a.dtype());
  if (!is_floating(a.dtype())) return clone(a);
  nan_to_num_values(a.dtype(), nan, posinf, neginf);
  TensorOrScalar x(a);
  return elementwise_out({&x}, a.dtype(), a.dtype(),
                         [&](const TensorIter& it) { nan_to_num_stub(a.device())(it, *nan, *posinf, *neginf); });
}
Tensor& nan_to_num_(Tensor& a, std::optional<double> nan, std::optional<double> posinf,
                    std::optional<double> neginf) {
  if (is_complex(a.dtype())) ew::not_implemented("nan_to_num", a.dtype());
  if (!is_floating(a.dtype())) {
    a->bump_version();
    return a;
  }
  nan_to_num_values(a.dtype(), nan, posinf, neginf);
  return elementwise_inplace(a, {}, a.dtype(), a.dtype(),
                             [&](const TensorIter& it) { nan_to_num_stub(a.device())(it, *nan, *posinf, *neginf); });
}

}  // namespace pe
