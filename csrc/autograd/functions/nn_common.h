// Helpers shared by the nn backward nodes (autograd/functions/nn*.cpp): recording nodes with
// optional outputs and a shape-only stand-in for inputs whose backward kernels read only their
// shape/dtype.
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

}  // namespace pe::autograd::nn_detail
