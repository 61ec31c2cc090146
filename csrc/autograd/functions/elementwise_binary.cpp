// Backward formulas and differentiable wrappers of the binary elementwise ops: pow (tensor^scalar
// PowBackward0, tensor^tensor PowBackward1, scalar^tensor PowBackward2), float_power (pow in
// float64, as PyTorch composes it), atan2, fmod/remainder (gradient 1 for self, -trunc|floor(a/b)
// for other), floor_divide (PyTorch has no derivative: backward raises), maximum/minimum (ties:
// half to each) and fmax/fmin (NaN-aware). Broadcasting and type promotion are undone by
// reduce_grad. A Python-number operand has no gradient edge.
#include <cmath>
#include <limits>

#include "autograd/functions/basic_nodes.h"
#include "autograd/ops_basic.h"
#include "autograd/ops_elementwise.h"
#include "autograd/saved_variable.h"

namespace pe::autograd {

using ew_detail::tensor_ptr;

namespace {

const Scalar kZero(0.0);

Scalar minus_one(const Scalar& s) {
  return s.is_floating() ? Scalar(s.to_double() - 1.0) : Scalar(s.to_int64() - 1);
}

// ---- pow ----
// d/dself self^e = e * self^(e-1); zero for e == 0 (also at self == 0).
struct PowBackward0 : Node {
  SavedVariable self_;
  Scalar exponent_;
  InputMeta self_info_;
  std::string name() const override { return "PowBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (!should_compute_output(0)) return r;
    Tensor self = self_.unpack();
    if (exponent_.to_double() == 0.0) {
      r[0] = reduce_grad(ew_detail::zeros_like(g[0]), self_info_);
    } else {
      Tensor d = autograd::mul(autograd::pow(self, minus_one(exponent_)), exponent_);
      r[0] = reduce_grad(autograd::mul(g[0], d), self_info_);
    }
    return r;
  }
  void release_variables() override { self_.reset_data(); }
};

// self^exponent, both tensors: d/dself as above (zero where exponent == 0), d/dexponent
// result * log(self), zero where self == 0 and exponent >= 0 (the limit PyTorch uses).
struct PowBackward1 : Node {
  SavedVariable self_, exponent_, result_;
  InputMeta self_info_, exponent_info_;
  std::string name() const override { return "PowBackward1"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    Tensor self = self_.unpack(), e = exponent_.unpack();
    if (should_compute_output(0)) {
      Tensor d = autograd::mul(autograd::mul(g[0], e), autograd::pow(self, autograd::sub(e, Scalar(int64_t(1)))));
      r[0] = reduce_grad(autograd::where(::pe::eq(e, Scalar(0.0)), kZero, d), self_info_);
    }
    if (should_compute_output(1)) {
      Tensor cond = ::pe::logical_and(::pe::eq(self, Scalar(0.0)), ::pe::ge(e, Scalar(0.0)));
      Tensor d = autograd::where(cond, kZero, autograd::mul(result_.unpack(), autograd::log(self)));
      r[1] = reduce_grad(autograd::mul(g[0], d), exponent_info_);
    }
    return r;
  }
  void release_variables() override {
    self_.reset_data();
    exponent_.reset_data();
    result_.reset_data();
  }
};

// base^exponent with a number base: d/dexponent result * log(base) (zero for base == 0 and
// exponent >= 0). One edge, the exponent's, as PyTorch.
struct PowBackward2 : Node {
  SavedVariable exponent_, result_;
  Scalar base_;
  InputMeta exponent_info_;
  std::string name() const override { return "PowBackward2"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (!should_compute_output(0)) return r;
    double b = base_.to_double();
    Tensor d = autograd::mul(g[0], autograd::mul(result_.unpack(), Scalar(std::log(b))));
    if (b == 0.0) d = autograd::where(::pe::ge(exponent_.unpack(), Scalar(0.0)), kZero, d);
    r[0] = reduce_grad(d, exponent_info_);
    return r;
  }
  void release_variables() override {
    exponent_.reset_data();
    result_.reset_data();
  }
};

// ---- atan2 ----
struct Atan2Backward0 : Node {
  SavedVariable self_, other_;
  InputMeta self_info_, other_info_;
  std::string name() const override { return "Atan2Backward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    Tensor a = self_.unpack(), b = other_.unpack();
    Tensor recip = autograd::reciprocal(autograd::add(autograd::mul(a, a), autograd::mul(b, b)));
    if (should_compute_output(0)) r[0] = reduce_grad(autograd::mul(autograd::mul(g[0], b), recip), self_info_);
    if (should_compute_output(1))
      r[1] = reduce_grad(autograd::mul(autograd::mul(g[0], autograd::neg(a)), recip), other_info_);
    return r;
  }
  void release_variables() override {
    self_.reset_data();
    other_.reset_data();
  }
};

// ---- fmod / remainder: a - b * trunc|floor(a / b) ----
struct ModBackward : Node {
  const char* name_ = "";
  const char* rounding_ = "trunc";
  SavedVariable self_, other_;
  bool other_is_tensor_ = false;
  InputMeta self_info_, other_info_;
  std::string name() const override { return name_; }
  variable_list apply(variable_list&& g) override {
    variable_list r(other_is_tensor_ ? 2 : 1);
    if (should_compute_output(0)) r[0] = reduce_grad(g[0], self_info_);
    if (other_is_tensor_ && should_compute_output(1)) {
      Tensor q = autograd::div(self_.unpack(), other_.unpack(), std::string(rounding_));
      r[1] = reduce_grad(autograd::mul(autograd::neg(g[0]), q), other_info_);
    }
    return r;
  }
  void release_variables() override {
    self_.reset_data();
    other_.reset_data();
  }
};

// Ops PyTorch has no derivative for (floor_divide; remainder with a number dividend): backward
// through them raises.
std::shared_ptr<Node> not_implemented(const char* op, std::initializer_list<const Tensor*> inputs) {
  return make_node<NotImplementedBackward>(inputs, op);
}

// ---- maximum / minimum / fmax / fmin ----
enum class Ext : int8_t { Maximum, Minimum, Fmax, Fmin };
struct ExtremumBackward : Node {
  Ext kind_ = Ext::Maximum;
  SavedVariable self_, other_;
  InputMeta self_info_, other_info_;
  std::string name() const override {
    switch (kind_) {
      case Ext::Maximum: return "MaximumBackward0";
      case Ext::Minimum: return "MinimumBackward0";
      case Ext::Fmax: return "FmaxBackward0";
      default: return "FminBackward0";
    }
  }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    Tensor a = self_.unpack(), b = other_.unpack();
    if (kind_ == Ext::Maximum || kind_ == Ext::Minimum) {
      // where(a == b, g / 2, g), zeroed where the other side wins (NaN: both get g, as PyTorch).
      Tensor shared = autograd::where(::pe::eq(a, b), autograd::div(g[0], Scalar(int64_t(2))), g[0]);
      bool mx = kind_ == Ext::Maximum;
      if (should_compute_output(0))
        r[0] = reduce_grad(autograd::where(mx ? ::pe::lt(a, b) : ::pe::gt(a, b), kZero, shared), self_info_);
      if (should_compute_output(1))
        r[1] = reduce_grad(autograd::where(mx ? ::pe::gt(a, b) : ::pe::lt(a, b), kZero, shared), other_info_);
    } else {
      // self takes the gradient where it was chosen: self >= other (<= for fmin) or other is NaN.
      Tensor self_wins = ::pe::logical_or(kind_ == Ext::Fmax ? ::pe::ge(a, b) : ::pe::le(a, b), ::pe::isnan(b));
      if (should_compute_output(0)) r[0] = reduce_grad(autograd::where(self_wins, g[0], kZero), self_info_);
      if (should_compute_output(1)) r[1] = reduce_grad(autograd::where(self_wins, kZero, g[0]), other_info_);
    }
    return r;
  }
  void release_variables() override {
    self_.reset_data();
    other_.reset_data();
  }
};

Tensor extremum(const TensorOrScalar& a, const TensorOrScalar& b, Ext kind, const Tensor& r) {
  if (auto n = make_node<ExtremumBackward>({tensor_ptr(a), tensor_ptr(b)})) {
    PE_CHECK(!a.is_scalar && !b.is_scalar, "maximum/minimum: expected two tensors");
    n->kind_ = kind;
    n->self_ = SavedVariable(a.tensor, false);
    n->other_ = SavedVariable(b.tensor, false);
    n->self_info_ = input_info(a.tensor);
    n->other_info_ = input_info(b.tensor);
    set_history(r, n);
  }
  return r;
}

// Records the pow node fitting the operands (r = a ** b); `old_self` is a's value before an
// in-place pow (a itself otherwise).
std::shared_ptr<Node> record_pow(const TensorOrScalar& a, const TensorOrScalar& b, const Tensor& old_self) {
  if (b.is_scalar) {
    auto n = make_node<PowBackward0>({&a.tensor});
    if (n) {
      n->self_ = SavedVariable(old_self, false);
      n->exponent_ = b.scalar;
      n->self_info_ = input_info(a.tensor);
    }
    return n;
  }
  if (a.is_scalar) {
    auto n = make_node<PowBackward2>({&b.tensor});
    if (n) {
      n->base_ = a.scalar;
      n->exponent_ = SavedVariable(b.tensor, false);
      n->exponent_info_ = input_info(b.tensor);
    }
    return n;
  }
  auto n = make_node<PowBackward1>({&a.tensor, &b.tensor});
  if (n) {
    n->self_ = SavedVariable(old_self, false);
    n->exponent_ = SavedVariable(b.tensor, false);
    n->self_info_ = input_info(a.tensor);
    n->exponent_info_ = input_info(b.tensor);
  }
  return n;
}
void save_pow_result(const std::shared_ptr<Node>& n, const Tensor& r) {
  if (auto p1 = std::dynamic_pointer_cast<PowBackward1>(n)) p1->result_ = SavedVariable(r, true);
  if (auto p2 = std::dynamic_pointer_cast<PowBackward2>(n)) p2->result_ = SavedVariable(r, true);
}

std::shared_ptr<Node> record_mod(const TensorOrScalar& a, const TensorOrScalar& b, bool is_fmod,
                                 const Tensor& old_self) {
  if (a.is_scalar) return not_implemented(is_fmod ? "fmod" : "remainder", {&b.tensor});
  std::shared_ptr<ModBackward> n =
      b.is_scalar ? make_node<ModBackward>({&a.tensor}) : make_node<ModBackward>({&a.tensor, &b.tensor});
  if (!n) return n;
  n->name_ = is_fmod ? (b.is_scalar ? "FmodBackward0" : "FmodBackward1")
                     : (b.is_scalar ? "RemainderBackward0" : "RemainderBackward1");
  n->rounding_ = is_fmod ? "trunc" : "floor";
  n->self_info_ = input_info(a.tensor);
  if (!b.is_scalar) {
    n->other_is_tensor_ = true;
    n->other_info_ = input_info(b.tensor);
    if (requires_grad(b.tensor)) {  // only d/dother needs the values
      n->other_ = SavedVariable(b.tensor, false);
      n->self_ = SavedVariable(old_self, false);
    }
  }
  return n;
}

Tensor float64_operand_tensor(const Tensor& t) {
  return t.dtype() == DType::Float64 ? t : autograd::to(t, DType::Float64, std::nullopt, false);
}
TensorOrScalar float64_operand(const TensorOrScalar& x) {
  if (x.is_scalar) return TensorOrScalar(Scalar(x.scalar.to_double()));
  return TensorOrScalar(float64_operand_tensor(x.tensor));
}

}  // namespace

Tensor pow(const TensorOrScalar& a, const TensorOrScalar& b) {
  Tensor r = ::pe::pow(a, b);
  if (auto n = record_pow(a, b, a.tensor)) {
    set_history(r, n);
    save_pow_result(n, r);
  }
  return r;
}
Tensor& pow_(Tensor& a, const TensorOrScalar& b) {
  check_inplace(a);
  bool needs_old = compute_requires_grad({&a, tensor_ptr(b)});
  auto n = record_pow(TensorOrScalar(a), b, needs_old ? ::pe::clone(a) : Tensor());
  ::pe::pow_(a, b);
  if (n) {
    rebase_history(a, n);
    save_pow_result(n, a);
  }
  return a;
}

// PyTorch composes float_power as pow in float64 (the casts record ToCopyBackward0).
Tensor float_power(const TensorOrScalar& a, const TensorOrScalar& b) {
  if (!compute_requires_grad({tensor_ptr(a), tensor_ptr(b)})) return ::pe::float_power(a, b);
  return autograd::pow(float64_operand(a), float64_operand(b));
}
Tensor& float_power_(Tensor& a, const TensorOrScalar& b) {
  if (!compute_requires_grad({&a, tensor_ptr(b)}) || a.dtype() != DType::Float64)
    return ::pe::float_power_(a, b);  // also raises PyTorch's dtype error
  return autograd::pow_(a, float64_operand(b));
}

Tensor atan2(const TensorOrScalar& a, const TensorOrScalar& b) {
  Tensor r = ::pe::atan2(a, b);
  if (auto n = make_node<Atan2Backward0>({tensor_ptr(a), tensor_ptr(b)})) {
    PE_CHECK(!a.is_scalar && !b.is_scalar, "atan2: expected two tensors");
    n->self_ = SavedVariable(a.tensor, false);
    n->other_ = SavedVariable(b.tensor, false);
    n->self_info_ = input_info(a.tensor);
    n->other_info_ = input_info(b.tensor);
    set_history(r, n);
  }
  return r;
}
Tensor& atan2_(Tensor& a, const TensorOrScalar& b) {
  check_inplace(a);
  auto n = make_node<Atan2Backward0>({&a, tensor_ptr(b)});
  if (n) {
    PE_CHECK(!b.is_scalar, "atan2_: expected a tensor");
    n->self_ = SavedVariable(::pe::clone(a), false);
    n->other_ = SavedVariable(b.tensor, false);
    n->self_info_ = input_info(a);
    n->other_info_ = input_info(b.tensor);
  }
  ::pe::atan2_(a, b);
  if (n) rebase_history(a, n);
  return a;
}

#define PE_AG_MOD(name, is_fmod)                                                              \
  Tensor name(const TensorOrScalar& a, const TensorOrScalar& b) {                             \
    Tensor r = ::pe::name(a, b);                                                              \
    if (auto n = record_mod(a, b, is_fmod, a.tensor)) set_history(r, n);                      \
    return r;                                                                                 \
  }                                                                                           \
  Tensor& name##_(Tensor& a, const TensorOrScalar& b) {                                       \
    check_inplace(a);                                                                         \
    bool needs_old = !b.is_scalar && compute_requires_grad({&b.tensor});                      \
    auto n = record_mod(TensorOrScalar(a), b, is_fmod, needs_old ? ::pe::clone(a) : Tensor()); \
    ::pe::name##_(a, b);                                                                      \
    if (n) rebase_history(a, n);                                                              \
    return a;                                                                                 \
  }
PE_AG_MOD(fmod, true)
PE_AG_MOD(remainder, false)
#undef PE_AG_MOD

Tensor floor_divide(const TensorOrScalar& a, const TensorOrScalar& b) {
  Tensor r = ::pe::floor_divide(a, b);
  if (auto n = not_implemented("floor_divide", {tensor_ptr(a), tensor_ptr(b)})) set_history(r, n);
  return r;
}
Tensor& floor_divide_(Tensor& a, const TensorOrScalar& b) {
  check_inplace(a);
  auto n = not_implemented("floor_divide", {&a, tensor_ptr(b)});
  ::pe::floor_divide_(a, b);
  if (n) rebase_history(a, n);
  return a;
}

Tensor maximum(const TensorOrScalar& a, const TensorOrScalar& b) { return extremum(a, b, Ext::Maximum, ::pe::maximum(a, b)); }
Tensor minimum(const TensorOrScalar& a, const TensorOrScalar& b) { return extremum(a, b, Ext::Minimum, ::pe::minimum(a, b)); }
Tensor fmax(const TensorOrScalar& a, const TensorOrScalar& b) { return extremum(a, b, Ext::Fmax, ::pe::fmax(a, b)); }
Tensor fmin(const TensorOrScalar& a, const TensorOrScalar& b) { return extremum(a, b, Ext::Fmin, ::pe::fmin(a, b)); }

}  // namespace pe::autograd
