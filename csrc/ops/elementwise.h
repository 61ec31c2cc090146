// The elementwise op library beyond add/sub/mul/div (ops.h): unary math, rounding, comparisons,
// logical and bitwise ops, division variants, pow, min/max, where, clamp, lerp. Every op follows
// PyTorch's type promotion (ops/elementwise_util.h) and broadcasting; `f_` forms write into self
// (the result type must be castable to self's dtype, as in PyTorch).
#pragma once
#include <optional>
#include <string>

#include "ops/elementwise_stubs.h"
#include "ops/ops.h"

namespace pe {

// A binary operand: a tensor, or a Python number (PyTorch's "wrapped number", which has the lowest
// priority in type promotion: int_tensor + 2.5 is float32, uint8_tensor + 300 stays uint8).
struct TensorOrScalar {
  Tensor tensor;
  Scalar scalar;
  bool is_scalar = false;
  TensorOrScalar(const Tensor& t) : tensor(t) {}  // NOLINT: implicit on purpose
  TensorOrScalar(const Scalar& s) : scalar(s), is_scalar(true) {}  // NOLINT
  DType dtype() const { return is_scalar ? scalar.natural_dtype() : tensor.dtype(); }
};

// ---- unary math: float ops promote integer/bool inputs to the default float dtype ----
#define PE_DECLARE_UNARY(Name, name, expr) \
  Tensor name(const Tensor& a);            \
  Tensor& name##_(Tensor& a);
PE_FORALL_UNARY_FLOAT_OPS(PE_DECLARE_UNARY)
PE_FORALL_ROUNDING_OPS(PE_DECLARE_UNARY)
PE_DECLARE_UNARY(Sign, sign, )
PE_DECLARE_UNARY(Relu, relu, )
PE_DECLARE_UNARY(BitwiseNot, bitwise_not, )
PE_DECLARE_UNARY(Square, square, )
PE_DECLARE_UNARY(LogicalNot, logical_not, )
#undef PE_DECLARE_UNARY
Tensor round(const Tensor& a, int64_t decimals);
Tensor& round_(Tensor& a, int64_t decimals);
Tensor positive(const Tensor& a);  // a itself (bool raises)
Tensor isnan(const Tensor& a);
Tensor isinf(const Tensor& a);
Tensor isfinite(const Tensor& a);
Tensor nan_to_num(const Tensor& a, std::optional<double> nan, std::optional<double> posinf,
                  std::optional<double> neginf);
Tensor& nan_to_num_(Tensor& a, std::optional<double> nan, std::optional<double> posinf,
                    std::optional<double> neginf);

// ---- binary ops (either operand may be a Python number where PyTorch allows it) ----
// rounding_mode: none (true division), "trunc" or "floor".
Tensor div(const TensorOrScalar& a, const TensorOrScalar& b, const std::optional<std::string>& rounding_mode);
Tensor& div_(Tensor& a, const TensorOrScalar& b, const std::optional<std::string>& rounding_mode);
Tensor add(const TensorOrScalar& a, const TensorOrScalar& b, const Scalar& alpha);
Tensor sub(const TensorOrScalar& a, const TensorOrScalar& b, const Scalar& alpha);
Tensor rsub(const Tensor& a, const TensorOrScalar& b, const Scalar& alpha);  // b - alpha * a
Tensor mul(const TensorOrScalar& a, const TensorOrScalar& b);

#define PE_FORALL_BINARY_MATH_NAMES(_)                                                         \
  _(floor_divide, DivFloor) _(remainder, Remainder) _(fmod, Fmod) _(pow, Pow) _(atan2, Atan2) \
  _(maximum, Maximum) _(minimum, Minimum) _(fmax, Fmax) _(fmin, Fmin)                           \
  _(bitwise_and, BitwiseAnd) _(bitwise_or, BitwiseOr) _(bitwise_xor, BitwiseXor)                \
  _(bitwise_left_shift, LeftShift) _(bitwise_right_shift, RightShift)
#define PE_FORALL_COMPARE_NAMES(_) _(eq, Eq) _(ne, Ne) _(lt, Lt) _(le, Le) _(gt, Gt) _(ge, Ge)
#define PE_FORALL_LOGICAL_NAMES(_) _(logical_and, BitwiseAnd) _(logical_or, BitwiseOr) _(logical_xor, BitwiseXor)
#define PE_DECLARE_BINARY(name, Enum)                                  \
  Tensor name(const TensorOrScalar& a, const TensorOrScalar& b);       \
  Tensor& name##_(Tensor& a, const TensorOrScalar& b);
PE_FORALL_BINARY_MATH_NAMES(PE_DECLARE_BINARY)
PE_FORALL_COMPARE_NAMES(PE_DECLARE_BINARY)
PE_FORALL_LOGICAL_NAMES(PE_DECLARE_BINARY)
PE_DECLARE_BINARY(float_power, )
#undef PE_DECLARE_BINARY

// ---- ternary ----
Tensor where(const Tensor& cond, const TensorOrScalar& a, const TensorOrScalar& b);
Tensor clamp(const Tensor& a, const std::optional<TensorOrScalar>& min, const std::optional<TensorOrScalar>& max);
Tensor& clamp_(Tensor& a, const std::optional<TensorOrScalar>& min, const std::optional<TensorOrScalar>& max);
Tensor lerp(const Tensor& start, const Tensor& end, const TensorOrScalar& weight);
Tensor& lerp_(Tensor& start, const Tensor& end, const TensorOrScalar& weight);

}  // namespace pe
