// Backward formulas and differentiable wrappers of prod and the selecting reductions: max/min/
// median without dim (the gradient is spread evenly over the elements equal to the result, NaN
// results over the NaNs: PyTorch's evenly_distribute_backward), amax/amin (evenly over ties per
// slice), and max/min/median/mode with dim (the gradient goes to the returned index only). prod
// with zeros does not divide by them: each element's gradient is the product of the elements before
// it times the product of those after it (exclusive cumulative products, PyTorch's
// prod_safe_zeros_backward), which is itself differentiable, so double backward is exact.
#include "autograd/ops_basic.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "autograd/saved_variable.h"

namespace pe::autograd {

namespace rd = reduce_ag_detail;

Tensor rd::unsqueeze_reduced(const Tensor& g, const Tensor& input, const OptDims& dim, bool keepdim) {
  return autograd::unsqueeze_reduced(g, input.dim(), dim, keepdim);  // ops_basic.h
}

int64_t rd::reduced_count(const Tensor& input, const OptDims& dim) {
  if (input.dim() == 0) return 1;
  std::vector<bool> mask = ::pe::reduce_detail::reduce_mask(input, dim);
  int64_t n = 1;
  for (int64_t d = 0; d < input.dim(); ++d)
    if (mask[d]) n *= input.size(d);
  return n;
}

namespace {

const Scalar kZero(0.0);

OptDims one_dim(std::optional<int64_t> d) { return d ? OptDims(DimVector{*d}) : OptDims(); }

// ---- prod ----
// [1, t_0, ..., t_{n-2}] along dim d (differentiable).
Tensor shift_in_one(const Tensor& t, int64_t d) {
  int64_t n = t.size(d);
  Tensor shifted = autograd::slice_backward(autograd::narrow(t, d, 0, n - 1), t.sizes(), d, 1, n, 1);
  TensorOptions o;
  o.dtype = DType::Int64;
  o.device = t.device();
  DimVector shape(t.dim(), 1);
  shape[d] = n;
  Tensor first = ::pe::eq(::pe::view(::pe::arange(Scalar(int64_t(0)), Scalar(n), Scalar(int64_t(1)), o), shape),
                          Scalar(int64_t(0)));
  return autograd::add(shifted, first);
}
// grad * (product of the elements before) * (product of the elements after), along dim d; g has
// x's shape with dim d of size 1.
Tensor prod_safe_zeros_backward(const Tensor& g, const Tensor& x, int64_t d) {
  if (x.size(d) == 1) return autograd::expand(g, x.sizes());
  Tensor before = shift_in_one(autograd::cumprod(x, d), d);
  Tensor after = rd::flip(shift_in_one(autograd::cumprod(rd::flip(x, d), d), d), d);
  return autograd::mul(g, autograd::mul(before, after));
}

struct ProdBackward : Node {
  std::optional<int64_t> dim_;
  bool keepdim_ = false;
  SavedVariable self_, result_;
  InputMeta self_info_;
  std::string name() const override { return dim_ ? "ProdBackward1" : "ProdBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (!should_compute_output(0)) return r;
    Tensor x = self_.unpack();
    if (x.dim() == 0) {
      r[0] = reduce_grad(g[0], self_info_);
      return r;
    }
    OptDims dims = one_dim(dim_);
    Tensor gk = rd::unsqueeze_reduced(g[0], x, dims, keepdim_);
    Tensor rk = rd::unsqueeze_reduced(result_.unpack(), x, dims, keepdim_);
    Tensor is_zero = ::pe::eq(x, Scalar(0.0));
    if (!::pe::item(::pe::any(is_zero)).to_bool()) {
      r[0] = reduce_grad(autograd::mul(gk, autograd::div(rk, x)), self_info_);
      return r;
    }
    if (dim_) {
      int64_t d = *dim_ < 0 ? *dim_ + x.dim() : *dim_;
      r[0] = reduce_grad(prod_safe_zeros_backward(gk, x, d), self_info_);
    } else {  // all elements: as one flat slice
      Tensor flat = prod_safe_zeros_backward(autograd::reshape(g[0], {1}), autograd::reshape(x, {-1}), 0);
      r[0] = reduce_grad(autograd::reshape(flat, x.sizes()), self_info_);
    }
    return r;
  }
  void release_variables() override {
    self_.reset_data();
    result_.reset_data();
  }
};

// ---- amax / amin: evenly over the elements equal to the slice's result ----
struct AmaxAminBackward : Node {
  bool is_max_ = true;
  OptDims dim_;
  bool keepdim_ = false;
  SavedVariable self_, result_;
  InputMeta self_info_;
  std::string name() const override { return is_max_ ? "AmaxBackward0" : "AminBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (!should_compute_output(0)) return r;
    Tensor x = self_.unpack();
    Tensor gk = rd::unsqueeze_reduced(g[0], x, dim_, keepdim_);
    Tensor mask = ::pe::eq(x, rd::unsqueeze_reduced(result_.unpack(), x, dim_, keepdim_));
    Tensor count = x.dim() == 0 ? ::pe::to(mask, DType::Int64, std::nullopt) : ::pe::sum(mask, dim_, true);
    // grad * mask / count: a slice whose result is NaN (no element equals it) gets NaN, as PyTorch
    r[0] = reduce_grad(autograd::div(autograd::mul(gk, mask), count), self_info_);
    return r;
  }
  void release_variables() override {
    self_.reset_data();
    result_.reset_data();
  }
};

// ---- max() / min() / median() of all elements: PyTorch's evenly_distribute_backward ----
struct EvenlyBackward : Node {
  const char* name_ = "MaxBackward1";
  SavedVariable self_, result_;
  InputMeta self_info_;
  std::string name() const override { return name_; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (!should_compute_output(0)) return r;
    Tensor x = self_.unpack(), value = result_.unpack();
    // The elements equal to the result, or every NaN when it is NaN: no read of the value on the host
    // (a device sync on CUDA), as PyTorch's CUDA formula.
    Tensor mask = ::pe::logical_or(::pe::eq(x, value), ::pe::logical_and(::pe::isnan(x), ::pe::isnan(value)));
    r[0] = reduce_grad(autograd::where(mask, autograd::div(g[0], ::pe::sum(mask)), kZero), self_info_);
    return r;
  }
  void release_variables() override {
    self_.reset_data();
    result_.reset_data();
  }
};

// ---- max/min/median/mode with dim: the gradient goes to the returned index ----
struct IndexSelectBackward : Node {
  const char* name_ = "MaxBackward0";
  int64_t dim_ = 0;
  bool keepdim_ = false;
  SavedVariable indices_;
  InputMeta self_info_;
  std::string name() const override { return name_; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (!should_compute_output(0)) return r;
    const DimVector& sizes = self_info_.sizes;
    if (sizes.empty()) {
      r[0] = reduce_grad(g[0], self_info_);
      return r;
    }
    int64_t d = dim_ < 0 ? dim_ + (int64_t)sizes.size() : dim_;
    Tensor idx = indices_.unpack();
    Tensor gk = g[0];
    if (!keepdim_) {
      idx = ::pe::unsqueeze(idx, d);
      gk = autograd::unsqueeze(gk, d);
    }
    // one-hot of the index along dim: iota (shaped 1 x .. x n x .. x 1) == index
    TensorOptions o;
    o.dtype = DType::Int64;
    o.device = self_info_.device;
    DimVector shape(sizes.size(), 1);
    shape[d] = sizes[d];
    Tensor iota = ::pe::view(::pe::arange(Scalar(int64_t(0)), Scalar(sizes[d]), Scalar(int64_t(1)), o), shape);
    Tensor hit = ::pe::eq(iota, idx);
    r[0] = reduce_grad(autograd::where(hit, gk, kZero), self_info_);
    return r;
  }
  void release_variables() override { indices_.reset_data(); }
};

Tensor record_evenly(const Tensor& x, Tensor r, const char* name) {
  if (auto n = make_node<EvenlyBackward>({&x})) {
    n->name_ = name;
    n->self_ = SavedVariable(x, false);
    n->self_info_ = input_info(x);
    set_history(r, n);
    n->result_ = SavedVariable(r, true);
  }
  return r;
}

std::pair<Tensor, Tensor> record_index(const Tensor& x, std::pair<Tensor, Tensor> r, const char* name, int64_t dim,
                                       bool keepdim) {
  if (auto n = make_node<IndexSelectBackward>({&x})) {
    n->name_ = name;
    n->dim_ = dim;
    n->keepdim_ = keepdim;
    n->indices_ = SavedVariable(r.second, false);
    n->self_info_ = input_info(x);
    set_history(r.first, n);
  }
  return r;
}

Tensor record_amax(const Tensor& x, Tensor r, bool is_max, const OptDims& dim, bool keepdim) {
  if (auto n = make_node<AmaxAminBackward>({&x})) {
    n->is_max_ = is_max;
    n->dim_ = dim;
    n->keepdim_ = keepdim;
    n->self_ = SavedVariable(x, false);
    n->self_info_ = input_info(x);
    set_history(r, n);
    n->result_ = SavedVariable(r, true);
  }
  return r;
}

}  // namespace

Tensor prod(const Tensor& x, std::optional<int64_t> dim, bool keepdim, OptDType dtype) {
  Tensor r = ::pe::prod(x, dim, keepdim, dtype);
  if (auto n = make_node<ProdBackward>({&x})) {
    n->dim_ = dim;
    n->keepdim_ = keepdim;
    n->self_ = SavedVariable(x, false);
    n->self_info_ = input_info(x);
    set_history(r, n);
    n->result_ = SavedVariable(r, true);
  }
  return r;
}

Tensor amax(const Tensor& x, const OptDims& dim, bool keepdim) {
  return record_amax(x, ::pe::amax(x, dim, keepdim), true, dim, keepdim);
}
Tensor amin(const Tensor& x, const OptDims& dim, bool keepdim) {
  return record_amax(x, ::pe::amin(x, dim, keepdim), false, dim, keepdim);
}
Tensor max(const Tensor& x) { return record_evenly(x, ::pe::max(x), "MaxBackward1"); }
Tensor min(const Tensor& x) { return record_evenly(x, ::pe::min(x), "MinBackward1"); }
Tensor median(const Tensor& x) { return record_evenly(x, ::pe::median(x), "MedianBackward0"); }
std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim) {
  return record_index(x, ::pe::max(x, dim, keepdim), "MaxBackward0", dim, keepdim);
}
std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim) {
  return record_index(x, ::pe::min(x, dim, keepdim), "MinBackward0", dim, keepdim);
}
std::pair<Tensor, Tensor> median(const Tensor& x, int64_t dim, bool keepdim) {
  return record_index(x, ::pe::median(x, dim, keepdim), "MedianBackward1", dim, keepdim);
}
std::pair<Tensor, Tensor> mode(const Tensor& x, int64_t dim, bool keepdim) {
  return record_index(x, ::pe::mode(x, dim, keepdim), "ModeBackward0", dim, keepdim);
}

}  // namespace pe::autograd
