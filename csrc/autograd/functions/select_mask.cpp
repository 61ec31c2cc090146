// Backward nodes and differentiable wrappers of the mask ops: masked_fill (number or 0-d tensor
// value, out of place and in place) and masked_select. PyTorch's formulas: masked places get no
// gradient, a tensor value gets the sum over them, masked_select scatters back into zeros.
#include "autograd/ops_basic.h"
#include "autograd/ops_index.h"
#include "autograd/ops_select.h"

namespace pe::autograd {

namespace {

// MaskedFillBackward0 (number value, edge self) and MaskedFillBackward1 (tensor value, edges self
// and value).
struct MaskedFillBackward : Node {
  Tensor mask;
  InputMeta self_info, value_info;
  bool has_value = false;
  std::string name() const override { return has_value ? "MaskedFillBackward1" : "MaskedFillBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(num_outputs());
    if (should_compute_output(0)) r[0] = reduce_grad(autograd::masked_fill(g[0], mask, Scalar(0.0)), self_info);
    if (has_value && should_compute_output(1))
      r[1] = reduce_grad(autograd::sum(autograd::masked_select(g[0], mask)), value_info);
    return r;
  }
};

struct MaskedSelectBackward0 : Node {
  Tensor mask;
  InputMeta self_info;
  std::string name() const override { return "MaskedSelectBackward0"; }
  variable_list apply(variable_list&& g) override {
    if (!should_compute_output(0)) return {Tensor()};
    DimVector shape = broadcast_shapes(self_info.sizes, mask.sizes());
    Tensor z = ::pe::zeros(shape, TensorOptions{g[0].dtype(), g[0].device()});
    Tensor m = ::pe::expand(mask, shape);
    return {reduce_grad(autograd::index_put(z, {m}, g[0], /*accumulate=*/true), self_info)};
  }
};

std::shared_ptr<MaskedFillBackward> fill_node(const Tensor& self, const Tensor& mask, const Tensor* value) {
  auto n = value ? make_node<MaskedFillBackward>({&self, value}) : make_node<MaskedFillBackward>({&self});
  if (n) {
    n->mask = mask;
    n->self_info = input_info(self);
    n->has_value = value != nullptr;
    if (value) n->value_info = input_info(*value);
  }
  return n;
}

}  // namespace

Tensor masked_fill(const Tensor& self, const Tensor& mask, const Scalar& value) {
  Tensor r = ::pe::masked_fill(self, mask, value);
  if (auto n = fill_node(self, mask, nullptr)) set_history(r, n);
  return r;
}

Tensor masked_fill(const Tensor& self, const Tensor& mask, const Tensor& value) {
  Tensor r = ::pe::masked_fill(self, mask, value);
  if (auto n = fill_node(self, mask, &value)) set_history(r, n);
  return r;
}

Tensor& masked_fill_(Tensor& self, const Tensor& mask, const Scalar& value) {
  check_inplace(self);
  auto n = fill_node(self, mask, nullptr);
  ::pe::masked_fill_(self, mask, value);
  if (n) rebase_history(self, n);
  return self;
}

Tensor& masked_fill_(Tensor& self, const Tensor& mask, const Tensor& value) {
  check_inplace(self);
  auto n = fill_node(self, mask, &value);
  ::pe::masked_fill_(self, mask, value);
  if (n) rebase_history(self, n);
  return self;
}

Tensor masked_select(const Tensor& self, const Tensor& mask) {
  Tensor r = ::pe::masked_select(self, mask);
  if (auto n = make_node<MaskedSelectBackward0>({&self})) {
    n->mask = mask;
    n->self_info = input_info(self);
    set_history(r, n);
  }
  return r;
}

}  // namespace pe::autograd
