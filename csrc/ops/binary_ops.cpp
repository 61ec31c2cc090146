// Binary elementwise ops: add/sub (with alpha), mul, div (true or with rounding), remainder/fmod,
// pow, float_power, atan2, maximum/minimum/fmax/fmin, bitwise and shifts, comparisons and logical
// ops, out-of-place and in-place, either operand a tensor or a Python number. Each computes in
// PyTorch's result type of its operands (a Python number is a wrapped number).
#include "ops/elementwise_util.h"

namespace pe {

using ew::elementwise_inplace;
using ew::elementwise_out;

namespace {

// PyTorch raises "ZeroDivisionError" (a RuntimeError) for integer division by zero.
void check_int_divisor(const Tensor& divisor) {
  if (divisor.numel() == 0) return;
  PE_CHECK(nonzero(eq(divisor, TensorOrScalar(Scalar(int64_t(0))))).size(0) == 0, "ZeroDivisionError");
}

// Rejects the dtypes an op has no kernel for, with PyTorch's error.
void check_dtype(BinaryMathOp op, DType t) {
  if (is_complex(t)) {  // complex numbers have +, -, *, / and ** only (Note [Complex dtypes])
    static const char* names[] = {"add", "sub", "mul", "div", "div_trunc_cpu", "div_floor_cpu", "remainder_cpu",
                                  "fmod_cpu", "pow", "atan2_cpu", "maximum", "minimum", "fmax", "fmin",
                                  "bitwise_and_cpu", "bitwise_or_cpu", "bitwise_xor_cpu", "lshift_cpu", "rshift_cpu"};
    if (op != BinaryMathOp::Add && op != BinaryMathOp::Sub && op != BinaryMathOp::Mul && op != BinaryMathOp::Div &&
        op != BinaryMathOp::Pow)
      ew::not_implemented(names[(int)op], t);
    return;
  }
  switch (op) {
    case BinaryMathOp::DivTrunc: if (t == DType::Bool) ew::not_implemented("div_trunc_cpu", t); break;
    case BinaryMathOp::DivFloor: if (t == DType::Bool) ew::not_implemented("div_floor_cpu", t); break;
    case BinaryMathOp::Remainder: if (t == DType::Bool) ew::not_implemented("remainder_cpu", t); break;
    case BinaryMathOp::Fmod: if (t == DType::Bool) ew::not_implemented("fmod_cpu", t); break;
    case BinaryMathOp::Pow: if (t == DType::Bool) ew::not_implemented("pow", t); break;
    case BinaryMathOp::BitwiseAnd: if (is_floating(t)) ew::not_implemented("bitwise_and_cpu", t); break;
    case BinaryMathOp::BitwiseOr: if (is_floating(t)) ew::not_implemented("bitwise_or_cpu", t); break;
    case BinaryMathOp::BitwiseXor: if (is_floating(t)) ew::not_implemented("bitwise_xor_cpu", t); break;
    case BinaryMathOp::LeftShift: if (!is_integral(t, false)) ew::not_implemented("lshift_cpu", t); break;
    case BinaryMathOp::RightShift: if (!is_integral(t, false)) ew::not_implemented("rshift_cpu", t); break;
    default: break;
  }
}

// PyTorch broadcasts the operands before its kernel looks at the dtype: bitwise ops on floats
// with incompatible shapes raise the shape error, not the dtype one.
void check_broadcast_first(const TensorOrScalar& a, const TensorOrScalar& b) {
  if (!a.is_scalar && !b.is_scalar) broadcast_shapes(a.tensor.sizes(), b.tensor.sizes());
}

bool divides(BinaryMathOp op) {
  return op == BinaryMathOp::DivTrunc || op == BinaryMathOp::DivFloor || op == BinaryMathOp::Remainder ||
         op == BinaryMathOp::Fmod;
}

// The compute dtype of op over a and b (atan2 computes in floating point).
DType math_dtype(BinaryMathOp op, const TensorOrScalar& a, const TensorOrScalar& b) {
  DType t = ew::result_type(a, b);
  return op == BinaryMathOp::Atan2 ? ew::float_of(t) : t;
}

auto math_launcher(BinaryMathOp op, Device dev) {
  return [op, dev](const TensorIter& it) { binary_math_stub(dev)(it, op); };
}

Tensor binary_math(const TensorOrScalar& a, const TensorOrScalar& b, BinaryMathOp op) {
  DType dt = math_dtype(op, a, b);
  check_broadcast_first(a, b);
  check_dtype(op, dt);
  Device dev = ew::common_device({&a, &b});
  if (divides(op) && is_integral(dt, false)) {
    TensorOrScalar y(ew::materialize(b, dt, dev));
    check_int_divisor(y.tensor);
    return elementwise_out({&a, &y}, dt, dt, math_launcher(op, dev));
  }
  return elementwise_out({&a, &b}, dt, dt, math_launcher(op, dev));
}

Tensor& binary_math_(Tensor& self, const TensorOrScalar& b, BinaryMathOp op) {
  assert_no_internal_overlap(self);
  TensorOrScalar s(self);
  DType dt = math_dtype(op, s, b);
  check_broadcast_first(s, b);
  ew::check_cast(dt, self.dtype());  // PyTorch checks the cast before the kernel's dtype
  check_dtype(op, dt);
  Device dev = ew::common_device({&s, &b});
  if (divides(op) && is_integral(dt, false)) {
    TensorOrScalar y(ew::materialize(b, dt, dev));
    check_int_divisor(y.tensor);
    return elementwise_inplace(self, {&y}, dt, dt, math_launcher(op, dev));
  }
  return elementwise_inplace(self, {&b}, dt, dt, math_launcher(op, dev));
}

std::optional<BinaryMathOp> rounding_op(const std::optional<std::string>& mode) {
  if (!mode) return std::nullopt;
  if (*mode == "trunc") return BinaryMathOp::DivTrunc;
  if (*mode == "floor") return BinaryMathOp::DivFloor;
  PE_ERROR("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '", *mode, "'");
}

// pow's special cases: integer bases with a negative integer exponent, and bool ** bool.
bool pow_special(const TensorOrScalar& a, const TensorOrScalar& b, DType dt, Tensor* result) {
  if (b.is_scalar && is_integral(dt, false) && b.scalar.is_integral())
    PE_CHECK(b.scalar.to_int64() >= 0, "Integers to negative integer powers are not allowed.");
  if (dt != DType::Bool) return false;
  PE_CHECK_T(NotImplementedError, b.is_scalar && !a.is_scalar, "\"pow\" not implemented for 'Bool'");
  // x ** True is x, x ** False is all True
  *result = b.scalar.to_bool() ? clone(a.tensor) : full(a.tensor.sizes(), Scalar(true),
                                                         TensorOptions{DType::Bool, a.tensor.device()});
  return true;
}

// PyTorch computes x ** 0.5 as sqrt(x) and x ** -0.5 as rsqrt(x) when the exponent is a number:
// the same values as pow except at -inf (nan, where pow gives inf / 0) and rsqrt(-0) = -inf.
bool pow_root(const TensorOrScalar& a, const TensorOrScalar& b, double* e) {
  if (a.is_scalar || !b.is_scalar || !b.scalar.is_floating() || b.scalar.is_complex() ||
      !is_floating(a.tensor.dtype()))
    return false;
  *e = b.scalar.to_double();
  return *e == 0.5 || *e == -0.5;
}

}  // namespace

#define PE_DEFINE_BINARY_MATH(name, Enum)                                                                   \
  Tensor name(const TensorOrScalar& a, const TensorOrScalar& b) { return binary_math(a, b, BinaryMathOp::Enum); } \
  Tensor& name##_(Tensor& a, const TensorOrScalar& b) { return binary_math_(a, b, BinaryMathOp::Enum); }
PE_DEFINE_BINARY_MATH(floor_divide, DivFloor)
PE_DEFINE_BINARY_MATH(remainder, Remainder)
PE_DEFINE_BINARY_MATH(fmod, Fmod)
PE_DEFINE_BINARY_MATH(atan2, Atan2)
PE_DEFINE_BINARY_MATH(maximum, Maximum)
PE_DEFINE_BINARY_MATH(minimum, Minimum)
PE_DEFINE_BINARY_MATH(fmax, Fmax)
PE_DEFINE_BINARY_MATH(fmin, Fmin)
PE_DEFINE_BINARY_MATH(bitwise_and, BitwiseAnd)
PE_DEFINE_BINARY_MATH(bitwise_or, BitwiseOr)
PE_DEFINE_BINARY_MATH(bitwise_xor, BitwiseXor)
PE_DEFINE_BINARY_MATH(bitwise_left_shift, LeftShift)
PE_DEFINE_BINARY_MATH(bitwise_right_shift, RightShift)
#undef PE_DEFINE_BINARY_MATH

Tensor pow(const TensorOrScalar& a, const TensorOrScalar& b) {
  DType dt = ew::result_type(a, b);
  ew::check_scalar_arg(b, dt);
  Tensor r;
  if (pow_special(a, b, dt, &r)) return r;
  double e;
  if (pow_root(a, b, &e)) return e > 0 ? sqrt(a.tensor) : rsqrt(a.tensor);
  return binary_math(a, b, BinaryMathOp::Pow);
}
Tensor& pow_(Tensor& a, const TensorOrScalar& b) {
  TensorOrScalar s(a);
  DType dt = ew::result_type(s, b);
  ew::check_scalar_arg(b, dt);
  Tensor r;
  if (pow_special(s, b, dt, &r)) return copy_(a, r);
  double e;
  if (pow_root(s, b, &e)) return e > 0 ? sqrt_(a) : rsqrt_(a);
  return binary_math_(a, b, BinaryMathOp::Pow);
}

// float_power: pow computed in float64.
Tensor float_power(const TensorOrScalar& a, const TensorOrScalar& b) {
  Device dev = ew::common_device({&a, &b});
  return elementwise_out({&a, &b}, DType::Float64, DType::Float64, math_launcher(BinaryMathOp::Pow, dev));
}
Tensor& float_power_(Tensor& a, const TensorOrScalar& b) {
  PE_CHECK(a.dtype() == DType::Float64, "the base given to float_power_ has dtype ", ew::type_name(a.dtype()),
           " but the operation's result requires dtype Double");
  return elementwise_inplace(a, {&b}, DType::Float64, DType::Float64, math_launcher(BinaryMathOp::Pow, a.device()));
}

// ---- add/sub/mul/div ----
namespace {

void check_alpha(DType dt, const Scalar& alpha) {
  PE_CHECK(is_complex(dt) || !alpha.is_complex(),
           "For non-complex input tensors, argument alpha must not be a complex number.");
  PE_CHECK(!(is_integral(dt, true) && alpha.is_floating()),
           "For integral input tensors, argument alpha must not be a floating point number.");
  PE_CHECK(!(dt == DType::Bool && alpha.is_integral() && alpha.to_int64() != 0 && alpha.to_int64() != 1),
           "Boolean alpha only supported for Boolean results.");
}

// A Python bool counts as a bool operand (its natural dtype), as in PyTorch.
void check_sub(DType a, DType b) {
  PE_CHECK(!(a == DType::Bool && b == DType::Bool),
           "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` "
           "operator instead.");
  PE_CHECK(a != DType::Bool && b != DType::Bool,
           "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, "
           "use the `~` or `logical_not()` operator instead.");
}

bool is_one(const Scalar& s) {
  if (s.is_complex()) return s.to_complex() == std::complex<double>(1.0, 0.0);
  return s.is_floating() ? s.to_double() == 1.0 : s.to_int64() == 1;
}

Scalar negate(const Scalar& s) {
  if (s.is_complex()) return Scalar(-s.to_complex());
  if (s.is_floating()) return Scalar(-s.to_double());
  return Scalar(static_cast<int64_t>(0 - static_cast<uint64_t>(s.to_int64())));  // wraps for INT64_MIN
}

// The kernel of add/sub/mul/div: the plain op, or a + alpha * b (a - b is a + (-alpha) * b) when
// add/sub have an alpha other than 1 (the same values, one multiply more).
auto arith_launcher(BinaryMathOp op, const Scalar& alpha, Device dev) {
  const bool scaled = (op == BinaryMathOp::Add || op == BinaryMathOp::Sub) && !is_one(alpha);
  const Scalar a = op == BinaryMathOp::Sub ? negate(alpha) : alpha;
  return [op, scaled, a, dev](const TensorIter& it) {
    if (scaled) add_alpha_stub(dev)(it, a);
    else binary_math_stub(dev)(it, op);
  };
}

// The compute dtype of op over operands of result type `common` (true division is floating).
DType arith_dtype(BinaryMathOp op, const TensorOrScalar& a, const TensorOrScalar& b, const Scalar& alpha) {
  DType common = ew::result_type(a, b);
  if (op == BinaryMathOp::Sub) check_sub(a.dtype(), b.dtype());
  if (op == BinaryMathOp::Add || op == BinaryMathOp::Sub) {
    check_alpha(common, alpha);
    // The kernel's alpha (negated for sub) is converted to the dtype with PyTorch's checked conversion.
    check_scalar_fits(op == BinaryMathOp::Sub ? negate(alpha) : alpha, common);
  }
  return op == BinaryMathOp::Div ? ew::float_of(common) : common;
}

Tensor arith(const TensorOrScalar& a, const TensorOrScalar& b, BinaryMathOp op, const Scalar& alpha = Scalar()) {
  DType dt = arith_dtype(op, a, b, alpha);
  return elementwise_out({&a, &b}, dt, dt, arith_launcher(op, alpha, ew::common_device({&a, &b})));
}

Tensor& arith_(Tensor& self, const TensorOrScalar& b, BinaryMathOp op, const Scalar& alpha = Scalar()) {
  TensorOrScalar s(self);
  DType dt = arith_dtype(op, s, b, alpha);
  return elementwise_inplace(self, {&b}, dt, dt, arith_launcher(op, alpha, ew::common_device({&s, &b})));
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b, const Scalar& alpha) { return arith(a, b, BinaryMathOp::Add, alpha); }
Tensor add(const Tensor& a, const Scalar& b, const Scalar& alpha) { return arith(a, b, BinaryMathOp::Add, alpha); }
Tensor add(const TensorOrScalar& a, const TensorOrScalar& b, const Scalar& alpha) {
  return arith(a, b, BinaryMathOp::Add, alpha);
}
Tensor sub(const Tensor& a, const Tensor& b, const Scalar& alpha) { return arith(a, b, BinaryMathOp::Sub, alpha); }
Tensor sub(const Tensor& a, const Scalar& b, const Scalar& alpha) { return arith(a, b, BinaryMathOp::Sub, alpha); }
Tensor sub(const TensorOrScalar& a, const TensorOrScalar& b, const Scalar& alpha) {
  return arith(a, b, BinaryMathOp::Sub, alpha);
}
Tensor rsub(const Tensor& a, const TensorOrScalar& b, const Scalar& alpha) {
  return arith(b, a, BinaryMathOp::Sub, alpha);
}
Tensor mul(const Tensor& a, const Tensor& b) { return arith(a, b, BinaryMathOp::Mul); }
Tensor mul(const Tensor& a, const Scalar& b) { return arith(a, b, BinaryMathOp::Mul); }
Tensor mul(const TensorOrScalar& a, const TensorOrScalar& b) { return arith(a, b, BinaryMathOp::Mul); }
Tensor div(const Tensor& a, const Tensor& b) { return arith(a, b, BinaryMathOp::Div); }
Tensor div(const Tensor& a, const Scalar& b) { return arith(a, b, BinaryMathOp::Div); }
Tensor div(const TensorOrScalar& a, const TensorOrScalar& b, const std::optional<std::string>& rounding_mode) {
  auto op = rounding_op(rounding_mode);
  return op ? binary_math(a, b, *op) : arith(a, b, BinaryMathOp::Div);
}

Tensor& add_(Tensor& a, const Tensor& b, const Scalar& alpha) { return arith_(a, b, BinaryMathOp::Add, alpha); }
Tensor& add_(Tensor& a, const Scalar& b, const Scalar& alpha) { return arith_(a, b, BinaryMathOp::Add, alpha); }
Tensor& sub_(Tensor& a, const Tensor& b, const Scalar& alpha) { return arith_(a, b, BinaryMathOp::Sub, alpha); }
Tensor& sub_(Tensor& a, const Scalar& b, const Scalar& alpha) { return arith_(a, b, BinaryMathOp::Sub, alpha); }
Tensor& mul_(Tensor& a, const Tensor& b) { return arith_(a, b, BinaryMathOp::Mul); }
Tensor& mul_(Tensor& a, const Scalar& b) { return arith_(a, b, BinaryMathOp::Mul); }
Tensor& div_(Tensor& a, const Tensor& b) { return arith_(a, b, BinaryMathOp::Div); }
Tensor& div_(Tensor& a, const Scalar& b) { return arith_(a, b, BinaryMathOp::Div); }
Tensor& div_(Tensor& a, const TensorOrScalar& b, const std::optional<std::string>& rounding_mode) {
  auto op = rounding_op(rounding_mode);
  return op ? binary_math_(a, b, *op) : arith_(a, b, BinaryMathOp::Div);
}

// ---- comparisons and logical ops: computed in the common dtype, bool result ----
namespace {
Tensor compare(const TensorOrScalar& a, const TensorOrScalar& b, CompareOp op) {
  DType dt = ew::result_type(a, b);
  Device dev = ew::common_device({&a, &b});
  return elementwise_out({&a, &b}, dt, DType::Bool, [&](const TensorIter& it) { compare_stub(dev)(it, op); });
}
Tensor& compare_(Tensor& self, const TensorOrScalar& b, CompareOp op) {
  TensorOrScalar s(self);
  DType dt = ew::result_type(s, b);
  Device dev = ew::common_device({&s, &b});
  return elementwise_inplace(self, {&b}, dt, DType::Bool, [&](const TensorIter& it) { compare_stub(dev)(it, op); });
}
}  // namespace

#define PE_DEFINE_COMPARE(name, Enum)                                                                     \
  Tensor name(const TensorOrScalar& a, const TensorOrScalar& b) { return compare(a, b, CompareOp::Enum); } \
  Tensor& name##_(Tensor& a, const TensorOrScalar& b) { return compare_(a, b, CompareOp::Enum); }
PE_FORALL_COMPARE_NAMES(PE_DEFINE_COMPARE)
#undef PE_DEFINE_COMPARE

// logical ops: the operands as bool (x != 0), then the bitwise op on bool.
#define PE_DEFINE_LOGICAL(name, Enum)                                                                     \
  Tensor name(const TensorOrScalar& a, const TensorOrScalar& b) {                                       \
    return elementwise_out({&a, &b}, DType::Bool, DType::Bool,                                          \
                           math_launcher(BinaryMathOp::Enum, ew::common_device({&a, &b})));             \
  }                                                                                                     \
  Tensor& name##_(Tensor& a, const TensorOrScalar& b) {                                                 \
    return elementwise_inplace(a, {&b}, DType::Bool, DType::Bool, math_launcher(BinaryMathOp::Enum, a.device())); \
  }
PE_FORALL_LOGICAL_NAMES(PE_DEFINE_LOGICAL)
#undef PE_DEFINE_LOGICAL

}  // namespace pe
