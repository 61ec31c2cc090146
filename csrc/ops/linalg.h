// The linear algebra ops (issue 3): matrix products on our own GEMM, structure ops (trace, diag,
// tril/triu, cross) and the factorizations (LU with partial pivoting for inv/det/slogdet/solve, a
// one-sided Jacobi SVD), with PyTorch's shapes, dtype rules and error messages.
#pragma once
#include <optional>
#include <tuple>

#include "ops/ops.h"

namespace pe {

// ---- products (ops/linalg_matmul.cpp) ----
Tensor mm(const Tensor& a, const Tensor& b);
Tensor bmm(const Tensor& a, const Tensor& b);
Tensor matmul(const Tensor& a, const Tensor& b);  // PyTorch's 1-D, folding and batch-broadcast rules
Tensor mv(const Tensor& mat, const Tensor& vec);
Tensor dot(const Tensor& a, const Tensor& b);
Tensor vdot(const Tensor& a, const Tensor& b);  // dot for real tensors (no conjugation to do)
Tensor outer(const Tensor& a, const Tensor& b);

// ---- products with an added input (ops/linalg_addmm.cpp): beta * input + alpha * product;
// beta == 0 ignores input (NaN in it does not propagate). ----
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

// ---- structure (ops/linalg_struct.cpp) ----
Tensor trace(const Tensor& t);
Tensor diag(const Tensor& t, int64_t diagonal);
Tensor tril(const Tensor& t, int64_t diagonal);
Tensor triu(const Tensor& t, int64_t diagonal);
Tensor& tril_(Tensor& t, int64_t diagonal);
Tensor& triu_(Tensor& t, int64_t diagonal);
// torch.cross: dim unset picks the first dim of size 3 (deprecated in PyTorch; the binding warns).
Tensor cross(const Tensor& a, const Tensor& b, std::optional<int64_t> dim);
Tensor linalg_cross(const Tensor& a, const Tensor& b, int64_t dim);

// ---- factorizations (ops/linalg_factor.cpp, ops/linalg_svd.cpp) ----
Tensor linalg_inv(const Tensor& a);
Tensor linalg_det(const Tensor& a);
std::tuple<Tensor, Tensor> linalg_slogdet(const Tensor& a);  // (sign, logabsdet)
Tensor logdet(const Tensor& a);
Tensor linalg_solve(const Tensor& a, const Tensor& b, bool left);
std::tuple<Tensor, Tensor, Tensor> linalg_svd(const Tensor& a, bool full_matrices);  // (U, S, Vh)
Tensor linalg_svdvals(const Tensor& a);
std::tuple<Tensor, Tensor, Tensor> svd(const Tensor& a, bool some, bool compute_uv);  // (U, S, V)

// Raised for singular inputs to inv/solve: Python's torch.linalg.LinAlgError (a RuntimeError).
class LinAlgError : public Error {
 public:
  using Error::Error;
};

}  // namespace pe
