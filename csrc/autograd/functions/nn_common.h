// Helpers shared by the nn backward nodes (autograd/functions/nn*.cpp): recording nodes with
// optional outputs, a shape-only stand-in for inputs whose backward kernels read only their
// shape/dtype, and the node that refuses a double backward not implemented yet.
#pragma once
#include "autograd/ops_nn.h"
#include "autograd/saved_variable.h"

namespace pe::autograd::nn_detail {

// An optional tensor argument as make_node's input: null (no edge) when undefined.
inline const Tensor* opt_ptr(const Tensor& t) { return t.defined() ? &t : nullptr; }

// A tensor with t's sizes, dtype and device and no memory of its own (a 0-d zero expanded): what
// the pooling backward kernels need of their `input` argument.
inline Tensor shape_proxy(const DimVector& sizes, DType dt, Device dev) {
  return ::pe::expand(::pe::zeros({}, TensorOptions{dt, dev}), sizes);
}
inline Tensor shape_proxy(const Tensor& t) { return shape_proxy(t.sizes(), t.dtype(), t.device()); }

// Makes each output an output of `node` in order; undefined outputs keep their slot (an empty
// metadata entry) so output_nr i is always outs[i].
inline void set_history_slots(const TensorList& outs, const std::shared_ptr<Node>& node) {
  for (const Tensor& t : outs) {
    if (t.defined())
      set_history(t, node);
    else
      node->add_input_metadata(InputMeta{});
  }
}

// A backward result whose own derivative is not implemented: differentiating it again raises
// (rather than silently giving zero second derivatives).
struct NotImplementedBackward : Node {
  std::string name_;
  explicit NotImplementedBackward(std::string n) : name_(std::move(n)) {}
  std::string name() const override { return name_; }
  variable_list apply(variable_list&&) override {
    PE_CHECK_T(::pe::NotImplementedError, false, "the derivative for '", name_, "' is not implemented.");
    return {};
  }
};

// Records `outs` (computed by a backward kernel from `inputs`) under a NotImplementedBackward
// node when create_graph is on and an input requires grad.
inline void mark_not_twice_differentiable(const TensorList& outs, std::initializer_list<const Tensor*> inputs,
                                          const char* name) {
  if (auto n = make_node<NotImplementedBackward>(inputs, name)) set_history_slots(outs, n);
}

}  // namespace pe::autograd::nn_detail
