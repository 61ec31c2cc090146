// Differentiable indexing (Note [Recording] in autograd/variable.h): Tensor.__getitem__ /
// __setitem__ with PyTorch's graph, and the advanced-indexing ops under them (index -> IndexBackward0,
// index_put -> IndexPutBackward0). Note [Differentiable indexing] in functions/index.cpp says how an
// index expression is split into view ops and one advanced index, as PyTorch's applySlicing does.
#pragma once
#include "autograd/variable.h"
#include "ops/ops.h"

namespace pe::autograd {

// at::index: one entry per leading dim of self, undefined = the whole dim; a bool/uint8 mask entry
// covers mask.dim() dims. IndexBackward0.
Tensor index(const Tensor& self, const TensorList& indices);
// at::index_put / index_put_: IndexPutBackward0 (values broadcast to the indexing result).
Tensor index_put(const Tensor& self, const TensorList& indices, const Tensor& values, bool accumulate);
Tensor& index_put_(Tensor& self, const TensorList& indices, const Tensor& values, bool accumulate);
// x[...] with no other index: a differentiable alias of self (AliasBackward0).
Tensor alias(const Tensor& self);
// self.fill_(value) with a 0-d tensor value (FillBackward3): the value receives grad.sum().
Tensor& fill_(Tensor& self, const Tensor& value);

// self[indices]; `single` is true when Python passed one index object rather than a tuple (a lone
// slice then always makes a SliceBackward0 view, as in PyTorch, even when it takes everything).
Tensor getitem(const Tensor& self, const std::vector<TensorIndex>& indices, bool single);
// self[indices] = value (a Python number is written as a 0-d tensor of self's dtype).
void setitem(Tensor& self, const std::vector<TensorIndex>& indices, const Tensor& value);
void setitem(Tensor& self, const std::vector<TensorIndex>& indices, const Scalar& value);

}  // namespace pe::autograd
