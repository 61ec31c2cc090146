// Differentiable wrappers (Note [Recording] in autograd/variable.h) of the reductions in
// ops/reduce.h beyond sum/mean (autograd/ops_basic.h): prod, max/min (full, with dim), amax/amin,
// median/mode, var/std (+ _mean), norm, dist, logsumexp, cumsum/cumprod. Same names and arguments
// as the plain ops; call them qualified (autograd::prod). Formulas: autograd/functions/
// reduce_extremes.cpp (prod, max/min/amax/amin/median/mode) and reduce_stats.cpp (the rest).
#pragma once
#include <optional>
#include <utility>

#include "autograd/variable.h"
#include "ops/reduce.h"

namespace pe::autograd {

// ---- reduce_extremes.cpp ----
Tensor prod(const Tensor& x, std::optional<int64_t> dim = std::nullopt, bool keepdim = false,
            OptDType dtype = std::nullopt);
Tensor amax(const Tensor& x, const OptDims& dim = std::nullopt, bool keepdim = false);
Tensor amin(const Tensor& x, const OptDims& dim = std::nullopt, bool keepdim = false);
Tensor max(const Tensor& x);
Tensor min(const Tensor& x);
std::pair<Tensor, Tensor> max(const Tensor& x, int64_t dim, bool keepdim = false);
std::pair<Tensor, Tensor> min(const Tensor& x, int64_t dim, bool keepdim = false);
Tensor median(const Tensor& x);
std::pair<Tensor, Tensor> median(const Tensor& x, int64_t dim, bool keepdim = false);
std::pair<Tensor, Tensor> mode(const Tensor& x, int64_t dim = -1, bool keepdim = false);

// ---- reduce_stats.cpp ----
Tensor var(const Tensor& x, const OptDims& dim = std::nullopt, double correction = 1, bool keepdim = false);
Tensor std(const Tensor& x, const OptDims& dim = std::nullopt, double correction = 1, bool keepdim = false);
std::pair<Tensor, Tensor> var_mean(const Tensor& x, const OptDims& dim = std::nullopt, double correction = 1,
                                   bool keepdim = false);
std::pair<Tensor, Tensor> std_mean(const Tensor& x, const OptDims& dim = std::nullopt, double correction = 1,
                                   bool keepdim = false);
Tensor norm(const Tensor& x, double p = 2, const OptDims& dim = std::nullopt, bool keepdim = false,
            OptDType dtype = std::nullopt);
Tensor dist(const Tensor& a, const Tensor& b, double p = 2);
Tensor logsumexp(const Tensor& x, const DimVector& dim, bool keepdim = false);
Tensor cumsum(const Tensor& x, int64_t dim, OptDType dtype = std::nullopt);
Tensor cumprod(const Tensor& x, int64_t dim, OptDType dtype = std::nullopt);
Tensor& cumsum_(Tensor& x, int64_t dim, OptDType dtype = std::nullopt);
Tensor& cumprod_(Tensor& x, int64_t dim, OptDType dtype = std::nullopt);

// ---- helpers shared by the reduction formula files ----
namespace reduce_ag_detail {
// A reduced gradient (or result) brought back to keepdim shape, so it broadcasts against the
// input: unsqueezes the reduced dims when !keepdim. Differentiable.
Tensor unsqueeze_reduced(const Tensor& g, const Tensor& input, const OptDims& dim, bool keepdim);
// The number of input elements reduced into each output element.
int64_t reduced_count(const Tensor& input, const OptDims& dim);
// Differentiable flip (its own backward), for the reversed cumulative sums.
Tensor flip(const Tensor& t, int64_t dim);
}  // namespace reduce_ag_detail

}  // namespace pe::autograd
