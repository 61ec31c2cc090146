// Backward formulas and differentiable wrappers of where, clamp/clamp_min/clamp_max (number bounds:
// ClampBackward1 / ClampMinBackward0 / ClampMaxBackward0; tensor bounds: ClampBackward0 /
// ClampMinBackward1 / ClampMaxBackward1, which also differentiate the bounds) and lerp (number
// weight LerpBackward0, tensor weight LerpBackward1). The gradient passes where the input lies
// within the bounds, inclusive (clamp at the bound passes it), as PyTorch.
#include "autograd/ops_basic.h"
#include "autograd/ops_elementwise.h"
#include "autograd/saved_variable.h"

namespace pe::autograd {

using ew_detail::tensor_ptr;

namespace {

const Scalar kZero(0.0);

// ---- where ----
struct WhereBackward0 : Node {
  SavedVariable cond_;
  InputMeta self_info_, other_info_;
  std::string name() const override { return "WhereBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    Tensor c = cond_.unpack();
    if (should_compute_output(0)) r[0] = reduce_grad(autograd::where(c, g[0], kZero), self_info_);
    if (should_compute_output(1)) r[1] = reduce_grad(autograd::where(c, kZero, g[0]), other_info_);
    return r;
  }
  void release_variables() override { cond_.reset_data(); }
};

// ---- clamp ----
// A bound: a number, a tensor (saved), or absent.
struct Bound {
  bool present = false, is_tensor = false;
  Scalar scalar;
  SavedVariable tensor;
  InputMeta info;
  void set(const std::optional<TensorOrScalar>& b) {
    if (!b) return;
    present = true;
    is_tensor = !b->is_scalar;
    if (is_tensor) {
      tensor = SavedVariable(b->tensor, false);
      info = input_info(b->tensor);
    } else {
      scalar = b->scalar;
    }
  }
  TensorOrScalar value() const { return is_tensor ? TensorOrScalar(tensor.unpack()) : TensorOrScalar(scalar); }
};

// a < b for two bounds, either of which may be a number.
Tensor less(const TensorOrScalar& a, const TensorOrScalar& b) {
  return a.is_scalar ? ::pe::gt(b, a) : ::pe::lt(a, b);
}

// Edges: self, min, max (a number or absent bound has an invalid edge). `name_` tells which of
// PyTorch's clamp nodes this is; the formula is the same.
struct ClampNode : Node {
  const char* name_ = "ClampBackward1";
  SavedVariable self_;
  InputMeta self_info_;
  Bound min_, max_;
  size_t min_slot_ = 1, max_slot_ = 1;  // their edges: (self, min, max) or (self, bound)
  std::string name() const override { return name_; }
  variable_list apply(variable_list&& g) override {
    variable_list r(num_outputs());
    Tensor x = self_.unpack();
    TensorOrScalar lo = min_.present ? min_.value() : TensorOrScalar(kZero);
    TensorOrScalar hi = max_.present ? max_.value() : TensorOrScalar(kZero);
    // self: min <= x <= max (NaN x: no gradient).
    if (should_compute_output(0)) {
      Tensor pass;
      if (min_.present) pass = ::pe::ge(x, lo);
      if (max_.present) pass = pass.defined() ? ::pe::logical_and(pass, ::pe::le(x, hi)) : ::pe::le(x, hi);
      r[0] = reduce_grad(autograd::where(pass, g[0], kZero), self_info_);
    }
    // min: where x < min (and min < max when both bounds exist: otherwise max wins).
    if (min_.is_tensor && should_compute_output(min_slot_)) {
      Tensor m = ::pe::lt(x, lo);
      if (max_.present) m = ::pe::logical_and(m, less(lo, hi));
      r[min_slot_] = reduce_grad(autograd::where(m, g[0], kZero), min_.info);
    }
    // max: where x > max, or max < min (then the result is max everywhere).
    if (max_.is_tensor && should_compute_output(max_slot_)) {
      Tensor m = ::pe::gt(x, hi);
      if (min_.present) m = ::pe::logical_or(m, less(hi, lo));
      r[max_slot_] = reduce_grad(autograd::where(m, g[0], kZero), max_.info);
    }
    return r;
  }
  void release_variables() override {
    self_.reset_data();
    min_.tensor.reset_data();
    max_.tensor.reset_data();
  }
};

enum class ClampKind : int8_t { Both, Min, Max };

const char* clamp_name(ClampKind k, bool tensor_bounds) {
  switch (k) {
    case ClampKind::Both: return tensor_bounds ? "ClampBackward0" : "ClampBackward1";
    case ClampKind::Min: return tensor_bounds ? "ClampMinBackward1" : "ClampMinBackward0";
    default: return tensor_bounds ? "ClampMaxBackward1" : "ClampMaxBackward0";
  }
}

// Makes the clamp node (null when no input requires grad). Edges: self plus one per tensor bound
// slot: clamp with tensor bounds has (self, min, max); clamp_min/max with a tensor (self, bound).
std::shared_ptr<ClampNode> make_clamp(ClampKind k, const Tensor& self, const Tensor& old_self,
                                      const std::optional<TensorOrScalar>& lo,
                                      const std::optional<TensorOrScalar>& hi) {
  const Tensor* lo_t = lo ? tensor_ptr(*lo) : nullptr;
  const Tensor* hi_t = hi ? tensor_ptr(*hi) : nullptr;
  bool tensor_bounds = lo_t || hi_t;
  std::shared_ptr<ClampNode> n;
  if (k == ClampKind::Both && tensor_bounds) n = make_node<ClampNode>({&self, lo_t, hi_t});
  else if (k == ClampKind::Min && tensor_bounds) n = make_node<ClampNode>({&self, lo_t});
  else if (k == ClampKind::Max && tensor_bounds) n = make_node<ClampNode>({&self, hi_t});
  else n = make_node<ClampNode>({&self});
  if (!n) return n;
  n->name_ = clamp_name(k, tensor_bounds);
  if (k == ClampKind::Both) n->max_slot_ = 2;
  n->self_ = SavedVariable(old_self, false);
  n->self_info_ = input_info(self);
  n->min_.set(lo);
  n->max_.set(hi);
  return n;
}

Tensor clamp_impl(ClampKind k, const Tensor& a, const std::optional<TensorOrScalar>& lo,
                  const std::optional<TensorOrScalar>& hi) {
  Tensor r = ::pe::clamp(a, lo, hi);
  if (auto n = make_clamp(k, a, a, lo, hi)) set_history(r, n);
  return r;
}
Tensor& clamp_impl_(ClampKind k, Tensor& a, const std::optional<TensorOrScalar>& lo,
                    const std::optional<TensorOrScalar>& hi) {
  check_inplace(a);
  const Tensor* lo_t = lo ? tensor_ptr(*lo) : nullptr;
  const Tensor* hi_t = hi ? tensor_ptr(*hi) : nullptr;
  bool needs = compute_requires_grad({&a, lo_t, hi_t});
  auto n = make_clamp(k, a, needs ? ::pe::clone(a) : Tensor(), lo, hi);
  ::pe::clamp_(a, lo, hi);
  if (n) rebase_history(a, n);
  return a;
}

// ---- lerp: start + weight * (end - start) ----
struct LerpBackward : Node {
  bool tensor_weight_ = false;
  Scalar weight_;
  SavedVariable start_, end_, weight_t_;
  InputMeta start_info_, end_info_, weight_info_;
  std::string name() const override { return tensor_weight_ ? "LerpBackward1" : "LerpBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(num_outputs());
    if (!tensor_weight_) {
      double w = weight_.to_double();
      if (should_compute_output(0)) r[0] = reduce_grad(autograd::mul(g[0], Scalar(1.0 - w)), start_info_);
      if (should_compute_output(1)) r[1] = reduce_grad(autograd::mul(g[0], Scalar(w)), end_info_);
      return r;
    }
    Tensor w = weight_t_.unpack();
    if (should_compute_output(0))
      r[0] = reduce_grad(autograd::mul(g[0], autograd::rsub(w, Scalar(int64_t(1)))), start_info_);
    if (should_compute_output(1)) r[1] = reduce_grad(autograd::mul(g[0], w), end_info_);
    if (should_compute_output(2))
      r[2] = reduce_grad(autograd::mul(g[0], autograd::sub(end_.unpack(), start_.unpack())), weight_info_);
    return r;
  }
  void release_variables() override {
    start_.reset_data();
    end_.reset_data();
    weight_t_.reset_data();
  }
};

std::shared_ptr<LerpBackward> make_lerp(const Tensor& start, const Tensor& old_start, const Tensor& end,
                                        const TensorOrScalar& w) {
  auto n = w.is_scalar ? make_node<LerpBackward>({&start, &end}) : make_node<LerpBackward>({&start, &end, &w.tensor});
  if (!n) return n;
  n->start_info_ = input_info(start);
  n->end_info_ = input_info(end);
  if (w.is_scalar) {
    n->weight_ = w.scalar;
    return n;
  }
  n->tensor_weight_ = true;
  n->weight_t_ = SavedVariable(w.tensor, false);
  n->weight_info_ = input_info(w.tensor);
  if (requires_grad(w.tensor)) {
    n->start_ = SavedVariable(old_start, false);
    n->end_ = SavedVariable(end, false);
  }
  return n;
}

}  // namespace

Tensor where(const Tensor& cond, const TensorOrScalar& a, const TensorOrScalar& b) {
  Tensor r = ::pe::where(cond, a, b);
  if (auto n = make_node<WhereBackward0>({tensor_ptr(a), tensor_ptr(b)})) {
    n->cond_ = SavedVariable(cond, false);
    if (!a.is_scalar) n->self_info_ = input_info(a.tensor);
    if (!b.is_scalar) n->other_info_ = input_info(b.tensor);
    set_history(r, n);
  }
  return r;
}

Tensor clamp(const Tensor& a, const std::optional<TensorOrScalar>& min, const std::optional<TensorOrScalar>& max) {
  return clamp_impl(ClampKind::Both, a, min, max);
}
Tensor& clamp_(Tensor& a, const std::optional<TensorOrScalar>& min, const std::optional<TensorOrScalar>& max) {
  return clamp_impl_(ClampKind::Both, a, min, max);
}
Tensor clamp_min(const Tensor& a, const TensorOrScalar& min) { return clamp_impl(ClampKind::Min, a, min, std::nullopt); }
Tensor& clamp_min_(Tensor& a, const TensorOrScalar& min) { return clamp_impl_(ClampKind::Min, a, min, std::nullopt); }
Tensor clamp_max(const Tensor& a, const TensorOrScalar& max) { return clamp_impl(ClampKind::Max, a, std::nullopt, max); }
Tensor& clamp_max_(Tensor& a, const TensorOrScalar& max) { return clamp_impl_(ClampKind::Max, a, std::nullopt, max); }

Tensor lerp(const Tensor& start, const Tensor& end, const TensorOrScalar& weight) {
  Tensor r = ::pe::lerp(start, end, weight);
  if (auto n = make_lerp(start, start, end, weight)) set_history(r, n);
  return r;
}
Tensor& lerp_(Tensor& start, const Tensor& end, const TensorOrScalar& weight) {
  check_inplace(start);
  bool needs_old = !weight.is_scalar && compute_requires_grad({&weight.tensor});
  auto n = make_lerp(start, needs_old ? ::pe::clone(start) : Tensor(), end, weight);
  ::pe::lerp_(start, end, weight);
  if (n) rebase_history(start, n);
  return start;
}

}  // namespace pe::autograd
