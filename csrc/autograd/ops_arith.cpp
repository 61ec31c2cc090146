// Differentiable add/sub/rsub/mul/div/neg and their in-place forms (ops_basic.h). A Python number
// operand is an input without an edge (None in next_functions), as PyTorch's wrapped numbers.
#include "autograd/ops_basic.h"
#include "autograd/saved_variable.h"
#include "core/profiler_hook.h"

namespace pe::autograd {
namespace {

Tensor scaled(const Tensor& g, const Scalar& alpha) {
  return alpha.to_double() == 1.0 ? g : autograd::mul(g, alpha);
}

// a + alpha * b and a - alpha * b (sign -1): the gradients are g and sign * alpha * g.
struct AddSubBackward : Node {
  std::string name_;
  Scalar alpha_;
  double sign_;
  InputMeta a_, b_;
  AddSubBackward(const char* n, const Scalar& alpha, double sign) : name_(n), alpha_(alpha), sign_(sign) {}
  std::string name() const override { return name_; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    if (should_compute_output(0)) r[0] = reduce_grad(g[0], a_);
    if (should_compute_output(1)) {
      Tensor gb = scaled(g[0], alpha_);
      r[1] = reduce_grad(sign_ < 0 ? autograd::neg(gb) : gb, b_);
    }
    return r;
  }
};

// rsub(a, b, alpha) = b - alpha * a. With a number b (RsubBackward1, PyTorch's rsub.Scalar) the node
// has a's edge only.
struct RsubBackward : Node {
  std::string name_;
  Scalar alpha_;
  InputMeta a_, b_;
  RsubBackward(const char* n, const Scalar& alpha) : name_(n), alpha_(alpha) {}
  std::string name() const override { return name_; }
  variable_list apply(variable_list&& g) override {
    variable_list r(num_outputs());
    if (should_compute_output(0)) r[0] = reduce_grad(autograd::neg(scaled(g[0], alpha_)), a_);
    if (r.size() > 1 && should_compute_output(1)) r[1] = reduce_grad(g[0], b_);
    return r;
  }
};

struct MulBackward0 : Node {
  SavedVariable a_, b_;
  Scalar sa_, sb_;  // a number operand
  InputMeta ai_, bi_;
  std::string name() const override { return "MulBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    if (should_compute_output(0))
      r[0] = reduce_grad(b_.defined() ? autograd::mul(g[0], b_.unpack()) : autograd::mul(g[0], sb_), ai_);
    if (should_compute_output(1))
      r[1] = reduce_grad(a_.defined() ? autograd::mul(g[0], a_.unpack()) : autograd::mul(g[0], sa_), bi_);
    return r;
  }
  void release_variables() override {
    a_.reset_data();
    b_.reset_data();
  }
};

// a / b: g / b and -g * a / b^2 (a may be a number: 2 / x).
struct DivBackward0 : Node {
  std::string name_ = "DivBackward0";
  SavedVariable a_, b_;
  Scalar sa_, sb_;
  InputMeta ai_, bi_;
  std::string name() const override { return name_; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    Tensor b = b_.defined() ? b_.unpack() : Tensor();
    if (should_compute_output(0))
      r[0] = reduce_grad(b.defined() ? autograd::div(g[0], b) : autograd::div(g[0], sb_), ai_);
    if (should_compute_output(1)) {
      Tensor num = a_.defined() ? autograd::mul(g[0], a_.unpack()) : autograd::mul(g[0], sa_);
      r[1] = reduce_grad(autograd::neg(autograd::div(num, autograd::mul(b, b))), bi_);
    }
    return r;
  }
  void release_variables() override {
    a_.reset_data();
    b_.reset_data();
  }
};

// div with rounding_mode: piecewise constant, zero gradients (as PyTorch).
struct DivBackward2 : Node {
  InputMeta ai_, bi_;
  std::string name() const override { return "DivBackward2"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    TensorOptions o;
    if (should_compute_output(0)) r[0] = ::pe::zeros(ai_.sizes, (o.dtype = ai_.dtype, o.device = ai_.device, o));
    if (should_compute_output(1)) r[1] = ::pe::zeros(bi_.sizes, (o.dtype = bi_.dtype, o.device = bi_.device, o));
    return r;
  }
};

struct NegBackward0 : Node {
  std::string name() const override { return "NegBackward0"; }
  variable_list apply(variable_list&& g) override { return {autograd::neg(g[0])}; }
};

InputMeta info(const TensorOrScalar& x) { return x.is_scalar ? InputMeta{} : input_info(x.tensor); }

template <class N>
std::shared_ptr<N> mul_node(const TensorOrScalar& a, const TensorOrScalar& b, bool save_a, bool save_b) {
  auto n = make_node<N>({&a.tensor, &b.tensor});
  if (!n) return n;
  n->ai_ = info(a);
  n->bi_ = info(b);
  if (a.is_scalar) n->sa_ = a.scalar; else if (save_a) n->a_ = SavedVariable(a.tensor, false);
  if (b.is_scalar) n->sb_ = b.scalar; else if (save_b) n->b_ = SavedVariable(b.tensor, false);
  return n;
}

}  // namespace

Tensor add(const TensorOrScalar& a, const TensorOrScalar& b, const Scalar& alpha) {
  profiler::RecordScope scope("aten::add", {&a.tensor, &b.tensor, nullptr});  // alpha: []
  Tensor r = ::pe::add(a, b, alpha);
  if (auto n = make_node<AddSubBackward>({&a.tensor, &b.tensor}, "AddBackward0", alpha, 1.0)) {
    n->a_ = info(a);
    n->b_ = info(b);
    set_history(r, n);
  }
  return r;
}

Tensor sub(const TensorOrScalar& a, const TensorOrScalar& b, const Scalar& alpha) {
  Tensor r = ::pe::sub(a, b, alpha);
  // number - tensor is rsub(tensor, number) for PyTorch
  const char* name = a.is_scalar ? "RsubBackward1" : "SubBackward0";
  if (auto n = make_node<AddSubBackward>({&a.tensor, &b.tensor}, name, alpha, -1.0)) {
    n->a_ = info(a);
    n->b_ = info(b);
    set_history(r, n);
  }
  return r;
}

Tensor rsub(const Tensor& a, const TensorOrScalar& b, const Scalar& alpha) {
  Tensor r = ::pe::rsub(a, b, alpha);
  auto n = b.is_scalar ? make_node<RsubBackward>({&a}, "RsubBackward1", alpha)
                       : make_node<RsubBackward>({&a, &b.tensor}, "RsubBackward0", alpha);
  if (n) {
    n->a_ = input_info(a);
    n->b_ = info(b);
    set_history(r, n);
  }
  return r;
}

Tensor mul(const TensorOrScalar& a, const TensorOrScalar& b) {
  profiler::RecordScope scope("aten::mul", {&a.tensor, &b.tensor});
  Tensor r = ::pe::mul(a, b);
  if (auto n = mul_node<MulBackward0>(a, b, requires_grad(b.tensor), requires_grad(a.tensor))) set_history(r, n);
  return r;
}

Tensor div(const TensorOrScalar& a, const TensorOrScalar& b, const std::optional<std::string>& rounding_mode) {
  Tensor r = ::pe::div(a, b, rounding_mode);
  if (rounding_mode) {
    if (auto n = make_node<DivBackward2>({&a.tensor, &b.tensor})) {
      n->ai_ = info(a);
      n->bi_ = info(b);
      set_history(r, n);
    }
    return r;
  }
  if (auto n = mul_node<DivBackward0>(a, b, requires_grad(b.tensor), true)) {
    if (a.is_scalar) n->name_ = "MulBackward0";  // 2 / x is recorded as reciprocal(x) * 2 by PyTorch
    set_history(r, n);
  }
  return r;
}

Tensor neg(const Tensor& a) {
  profiler::RecordScope scope("aten::neg", {&a});
  Tensor r = ::pe::neg(a);
  if (auto n = make_node<NegBackward0>({&a})) set_history(r, n);
  return r;
}

// ---- in-place: the node is made before the op (its first edge is self's old history) ----

Tensor& add_(Tensor& a, const TensorOrScalar& b, const Scalar& alpha) {
  profiler::RecordScope scope("aten::add_", {&a, &b.tensor, nullptr});
  check_inplace(a);
  auto n = make_node<AddSubBackward>({&a, &b.tensor}, "AddBackward0", alpha, 1.0);
  if (n) {
    n->a_ = input_info(a);
    n->b_ = info(b);
  }
  b.is_scalar ? ::pe::add_(a, b.scalar, alpha) : ::pe::add_(a, b.tensor, alpha);
  if (n) rebase_history(a, n);
  return a;
}

Tensor& sub_(Tensor& a, const TensorOrScalar& b, const Scalar& alpha) {
  check_inplace(a);
  auto n = make_node<AddSubBackward>({&a, &b.tensor}, "SubBackward0", alpha, -1.0);
  if (n) {
    n->a_ = input_info(a);
    n->b_ = info(b);
  }
  b.is_scalar ? ::pe::sub_(a, b.scalar, alpha) : ::pe::sub_(a, b.tensor, alpha);
  if (n) rebase_history(a, n);
  return a;
}

Tensor& mul_(Tensor& a, const TensorOrScalar& b) {
  check_inplace(a);
  std::shared_ptr<MulBackward0> n;
  if (compute_requires_grad({&a, &b.tensor})) {
    Tensor old = requires_grad(b.tensor) ? ::pe::clone(a) : Tensor();
    n = mul_node<MulBackward0>(TensorOrScalar(old.defined() ? old : a), b, false, requires_grad(a));
    n->set_next_edges({gradient_edge(a), gradient_edge(b.tensor)});
    if (old.defined()) n->a_ = SavedVariable(old, false);
    n->ai_ = input_info(a);
  }
  b.is_scalar ? ::pe::mul_(a, b.scalar) : ::pe::mul_(a, b.tensor);
  if (n) rebase_history(a, n);
  return a;
}

Tensor& div_(Tensor& a, const TensorOrScalar& b, const std::optional<std::string>& rounding_mode) {
  check_inplace(a);
  std::shared_ptr<Node> node;
  if (compute_requires_grad({&a, &b.tensor})) {
    if (rounding_mode) {
      auto n = make_node<DivBackward2>({&a, &b.tensor});
      n->ai_ = input_info(a);
      n->bi_ = info(b);
      node = n;
    } else {
      Tensor old = requires_grad(b.tensor) ? ::pe::clone(a) : Tensor();
      auto n = mul_node<DivBackward0>(TensorOrScalar(old.defined() ? old : a), b, false, true);
      n->set_next_edges({gradient_edge(a), gradient_edge(b.tensor)});
      if (old.defined()) n->a_ = SavedVariable(old, false);
      n->ai_ = input_info(a);
      node = n;
    }
  }
  ::pe::div_(a, b, rounding_mode);
  if (node) rebase_history(a, node);
  return a;
}

Tensor& neg_(Tensor& a) {
  check_inplace(a);
  auto n = make_node<NegBackward0>({&a});
  ::pe::neg_(a);
  if (n) rebase_history(a, n);
  return a;
}

}  // namespace pe::autograd
