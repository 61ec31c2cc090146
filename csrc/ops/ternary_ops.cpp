// where, clamp (scalar or tensor bounds, clamp_min/clamp_max are one-sided clamps) and lerp, with
// PyTorch's promotion over all their operands and its dtype checks.
#include "ops/elementwise_util.h"

namespace pe {

using ew::elementwise_inplace;
using ew::elementwise_out;

Tensor where(const Tensor& cond, const TensorOrScalar& a, const TensorOrScalar& b) {
  PE_CHECK(cond.dtype() == DType::Bool || cond.dtype() == DType::UInt8,
           "where expected condition to be a boolean tensor, but got a tensor with dtype ", ew::type_name(cond.dtype()));
  DType dt = ew::result_type(a, b);
  ew::check_scalar_arg(a, dt);
  ew::check_scalar_arg(b, dt);
  TensorOrScalar c(cond.dtype() == DType::Bool ? cond : to(cond, DType::Bool, std::nullopt));
  Device dev = ew::common_device({&c, &a, &b});
  DimVector shape = ew::broadcast_shape({&c, &a, &b});
  Tensor out = ew::empty_output(shape, dt, dev, {&a, &b, &c});
  if (out.numel() == 0) return out;
  TensorIter it({out}, {ew::materialize(c, DType::Bool, dev), ew::materialize(a, dt, dev), ew::materialize(b, dt, dev)});
  ternary_stub(dev)(it, TernaryOp::Where);
  return out;
}

namespace {

struct ClampPlan {
  DType dt;
  std::optional<BinaryMathOp> one_sided;  // clamp_min = maximum, clamp_max = minimum
};

ClampPlan plan_clamp(const Tensor& a, const std::optional<TensorOrScalar>& min, const std::optional<TensorOrScalar>& max) {
  PE_CHECK(min || max, "torch.clamp: At least one of 'min' or 'max' must not be None");
  TensorOrScalar x(a);
  DType dt = min && max ? ew::result_type({&x, &*min, &*max}) : ew::result_type(x, min ? *min : *max);
  if (dt == DType::Bool) {  // PyTorch: only a one-sided clamp by a tensor exists for bool
    bool numbers = (!min || min->is_scalar) && (!max || max->is_scalar);
    if (numbers) ew::not_implemented(min && max ? "clamp_scalar_cpu" : min ? "clamp_min_scalar_cpu" : "clamp_max_scalar_cpu", dt);
    if (min && max) ew::not_implemented("clamp_cpu", dt);
  }
  if (min) ew::check_scalar_arg(*min, dt);
  if (max) ew::check_scalar_arg(*max, dt);
  ClampPlan p{dt, std::nullopt};
  if (!(min && max)) p.one_sided = min ? BinaryMathOp::Maximum : BinaryMathOp::Minimum;
  return p;
}

}  // namespace

Tensor clamp(const Tensor& a, const std::optional<TensorOrScalar>& min, const std::optional<TensorOrScalar>& max) {
  ClampPlan p = plan_clamp(a, min, max);
  TensorOrScalar x(a);
  Device dev = a.device();
  if (p.one_sided) {
    const TensorOrScalar& bound = min ? *min : *max;
    return elementwise_out({&x, &bound}, p.dt, p.dt,
                           [&](const TensorIter& it) { binary_math_stub(dev)(it, *p.one_sided); });
  }
  return elementwise_out({&x, &*min, &*max}, p.dt, p.dt,
                         [&](const TensorIter& it) { ternary_stub(dev)(it, TernaryOp::Clamp); });
}

Tensor& clamp_(Tensor& a, const std::optional<TensorOrScalar>& min, const std::optional<TensorOrScalar>& max) {
  ClampPlan p = plan_clamp(a, min, max);
  Device dev = a.device();
  if (p.one_sided) {
    const TensorOrScalar& bound = min ? *min : *max;
    return elementwise_inplace(a, {&bound}, p.dt, p.dt,
                               [&](const TensorIter& it) { binary_math_stub(dev)(it, *p.one_sided); });
  }
  return elementwise_inplace(a, {&*min, &*max}, p.dt, p.dt,
                             [&](const TensorIter& it) { ternary_stub(dev)(it, TernaryOp::Clamp); });
}

namespace {
// lerp needs start, end (and a tensor weight) of one floating dtype; a number weight is fine.
void check_lerp(const Tensor& start, const Tensor& end, const TensorOrScalar& w) {
  PE_CHECK(end.dtype() == start.dtype(), "expected dtype ", ew::type_name(start.dtype()) , " for `end` but got dtype ",
           ew::type_name(end.dtype()));
  if (!w.is_scalar && w.tensor.dim() > 0)
    PE_CHECK(w.tensor.dtype() == start.dtype(), "expected dtype ", ew::type_name(start.dtype()),
             " for `weight` but got dtype ", ew::type_name(w.tensor.dtype()));
  if (!is_floating(start.dtype())) ew::not_implemented(w.is_scalar ? "lerp_kernel_scalar" : "lerp_kernel_tensor", start.dtype());
}
}  // namespace

Tensor lerp(const Tensor& start, const Tensor& end, const TensorOrScalar& weight) {
  check_lerp(start, end, weight);
  TensorOrScalar s(start), e(end);
  DType dt = start.dtype();
  Device dev = ew::common_device({&s, &e, &weight});
  return elementwise_out({&s, &e, &weight}, dt, dt, [&](const TensorIter& it) { ternary_stub(dev)(it, TernaryOp::Lerp); });
}

Tensor& lerp_(Tensor& start, const Tensor& end, const TensorOrScalar& weight) {
  check_lerp(start, end, weight);
  TensorOrScalar e(end);
  DType dt = start.dtype();
  return elementwise_inplace(start, {&e, &weight}, dt, dt,
                             [&](const TensorIter& it) { ternary_stub(start.device())(it, TernaryOp::Lerp); });
}

}  // namespace pe
