// The op layer of the reductions (ops/reduce.cpp, ops/reduce_stats.cpp), the scans and the sorting
// reductions (ops/reduce_sort.cpp), with PyTorch's names, defaults, dtype rules and errors.
// `dim` arguments: std::nullopt or an empty list reduces every dim (PyTorch's dim=None / dim=[]).
#pragma once
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "core/reduce_iter.h"
#include "core/tensor.h"

namespace pe {

using OptDims = std::optional<DimVector>;
using OptDType = std::optional<DType>;

// ---- sums and extremes (ops/reduce.cpp) ----
// Integer and bool inputs sum/multiply into int64; dtype casts the input first.
Tensor sum(const Tensor& x, const OptDims& dim = std::nullopt, bool keepdim = false, OptDType dtype = std::nullopt);
Tensor mean(const Tensor& x, const OptDims& dim = std::nullopt, bool keepdim = false, OptDType dtype = std::nullopt);
Tensor prod(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false,
            OptDType dtype = std::nullopt);
Tensor amax(const Tensor& x, const OptDims& dim = std::nullopt, bool keepdim = false);
Tensor amin(const Tensor& x, const OptDims& dim = std::nullopt, bool keepdim = false);
Tensor max(const Tensor& x);  // 0-d; RuntimeError on an empty input
Tensor min(const Tensor& x);
std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);  // (values, indices)
std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);
// Elementwise maximum/minimum with promotion and broadcasting (NaN propagates), built on amax/amin.
Tensor max(const Tensor& a, const Tensor& b);
Tensor min(const Tensor& a, const Tensor& b);
Tensor argmax(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor argmin(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor all(const Tensor& x, const OptDims& dim = std::nullopt, bool keepdim = false);
Tensor any(const Tensor& x, const OptDims& dim = std::nullopt, bool keepdim = false);
Tensor count_nonzero(const Tensor& x, const OptDims& dim = std::nullopt);

// ---- statistics and norms (ops/reduce_stats.cpp) ----
// correction: 1 is the unbiased estimate, 0 the population one.
Tensor var(const Tensor& x, const OptDims& dim = std::nullopt, double correction = 1, bool keepdim = false);
Tensor std(const Tensor& x, const OptDims& dim = std::nullopt, double correction = 1, bool keepdim = false);
std::pair<Tensor, Tensor> var_mean(const Tensor& x, const OptDims& dim = std::nullopt, double correction = 1,
                                   bool keepdim = false);
std::pair<Tensor, Tensor> std_mean(const Tensor& x, const OptDims& dim = std::nullopt, double correction = 1,
                                   bool keepdim = false);
// The vector p-norm over dim (every dim when empty): p = 0, 1, 2, +-inf or any real.
Tensor norm(const Tensor& x, double p = 2, const OptDims& dim = std::nullopt, bool keepdim = false,
            OptDType dtype = std::nullopt);
Tensor dist(const Tensor& a, const Tensor& b, double p = 2);
Tensor logsumexp(const Tensor& x, const DimVector& dim, bool keepdim = false);

// ---- scans and sorting reductions (ops/reduce_sort.cpp) ----
Tensor cumsum(const Tensor& x, int64_t dim, OptDType dtype = std::nullopt);
Tensor cumprod(const Tensor& x, int64_t dim, OptDType dtype = std::nullopt);
Tensor& cumsum_(Tensor& x, int64_t dim, OptDType dtype = std::nullopt);
Tensor& cumprod_(Tensor& x, int64_t dim, OptDType dtype = std::nullopt);
Tensor median(const Tensor& x);  // lower median of all elements; NaN if any is NaN
std::pair<Tensor, Tensor> median(const Tensor& x, int64_t dim, bool keepdim = false);
std::pair<Tensor, Tensor> mode(const Tensor& x, int64_t dim = -1, bool keepdim = false);

// ---- shared by the reduction op files (ops/reduce.cpp) ----
namespace reduce_detail {
// Which dims of x are reduced (every dim for nullopt or an empty list); wraps negative dims and
// raises PyTorch's errors for out-of-range or repeated dims.
std::vector<bool> reduce_mask(const Tensor& x, const OptDims& dim);
DimVector reduced_shape(const Tensor& x, const std::vector<bool>& mask, bool keepdim);
// Calls f(geom, input) with an Inner or Outer geometry, copying x with its reduced dims innermost
// when its layout allows neither (Note [Reduction geometry]).
void with_geom(const Tensor& x, const std::vector<bool>& mask, bool order_matters,
               const std::function<void(const ReduceGeom&, const Tensor&)>& f);
// The first reduced dim of size 0, or -1.
int64_t empty_reduced_dim(const Tensor& x, const std::vector<bool>& mask);
}  // namespace reduce_detail

}  // namespace pe
