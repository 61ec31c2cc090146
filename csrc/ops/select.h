// The selection and shaping ops (issue 3): sorting (sort, argsort, topk, kthvalue), comparisons
// that answer one bool (equal, allclose) or a mask (isclose), masks (masked_select, masked_fill,
// nonzero), gather/scatter and the index_* family, take, and shape ops that copy (cat, stack,
// flip, roll, repeat_interleave, diag_embed). Names and arguments follow PyTorch; Python binds
// these in csrc/python/select_bindings*.cpp.
#pragma once
#include <optional>
#include <string>

#include "ops/ops.h"
#include "ops/out.h"

namespace pe {

struct ValuesIndices {
  Tensor values, indices;
};

// ---- sorting (ops/select_sort.cpp). NaN sorts as the largest value (as PyTorch). ----
ValuesIndices sort(const Tensor& self, int64_t dim, bool descending, bool stable);
Tensor argsort(const Tensor& self, int64_t dim, bool descending, bool stable);
ValuesIndices topk(const Tensor& self, int64_t k, int64_t dim, bool largest, bool sorted);
ValuesIndices kthvalue(const Tensor& self, int64_t k, int64_t dim, bool keepdim);

// PyTorch's assert_no_overlap for ops that read `read` while writing `written`: an error when both
// are dense and their memory intersects (other layouts are "too hard" to tell and allowed).
void check_no_overlap(const Tensor& written, const Tensor& read);

// ---- comparisons and masks (ops/select_mask.cpp) ----
// PyTorch's "Expected all tensors to be on the same device, but found at least two devices, a and
// b!" (RuntimeError) when a and b live on different devices.
void check_same_device(const Tensor& a, const Tensor& b);
bool equal(const Tensor& a, const Tensor& b);
Tensor isclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan);
bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan);
Tensor masked_select(const Tensor& self, const Tensor& mask);
Tensor masked_fill(const Tensor& self, const Tensor& mask, const Scalar& value);
Tensor masked_fill(const Tensor& self, const Tensor& mask, const Tensor& value);  // 0-d value
Tensor& masked_fill_(Tensor& self, const Tensor& mask, const Scalar& value);
Tensor& masked_fill_(Tensor& self, const Tensor& mask, const Tensor& value);
TensorList nonzero_tuple(const Tensor& self);  // nonzero(as_tuple=True); where(condition)

// ---- gather / scatter / index_* / take (ops/select_scatter.cpp) ----
// reduce: "" (plain assignment), "add" or "multiply" (PyTorch's deprecated scatter(reduce=)).
Tensor gather(const Tensor& self, int64_t dim, const Tensor& index);
Tensor& scatter_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce = "");
Tensor& scatter_(Tensor& self, int64_t dim, const Tensor& index, const Scalar& value, const std::string& reduce = "");
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce = "");
Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value, const std::string& reduce = "");
Tensor& scatter_add_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src);
// scatter_reduce: reduce is sum, prod, mean, amax or amin ("max"/"min" too, as PyTorch accepts).
Tensor& scatter_reduce_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce,
                        bool include_self);
Tensor scatter_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                      const std::string& reduce, bool include_self);
Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index);
Tensor& index_add_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha);
Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha);
Tensor& index_fill_(Tensor& self, int64_t dim, const Tensor& index, const Scalar& value);
Tensor& index_fill_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& value);  // 0-d value
Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value);
Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& value);
Tensor& index_copy_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& source);
Tensor index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source);
Tensor take(const Tensor& self, const Tensor& index);
Tensor take_along_dim(const Tensor& self, const Tensor& indices, std::optional<int64_t> dim);

// ---- shape ops that copy (ops/select_shape.cpp) ----
Tensor cat(const TensorList& tensors, int64_t dim);
Tensor& cat_out(Tensor& out, const TensorList& tensors, int64_t dim);
Tensor stack(const TensorList& tensors, int64_t dim);
Tensor flip(const Tensor& self, const DimVector& dims);
Tensor roll(const Tensor& self, const DimVector& shifts, const DimVector& dims);
Tensor repeat_interleave(const Tensor& self, const Tensor& repeats, std::optional<int64_t> dim,
                         std::optional<int64_t> output_size);
Tensor repeat_interleave(const Tensor& self, int64_t repeats, std::optional<int64_t> dim,
                         std::optional<int64_t> output_size);
Tensor repeat_interleave(const Tensor& repeats, std::optional<int64_t> output_size);  // indices form
Tensor diag_embed(const Tensor& self, int64_t offset, int64_t dim1, int64_t dim2);
Tensor narrow_copy(const Tensor& self, int64_t dim, int64_t start, int64_t length);

}  // namespace pe
