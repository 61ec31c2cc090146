// Differentiable wrappers (Note [Recording] in variable.h) of the basic ops every backward formula
// uses: arithmetic, sum/mean, the view ops, clone/to, mm. Same names and arguments as the plain ops
// in pe::; call them qualified (autograd::mul(...)), because argument-dependent lookup would also
// find pe::mul for an unqualified call.
#pragma once
#include <optional>

#include "autograd/variable.h"
#include "core/memory_format.h"
#include "ops/elementwise.h"
#include "ops/reduce.h"

namespace pe::autograd {

// ---- arithmetic (autograd/ops_arith.cpp) ----
Tensor add(const TensorOrScalar& a, const TensorOrScalar& b, const Scalar& alpha = Scalar(int64_t(1)));
Tensor sub(const TensorOrScalar& a, const TensorOrScalar& b, const Scalar& alpha = Scalar(int64_t(1)));
Tensor rsub(const Tensor& a, const TensorOrScalar& b, const Scalar& alpha = Scalar(int64_t(1)));
Tensor mul(const TensorOrScalar& a, const TensorOrScalar& b);
Tensor div(const TensorOrScalar& a, const TensorOrScalar& b,
           const std::optional<std::string>& rounding_mode = std::nullopt);
Tensor neg(const Tensor& a);
Tensor& add_(Tensor& a, const TensorOrScalar& b, const Scalar& alpha = Scalar(int64_t(1)));
Tensor& sub_(Tensor& a, const TensorOrScalar& b, const Scalar& alpha = Scalar(int64_t(1)));
Tensor& mul_(Tensor& a, const TensorOrScalar& b);
Tensor& div_(Tensor& a, const TensorOrScalar& b, const std::optional<std::string>& rounding_mode = std::nullopt);
Tensor& neg_(Tensor& a);

// ---- sum and mean (autograd/ops_basic_reduce.cpp) ----
Tensor sum(const Tensor& x, const OptDims& dim = std::nullopt, bool keepdim = false, OptDType dtype = std::nullopt);
Tensor mean(const Tensor& x, const OptDims& dim = std::nullopt, bool keepdim = false, OptDType dtype = std::nullopt);
// A reduction's gradient with its reduced dims put back as size 1 (unless keepdim), ready to expand
// to the input's sizes. `dim` as the reductions take it (nullopt or empty: all dims).
Tensor unsqueeze_reduced(const Tensor& g, int64_t input_dim, const OptDims& dim, bool keepdim);

// ---- views and copies (autograd/ops_view.cpp) ----
Tensor view(const Tensor& t, const DimVector& shape);
Tensor reshape(const Tensor& t, const DimVector& shape);
Tensor as_strided(const Tensor& t, const DimVector& sizes, const DimVector& strides,
                  std::optional<int64_t> storage_offset);
Tensor permute(const Tensor& t, const DimVector& dims);
Tensor transpose(const Tensor& t, int64_t d0, int64_t d1);
Tensor t(const Tensor& t);
Tensor expand(const Tensor& t, const DimVector& sizes);
Tensor narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length);
Tensor select(const Tensor& t, int64_t dim, int64_t index);
Tensor slice(const Tensor& t, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> stop, int64_t step);
Tensor squeeze(const Tensor& t, std::optional<DimVector> dims);
Tensor unsqueeze(const Tensor& t, int64_t dim);
Tensor flatten(const Tensor& t, int64_t start_dim, int64_t end_dim);
Tensor unflatten(const Tensor& t, int64_t dim, const DimVector& sizes);
Tensor diagonal(const Tensor& t, int64_t offset, int64_t dim1, int64_t dim2);
TensorList split(const Tensor& t, int64_t split_size, int64_t dim);
TensorList split_with_sizes(const Tensor& t, const DimVector& sizes, int64_t dim);
TensorList chunk(const Tensor& t, int64_t chunks, int64_t dim);
TensorList unbind(const Tensor& t, int64_t dim);
Tensor clone(const Tensor& t, MemoryFormat fmt = MemoryFormat::Preserve);
Tensor contiguous(const Tensor& t, MemoryFormat fmt = MemoryFormat::Contiguous);
Tensor to(const Tensor& t, std::optional<DType> dtype, std::optional<Device> device, bool copy = false,
          MemoryFormat fmt = MemoryFormat::Preserve);
Tensor detach(const Tensor& t);  // shares storage and version counter, no history
Tensor& copy_(Tensor& dst, const Tensor& src);
Tensor& fill_(Tensor& t, const Scalar& value);
Tensor& zero_(Tensor& t);

// The zeros of `sizes` with g scattered into the region a view op took (differentiable): the
// backward of select/narrow/slice/diagonal/as_strided.
Tensor select_backward(const Tensor& g, const DimVector& input_sizes, int64_t dim, int64_t index);
Tensor slice_backward(const Tensor& g, const DimVector& input_sizes, int64_t dim, int64_t start, int64_t end,
                      int64_t step);
Tensor diagonal_backward(const Tensor& g, const DimVector& input_sizes, int64_t offset, int64_t dim1, int64_t dim2);

// ---- matrix product (autograd/ops_mm.cpp) ----
Tensor mm(const Tensor& a, const Tensor& b);

}  // namespace pe::autograd
