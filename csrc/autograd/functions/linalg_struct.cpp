// Backward nodes and differentiable wrappers of the structure ops: trace, diag, tril/triu (and in-place)
// and cross / linalg.cross. torch.cross without dim resolves the dim (first of size 3) and records
// LinalgCrossBackward0 like PyTorch, which forwards it to linalg_cross.
#include "autograd/functions/linalg_common.h"

namespace pe::autograd {
namespace {

struct TraceBackward0 : Node {
  DimVector self_sizes_;
  std::string name() const override { return "TraceBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (!should_compute_output(0)) return r;
    const int64_t k = std::min(self_sizes_[0], self_sizes_[1]);
    r[0] = autograd::diagonal_backward(autograd::expand(g[0], {k}), self_sizes_, 0, 0, 1);
    return r;
  }
};

// diag of a vector builds a matrix (DiagEmbedBackward0: the gradient is g's diagonal); diag of a
// matrix copies its diagonal (PyTorch 2.13 records DiagonalBackward0_copy: zeros with g on it).
struct DiagBackward : Node {
  DimVector self_sizes_;
  int64_t diagonal_ = 0;
  std::string name() const override { return self_sizes_.size() == 1 ? "DiagEmbedBackward0" : "DiagonalBackward0_copy"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (!should_compute_output(0)) return r;
    r[0] = self_sizes_.size() == 1 ? autograd::clone(autograd::diagonal(g[0], diagonal_, 0, 1))
                                   : autograd::diagonal_backward(g[0], self_sizes_, diagonal_, 0, 1);
    return r;
  }
};

struct TriBackward : Node {
  bool upper_;
  int64_t diagonal_;
  TriBackward(bool upper, int64_t d) : upper_(upper), diagonal_(d) {}
  std::string name() const override { return upper_ ? "TriuBackward0" : "TrilBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (should_compute_output(0))
      r[0] = upper_ ? autograd::triu(g[0], diagonal_) : autograd::tril(g[0], diagonal_);
    return r;
  }
};

struct LinalgCrossBackward0 : Node {
  SavedVariable self_, other_;
  InputMeta self_info_, other_info_;
  int64_t dim_;
  std::string name() const override { return "LinalgCrossBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    // d(a x b) = da x b + a x db: <g, da x b> = <b x g, da>, <g, a x db> = <g x a, db>.
    if (should_compute_output(0))
      r[0] = reduce_grad(autograd::linalg_cross(other_.unpack(), g[0], dim_), self_info_);
    if (should_compute_output(1))
      r[1] = reduce_grad(autograd::linalg_cross(g[0], self_.unpack(), dim_), other_info_);
    return r;
  }
  void release_variables() override { self_.reset_data(); other_.reset_data(); }
};

Tensor tri(const Tensor& t, int64_t diagonal, bool upper) {
  Tensor r = upper ? ::pe::triu(t, diagonal) : ::pe::tril(t, diagonal);
  if (auto n = make_node<TriBackward>({&t}, upper, diagonal)) set_history(r, n);
  return r;
}

Tensor& tri_(Tensor& t, int64_t diagonal, bool upper) {
  check_inplace(t);
  auto n = make_node<TriBackward>({&t}, upper, diagonal);
  if (upper)
    ::pe::triu_(t, diagonal);
  else
    ::pe::tril_(t, diagonal);
  if (n) rebase_history(t, n);
  return t;
}

}  // namespace

Tensor trace(const Tensor& t) {
  Tensor r = ::pe::trace(t);
  if (auto n = make_node<TraceBackward0>({&t})) {
    n->self_sizes_ = t.sizes();
    set_history(r, n);
  }
  return r;
}

Tensor diag(const Tensor& t, int64_t diagonal) {
  Tensor r = ::pe::diag(t, diagonal);
  if (auto n = make_node<DiagBackward>({&t})) {
    n->self_sizes_ = t.sizes();
    n->diagonal_ = diagonal;
    set_history(r, n);
  }
  return r;
}

Tensor tril(const Tensor& t, int64_t diagonal) { return tri(t, diagonal, false); }
Tensor triu(const Tensor& t, int64_t diagonal) { return tri(t, diagonal, true); }
Tensor& tril_(Tensor& t, int64_t diagonal) { return tri_(t, diagonal, false); }
Tensor& triu_(Tensor& t, int64_t diagonal) { return tri_(t, diagonal, true); }

Tensor linalg_cross(const Tensor& a, const Tensor& b, int64_t dim) {
  Tensor r = ::pe::linalg_cross(a, b, dim);
  if (auto n = make_node<LinalgCrossBackward0>({&a, &b})) {
    n->self_ = SavedVariable(a, false);
    n->other_ = SavedVariable(b, false);
    n->self_info_ = input_info(a);
    n->other_info_ = input_info(b);
    n->dim_ = dim;
    set_history(r, n);
  }
  return r;
}

Tensor cross(const Tensor& a, const Tensor& b, std::optional<int64_t> dim) {
  if (!compute_requires_grad({&a, &b})) return ::pe::cross(a, b, dim);
  if (!dim) {
    // PyTorch's default: the first dim of the input with size 3 (the plain op raises if none).
    for (int64_t i = 0; i < a.dim() && !dim; ++i)
      if (a.size(i) == 3) dim = i;
    if (!dim) return ::pe::cross(a, b, dim);
  }
  return autograd::linalg_cross(a, b, *dim);
}

}  // namespace pe::autograd
