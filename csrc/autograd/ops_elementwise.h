// Differentiable wrappers (Note [Recording] in autograd/variable.h) of the elementwise op library
// (ops/elementwise.h) beyond add/sub/mul/div/neg (autograd/ops_basic.h): unary math and rounding,
// pow/float_power, atan2, fmod/remainder/floor_divide, maximum/minimum/fmax/fmin, where, clamp,
// lerp, nan_to_num, with their in-place forms. Same names and arguments as the plain ops; call
// them qualified (autograd::exp), since argument-dependent lookup would also find pe::exp.
// Formulas: autograd/functions/elementwise_unary.cpp, elementwise_binary.cpp, elementwise_ternary.cpp.
#pragma once
#include <optional>

#include "autograd/variable.h"
#include "ops/elementwise.h"

namespace pe::autograd {

// ---- unary (elementwise_unary.cpp) ----
#define PE_AG_DECLARE_UNARY(Name, name, expr) \
  Tensor name(const Tensor& a);               \
  Tensor& name##_(Tensor& a);
PE_FORALL_UNARY_FLOAT_OPS(PE_AG_DECLARE_UNARY)
PE_FORALL_ROUNDING_OPS(PE_AG_DECLARE_UNARY)
PE_AG_DECLARE_UNARY(Sign, sign, )
PE_AG_DECLARE_UNARY(Relu, relu, )
PE_AG_DECLARE_UNARY(Square, square, )
PE_AG_DECLARE_UNARY(Abs, abs, )
#undef PE_AG_DECLARE_UNARY
Tensor round(const Tensor& a, int64_t decimals);
Tensor& round_(Tensor& a, int64_t decimals);
Tensor nan_to_num(const Tensor& a, std::optional<double> nan, std::optional<double> posinf,
                  std::optional<double> neginf);
Tensor& nan_to_num_(Tensor& a, std::optional<double> nan, std::optional<double> posinf,
                    std::optional<double> neginf);

// ---- binary (elementwise_binary.cpp) ----
#define PE_AG_DECLARE_BINARY(name)                               \
  Tensor name(const TensorOrScalar& a, const TensorOrScalar& b); \
  Tensor& name##_(Tensor& a, const TensorOrScalar& b);
PE_AG_DECLARE_BINARY(pow)
PE_AG_DECLARE_BINARY(float_power)
PE_AG_DECLARE_BINARY(atan2)
PE_AG_DECLARE_BINARY(fmod)
PE_AG_DECLARE_BINARY(remainder)
PE_AG_DECLARE_BINARY(floor_divide)
#undef PE_AG_DECLARE_BINARY
// No in-place forms in PyTorch.
Tensor maximum(const TensorOrScalar& a, const TensorOrScalar& b);
Tensor minimum(const TensorOrScalar& a, const TensorOrScalar& b);
Tensor fmax(const TensorOrScalar& a, const TensorOrScalar& b);
Tensor fmin(const TensorOrScalar& a, const TensorOrScalar& b);

// ---- ternary (elementwise_ternary.cpp) ----
Tensor where(const Tensor& cond, const TensorOrScalar& a, const TensorOrScalar& b);
Tensor clamp(const Tensor& a, const std::optional<TensorOrScalar>& min, const std::optional<TensorOrScalar>& max);
Tensor& clamp_(Tensor& a, const std::optional<TensorOrScalar>& min, const std::optional<TensorOrScalar>& max);
// clamp with one bound: PyTorch records these as ClampMin/ClampMaxBackward, not ClampBackward.
Tensor clamp_min(const Tensor& a, const TensorOrScalar& min);
Tensor& clamp_min_(Tensor& a, const TensorOrScalar& min);
Tensor clamp_max(const Tensor& a, const TensorOrScalar& max);
Tensor& clamp_max_(Tensor& a, const TensorOrScalar& max);
Tensor lerp(const Tensor& start, const Tensor& end, const TensorOrScalar& weight);
Tensor& lerp_(Tensor& start, const Tensor& end, const TensorOrScalar& weight);

// ---- helpers shared by the formula files ----
namespace ew_detail {
// The tensor of an operand, or null for a Python number (no gradient edge).
inline const Tensor* tensor_ptr(const TensorOrScalar& x) { return x.is_scalar ? nullptr : &x.tensor; }
// Zeros shaped and typed as t (not differentiable: a constant).
Tensor zeros_like(const Tensor& t);
}  // namespace ew_detail

}  // namespace pe::autograd
