// Differentiable wrappers (Note [Recording] in autograd/variable.h) of the selection and shaping ops
// (ops/select.h, plus repeat from ops.h and trace/diag/tril/triu from ops/linalg.h): same names and
// arguments as the plain ops. Each runs the plain op and records PyTorch's node (CatBackward0,
// GatherBackward0, SortBackward0, ...) when an input requires grad. Call them qualified
// (autograd::cat(...)): argument-dependent lookup would also find pe::cat.
#pragma once
#include <optional>
#include <string>

#include "autograd/variable.h"
#include "ops/select.h"

namespace pe::autograd {

// ---- shape ops that copy (autograd/functions/select_shape.cpp) ----
Tensor cat(const TensorList& tensors, int64_t dim);
Tensor stack(const TensorList& tensors, int64_t dim);
Tensor repeat(const Tensor& self, const DimVector& repeats);
Tensor flip(const Tensor& self, const DimVector& dims);
Tensor roll(const Tensor& self, const DimVector& shifts, const DimVector& dims);
Tensor tril(const Tensor& self, int64_t diagonal);
Tensor triu(const Tensor& self, int64_t diagonal);
Tensor& tril_(Tensor& self, int64_t diagonal);
Tensor& triu_(Tensor& self, int64_t diagonal);
Tensor diag(const Tensor& self, int64_t diagonal);
Tensor trace(const Tensor& self);
Tensor diag_embed(const Tensor& self, int64_t offset, int64_t dim1, int64_t dim2);
Tensor narrow_copy(const Tensor& self, int64_t dim, int64_t start, int64_t length);
// As PyTorch, composites of differentiable ops when a gradient is needed (the plain kernel otherwise).
Tensor repeat_interleave(const Tensor& self, const Tensor& repeats, std::optional<int64_t> dim,
                         std::optional<int64_t> output_size);
Tensor repeat_interleave(const Tensor& self, int64_t repeats, std::optional<int64_t> dim,
                         std::optional<int64_t> output_size);

// ---- gather / scatter / index_* / take (autograd/functions/select_scatter.cpp) ----
Tensor gather(const Tensor& self, int64_t dim, const Tensor& index);
// reduce != "": PyTorch has no derivative (the node raises when backward reaches it).
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce = "");
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value,
               const std::string& reduce = "");
Tensor& scatter_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce = "");
Tensor& scatter_(Tensor& self, int64_t dim, const Tensor& index, const Scalar& value, const std::string& reduce = "");
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
Tensor& scatter_add_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index);
Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha);
Tensor& index_add_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha);
Tensor index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source);
Tensor& index_copy_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& source);
Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value);
Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& value);
Tensor& index_fill_(Tensor& self, int64_t dim, const Tensor& index, const Scalar& value);
Tensor& index_fill_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& value);
Tensor take(const Tensor& self, const Tensor& index);
Tensor take_along_dim(const Tensor& self, const Tensor& indices, std::optional<int64_t> dim);

// ---- scatter_reduce and sorting (autograd/functions/select_reduce.cpp) ----
Tensor scatter_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                      const std::string& reduce, bool include_self);
Tensor& scatter_reduce_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce,
                        bool include_self);
// values differentiable (the gradient goes back through indices); indices are not.
// stable_overload: PyTorch's sort.stable (any stable= given in Python), recorded as SortBackward1.
ValuesIndices sort(const Tensor& self, int64_t dim, bool descending, bool stable, bool stable_overload = false);
ValuesIndices topk(const Tensor& self, int64_t k, int64_t dim, bool largest, bool sorted);
ValuesIndices kthvalue(const Tensor& self, int64_t k, int64_t dim, bool keepdim);
Tensor msort(const Tensor& self);

// ---- masks (autograd/functions/select_mask.cpp) ----
Tensor masked_fill(const Tensor& self, const Tensor& mask, const Scalar& value);
Tensor masked_fill(const Tensor& self, const Tensor& mask, const Tensor& value);
Tensor& masked_fill_(Tensor& self, const Tensor& mask, const Scalar& value);
Tensor& masked_fill_(Tensor& self, const Tensor& mask, const Tensor& value);
Tensor masked_select(const Tensor& self, const Tensor& mask);

}  // namespace pe::autograd
