// The engine: runs the backward graph from some roots. Iterative (no recursion, so deep graphs do
// not overflow the stack), dependency-counted, a ready queue ordered by sequence number.
#pragma once
#include "autograd/node.h"

namespace pe::autograd {

// Tensor.backward / torch.autograd.backward: gradients accumulate into leaves' .grad.
// grad_outputs[i] may be undefined for a scalar root (ones). inputs (optional): accumulate only
// into these.
void backward(const TensorList& roots, const TensorList& grad_outputs, bool keep_graph, bool create_graph,
              const TensorList& inputs = {});
// torch.autograd.grad: returns d roots / d inputs without touching .grad; undefined where an input
// is unreachable and allow_unused (an error otherwise).
TensorList grad(const TensorList& roots, const TensorList& grad_outputs, const TensorList& inputs, bool keep_graph,
                bool create_graph, bool allow_unused);

}  // namespace pe::autograd
