// Backward formulas and differentiable wrappers of var/std (and their _mean pairs), the vector
// norm (PyTorch's linalg_vector_norm_backward: p = 0, 1, 2, +-inf, other p; zero subgradient
// where the norm is 0), dist, logsumexp and the scans cumsum/cumprod. cumprod with zeros follows
// PyTorch: an O(n) formula when no graph of the backward is recorded, the O(n^2) one that is itself
// differentiable under create_graph.
#include <cmath>

#include "autograd/ops_basic.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "autograd/ops_select.h"
#include "autograd/saved_variable.h"
#include "ops/select.h"

namespace pe::autograd {

namespace rd = reduce_ag_detail;

namespace {

const Scalar kZero(0.0);

Tensor reversed_cumsum(const Tensor& t, int64_t dim) {
  return rd::flip(autograd::cumsum(rd::flip(t, dim), dim), dim);
}

// ---- var / std ----
Tensor var_backward(const Tensor& g, const Tensor& x, const OptDims& dim, double correction, bool keepdim) {
  double n = (double)rd::reduced_count(x, dim);
  Tensor gk = rd::unsqueeze_reduced(g, x, dim, keepdim);
  Tensor centered = autograd::sub(x, autograd::mean(x, dim, true));
  return autograd::mul(autograd::mul(gk, Scalar(2.0 / (n - correction))), centered);
}
Tensor std_backward(const Tensor& g, const Tensor& result, const Tensor& x, const OptDims& dim, double correction,
                    bool keepdim) {
  Tensor gvar = autograd::where(::pe::eq(result, kZero), kZero, autograd::div(g, autograd::mul(result, Scalar(2.0))));
  return var_backward(gvar, x, dim, correction, keepdim);
}
Tensor mean_backward(const Tensor& g, const Tensor& x, const OptDims& dim, bool keepdim) {
  double n = (double)rd::reduced_count(x, dim);
  return autograd::div(rd::unsqueeze_reduced(g, x, dim, keepdim), Scalar(n));
}

// var, std, var_mean, std_mean: outputs (var|std) or (var|std, mean).
struct VarStdBackward : Node {
  bool is_std_ = false, with_mean_ = false;
  OptDims dim_;
  double correction_ = 1;
  bool keepdim_ = false;
  SavedVariable self_, result_;
  InputMeta self_info_;
  std::string name() const override {
    if (with_mean_) return is_std_ ? "StdMeanBackward0" : "VarMeanBackward0";
    return is_std_ ? "StdBackward0" : "VarBackward0";
  }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (!should_compute_output(0)) return r;
    Tensor x = self_.unpack();
    Tensor d = is_std_ ? std_backward(g[0], result_.unpack(), x, dim_, correction_, keepdim_)
                       : var_backward(g[0], x, dim_, correction_, keepdim_);
    if (with_mean_) d = autograd::add(d, mean_backward(g[1], x, dim_, keepdim_));
    r[0] = reduce_grad(d, self_info_);
    return r;
  }
  void release_variables() override {
    self_.reset_data();
    result_.reset_data();
  }
};

std::shared_ptr<VarStdBackward> make_var(const Tensor& x, bool is_std, bool with_mean, const OptDims& dim,
                                         double correction, bool keepdim) {
  auto n = make_node<VarStdBackward>({&x});
  if (!n) return n;
  n->is_std_ = is_std;
  n->with_mean_ = with_mean;
  n->dim_ = dim;
  n->correction_ = correction;
  n->keepdim_ = keepdim;
  n->self_ = SavedVariable(x, false);
  n->self_info_ = input_info(x);
  return n;
}

// ---- norm ----
// PyTorch's linalg_vector_norm_backward; `norm` is the (keepdim-shaped) result. p = 0 gives an
// undefined gradient (no gradient reaches the input, .grad stays None), as PyTorch.
Tensor norm_backward(const Tensor& g, const Tensor& x, double p, const Tensor& norm, const OptDims& dim, bool keepdim) {
  if (p == 0.0) return Tensor();
  Tensor gk = rd::unsqueeze_reduced(g, x, dim, keepdim);
  Tensor nk = rd::unsqueeze_reduced(norm, x, dim, keepdim);
  Tensor sgn = ::pe::sign(x);
  if (p == 1.0) return autograd::mul(sgn, gk);
  Tensor norm_zero = ::pe::eq(nk, kZero);
  if (p == 2.0) {
    Tensor safe = autograd::where(norm_zero, Scalar(1.0), nk);
    return autograd::mul(gk, autograd::where(norm_zero, kZero, autograd::div(x, safe)));
  }
  if (std::isinf(p)) {
    Tensor mask = ::pe::eq(::pe::abs(x), nk);
    Tensor count = x.dim() == 0 ? ::pe::to(mask, DType::Int64, std::nullopt) : ::pe::sum(mask, dim, true);
    return autograd::mul(sgn, autograd::mul(autograd::div(gk, count), mask));
  }
  Tensor scaled = autograd::mul(sgn, autograd::pow(autograd::abs(x), Scalar(p - 1)));
  if (p < 1.0) {
    scaled = autograd::where(::pe::eq(x, kZero), kZero, scaled);
    return autograd::mul(autograd::mul(scaled, gk), autograd::pow(nk, Scalar(1 - p)));
  }
  Tensor scale = autograd::where(norm_zero, kZero, autograd::div(gk, autograd::pow(nk, Scalar(p - 1))));
  return autograd::mul(scaled, scale);
}

struct NormBackward : Node {
  double p_ = 2;
  OptDims dim_;
  bool keepdim_ = false;
  SavedVariable self_, result_;
  InputMeta self_info_;
  std::string name() const override { return "LinalgVectorNormBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (!should_compute_output(0)) return r;
    Tensor d = norm_backward(g[0], self_.unpack(), p_, result_.unpack(), dim_, keepdim_);
    if (d.defined()) r[0] = reduce_grad(d, self_info_);
    return r;
  }
  void release_variables() override {
    self_.reset_data();
    result_.reset_data();
  }
};

// dist(a, b, p) = norm(a - b, p): the norm's gradient, negated for b.
struct DistBackward0 : Node {
  double p_ = 2;
  SavedVariable self_, other_, result_;
  InputMeta self_info_, other_info_;
  std::string name() const override { return "DistBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    Tensor diff = autograd::sub(self_.unpack(), other_.unpack());
    Tensor d = norm_backward(g[0], diff, p_, result_.unpack(), std::nullopt, false);
    if (!d.defined()) return r;  // p = 0
    if (should_compute_output(0)) r[0] = reduce_grad(d, self_info_);
    if (should_compute_output(1)) r[1] = reduce_grad(autograd::neg(d), other_info_);
    return r;
  }
  void release_variables() override {
    self_.reset_data();
    other_.reset_data();
    result_.reset_data();
  }
};

// ---- logsumexp: grad * exp(x - result) ----
struct LogsumexpBackward0 : Node {
  DimVector dim_;
  bool keepdim_ = false;
  SavedVariable self_, result_;
  InputMeta self_info_;
  std::string name() const override { return "LogsumexpBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (!should_compute_output(0)) return r;
    Tensor x = self_.unpack();
    Tensor gk = rd::unsqueeze_reduced(g[0], x, dim_, keepdim_);
    Tensor rk = rd::unsqueeze_reduced(result_.unpack(), x, dim_, keepdim_);
    r[0] = reduce_grad(autograd::mul(gk, autograd::exp(autograd::sub(x, rk))), self_info_);
    return r;
  }
  void release_variables() override {
    self_.reset_data();
    result_.reset_data();
  }
};

// ---- cumsum: the reversed cumulative sum of the gradient ----
struct CumsumBackward0 : Node {
  int64_t dim_ = 0;
  InputMeta self_info_;
  std::string name() const override { return "CumsumBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (!should_compute_output(0)) return r;
    bool trivial = self_info_.sizes.empty() || g[0].numel() <= 1;
    r[0] = reduce_grad(trivial ? g[0] : reversed_cumsum(g[0], dim_), self_info_);
    return r;
  }
};

// ---- cumprod ----
Tensor cumprod_backward(const Tensor& g, const Tensor& x, int64_t dim, const Tensor& out) {
  if (x.dim() == 0 || x.numel() <= 1) return g;
  int64_t d = dim < 0 ? dim + x.dim() : dim;
  int64_t n = x.size(d);
  if (n == 1) return g;
  Tensor w = autograd::mul(out, g);
  Tensor is_zero = ::pe::eq(x, kZero);
  if (!::pe::item(::pe::any(is_zero)).to_bool()) return autograd::div(reversed_cumsum(w, d), x);
  TensorOptions o;
  o.dtype = DType::Int64;
  o.device = x.device();
  DimVector shape(x.dim(), 1);
  shape[d] = n;
  Tensor iota = ::pe::view(::pe::arange(Scalar(int64_t(0)), Scalar(n), Scalar(int64_t(1)), o), shape);
  if (!GradMode::is_enabled()) {
    // O(n): before the first zero of a slice, revcumsum(w) / x (w is 0 from the first zero on); at
    // the first zero, the reversed cumsum of g * cumprod(x with that zero replaced by 1); 0 after.
    Tensor zc = ::pe::cumsum(is_zero, d);
    Tensor before = ::pe::eq(zc, Scalar(int64_t(0)));
    Tensor first = ::pe::logical_and(is_zero, ::pe::eq(zc, Scalar(int64_t(1))));
    Tensor part1 = autograd::div(reversed_cumsum(w, d), autograd::where(before, x, Scalar(1.0)));
    Tensor cp = autograd::cumprod(autograd::where(first, Scalar(1.0), x), d);
    Tensor part2 = reversed_cumsum(autograd::mul(g, cp), d);
    return autograd::where(before, part1, autograd::where(first, part2, kZero));
  }
  // O(n^2), differentiable: d out_i / d x_k = prod_{j <= i, j != k} x_j for i >= k.
  Tensor grad;
  for (int64_t k = 0; k < n; ++k) {
    Tensor at_k = ::pe::eq(iota, Scalar(k));
    Tensor cp = autograd::cumprod(autograd::where(at_k, Scalar(1.0), x), d);
    Tensor from_k = ::pe::ge(iota, Scalar(k));
    Tensor contrib = autograd::sum(autograd::where(from_k, autograd::mul(g, cp), kZero), DimVector{d}, true);
    Tensor part = autograd::where(at_k, contrib, kZero);
    grad = grad.defined() ? autograd::add(grad, part) : part;
  }
  return grad;
}

struct CumprodBackward0 : Node {
  int64_t dim_ = 0;
  SavedVariable self_, result_;
  InputMeta self_info_;
  std::string name() const override { return "CumprodBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (should_compute_output(0))
      r[0] = reduce_grad(cumprod_backward(g[0], self_.unpack(), dim_, result_.unpack()), self_info_);
    return r;
  }
  void release_variables() override {
    self_.reset_data();
    result_.reset_data();
  }
};

}  // namespace

Tensor rd::flip(const Tensor& t, int64_t dim) { return autograd::flip(t, DimVector{dim}); }  // ops_select.h

Tensor var(const Tensor& x, const OptDims& dim, double correction, bool keepdim) {
  Tensor r = ::pe::var(x, dim, correction, keepdim);
  if (auto n = make_var(x, false, false, dim, correction, keepdim)) set_history(r, n);
  return r;
}
Tensor std(const Tensor& x, const OptDims& dim, double correction, bool keepdim) {
  Tensor r = ::pe::std(x, dim, correction, keepdim);
  if (auto n = make_var(x, true, false, dim, correction, keepdim)) {
    set_history(r, n);
    n->result_ = SavedVariable(r, true);
  }
  return r;
}
std::pair<Tensor, Tensor> var_mean(const Tensor& x, const OptDims& dim, double correction, bool keepdim) {
  auto r = ::pe::var_mean(x, dim, correction, keepdim);
  if (auto n = make_var(x, false, true, dim, correction, keepdim)) set_history(TensorList{r.first, r.second}, n);
  return r;
}
std::pair<Tensor, Tensor> std_mean(const Tensor& x, const OptDims& dim, double correction, bool keepdim) {
  auto r = ::pe::std_mean(x, dim, correction, keepdim);
  if (auto n = make_var(x, true, true, dim, correction, keepdim)) {
    set_history(TensorList{r.first, r.second}, n);
    n->result_ = SavedVariable(r.first, true);
  }
  return r;
}

Tensor norm(const Tensor& x, double p, const OptDims& dim, bool keepdim, OptDType dtype) {
  if (dtype && *dtype != x.dtype() && compute_requires_grad({&x}))  // cast first (ToCopyBackward0)
    return autograd::norm(autograd::to(x, *dtype, std::nullopt, false), p, dim, keepdim, std::nullopt);
  Tensor r = ::pe::norm(x, p, dim, keepdim, dtype);
  if (auto n = make_node<NormBackward>({&x})) {
    n->p_ = p;
    n->dim_ = dim;
    n->keepdim_ = keepdim;
    n->self_ = SavedVariable(x, false);
    n->self_info_ = input_info(x);
    set_history(r, n);
    n->result_ = SavedVariable(r, true);
  }
  return r;
}

Tensor dist(const Tensor& a, const Tensor& b, double p) {
  Tensor r = ::pe::dist(a, b, p);
  if (auto n = make_node<DistBackward0>({&a, &b})) {
    n->p_ = p;
    n->self_ = SavedVariable(a, false);
    n->other_ = SavedVariable(b, false);
    n->self_info_ = input_info(a);
    n->other_info_ = input_info(b);
    set_history(r, n);
    n->result_ = SavedVariable(r, true);
  }
  return r;
}

Tensor logsumexp(const Tensor& x, const DimVector& dim, bool keepdim) {
  Tensor r = ::pe::logsumexp(x, dim, keepdim);
  if (auto n = make_node<LogsumexpBackward0>({&x})) {
    n->dim_ = dim;
    n->keepdim_ = keepdim;
    n->self_ = SavedVariable(x, false);
    n->self_info_ = input_info(x);
    set_history(r, n);
    n->result_ = SavedVariable(r, true);
  }
  return r;
}

Tensor cumsum(const Tensor& x, int64_t dim, OptDType dtype) {
  Tensor r = ::pe::cumsum(x, dim, dtype);
  if (auto n = make_node<CumsumBackward0>({&x})) {
    n->dim_ = x.dim() == 0 ? 0 : (dim < 0 ? dim + x.dim() : dim);
    n->self_info_ = input_info(x);
    set_history(r, n);
  }
  return r;
}
Tensor& cumsum_(Tensor& x, int64_t dim, OptDType dtype) {
  check_inplace(x);
  auto n = make_node<CumsumBackward0>({&x});
  if (n) {
    n->dim_ = x.dim() == 0 ? 0 : (dim < 0 ? dim + x.dim() : dim);
    n->self_info_ = input_info(x);
  }
  ::pe::cumsum_(x, dim, dtype);
  if (n) rebase_history(x, n);
  return x;
}

Tensor cumprod(const Tensor& x, int64_t dim, OptDType dtype) {
  Tensor r = ::pe::cumprod(x, dim, dtype);
  if (auto n = make_node<CumprodBackward0>({&x})) {
    n->dim_ = dim;
    n->self_ = SavedVariable(x, false);
    n->self_info_ = input_info(x);
    set_history(r, n);
    n->result_ = SavedVariable(r, true);
  }
  return r;
}
Tensor& cumprod_(Tensor& x, int64_t dim, OptDType dtype) {
  check_inplace(x);
  auto n = make_node<CumprodBackward0>({&x});
  if (n) {
    n->dim_ = dim;
    n->self_ = SavedVariable(::pe::clone(x), false);
    n->self_info_ = input_info(x);
  }
  ::pe::cumprod_(x, dim, dtype);
  if (n) {
    rebase_history(x, n);
    n->result_ = SavedVariable(x, true);
  }
  return x;
}

}  // namespace pe::autograd
