// Backward nodes and differentiable wrappers of cross / linalg.cross (trace, tril/triu live in
// ops_select.h). torch.cross without dim resolves the dim (first of size 3) and records
// LinalgCrossBackward0 like PyTorch, which forwards it to linalg_cross.
#include "autograd/functions/linalg_common.h"

namespace pe::autograd {
namespace {

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

}  // namespace

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
