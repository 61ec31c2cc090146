// Differentiable wrappers (Note [Recording] in autograd/variable.h) of the linear algebra ops in
// ops/linalg.h: the same names and arguments as the plain ops. matmul records the graph PyTorch's
// composite matmul records (dot / mv / mm / bmm with the views, expands and folds around them), so
// grad_fn names match torch's. Formulas follow PyTorch's derivatives.yaml for real inputs.
#pragma once
#include <optional>
#include <tuple>

#include "autograd/ops_basic.h"
#include "ops/linalg.h"

namespace pe::autograd {

// ---- products (autograd/functions/linalg_products.cpp) ----
Tensor bmm(const Tensor& a, const Tensor& b);
Tensor mv(const Tensor& mat, const Tensor& vec);
Tensor dot(const Tensor& a, const Tensor& b);
Tensor vdot(const Tensor& a, const Tensor& b);
Tensor outer(const Tensor& a, const Tensor& b);
Tensor matmul(const Tensor& a, const Tensor& b);
// at::_unsafe_view: a reshape whose result is not tracked as a view (UnsafeViewBackward0); what
// matmul uses to unfold its mm/bmm results.
Tensor unsafe_view(const Tensor& t, const DimVector& shape);

// ---- products with an added input (autograd/functions/linalg_addmm.cpp) ----
Tensor addmm(const Tensor& input, const Tensor& m1, const Tensor& m2, const Scalar& beta, const Scalar& alpha);
Tensor baddbmm(const Tensor& input, const Tensor& b1, const Tensor& b2, const Scalar& beta, const Scalar& alpha);
Tensor addbmm(const Tensor& input, const Tensor& b1, const Tensor& b2, const Scalar& beta, const Scalar& alpha);
Tensor addmv(const Tensor& input, const Tensor& mat, const Tensor& vec, const Scalar& beta, const Scalar& alpha);
Tensor addr(const Tensor& input, const Tensor& v1, const Tensor& v2, const Scalar& beta, const Scalar& alpha);
Tensor& addmm_(Tensor& self, const Tensor& m1, const Tensor& m2, const Scalar& beta, const Scalar& alpha);
Tensor& baddbmm_(Tensor& self, const Tensor& b1, const Tensor& b2, const Scalar& beta, const Scalar& alpha);
Tensor& addbmm_(Tensor& self, const Tensor& b1, const Tensor& b2, const Scalar& beta, const Scalar& alpha);
Tensor& addmv_(Tensor& self, const Tensor& mat, const Tensor& vec, const Scalar& beta, const Scalar& alpha);
Tensor& addr_(Tensor& self, const Tensor& v1, const Tensor& v2, const Scalar& beta, const Scalar& alpha);

// ---- cross (autograd/functions/linalg_struct.cpp; trace/tril/triu are in ops_select.h) ----
Tensor cross(const Tensor& a, const Tensor& b, std::optional<int64_t> dim);
Tensor linalg_cross(const Tensor& a, const Tensor& b, int64_t dim);

// ---- factorizations (autograd/functions/linalg_factor.cpp) ----
Tensor linalg_inv(const Tensor& a);
Tensor linalg_det(const Tensor& a);
std::tuple<Tensor, Tensor> linalg_slogdet(const Tensor& a);
Tensor logdet(const Tensor& a);
Tensor linalg_solve(const Tensor& a, const Tensor& b, bool left);
std::tuple<Tensor, Tensor, Tensor> linalg_svd(const Tensor& a, bool full_matrices);
Tensor linalg_svdvals(const Tensor& a);
std::tuple<Tensor, Tensor, Tensor> svd(const Tensor& a, bool some, bool compute_uv);

}  // namespace pe::autograd
