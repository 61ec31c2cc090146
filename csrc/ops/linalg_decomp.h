// The decompositions under torch.linalg's cholesky, solve_triangular, qr, eigh and lu_factor
// (ops/linalg_decomp.cpp): plain, batched, float32/float64 ops with PyTorch's shapes and messages.
// Not differentiable here: pyengine/_linalg_decomp.py wraps them with PyTorch's backward formulas.
#pragma once
#include <string>
#include <tuple>

#include "ops/ops.h"

namespace pe {

// (L, info): the lower factor (or U = L^T with upper), info int32 with A's batch shape (LAPACK's
// potrf info: 0 or the order of the first leading minor that is not positive-definite).
std::tuple<Tensor, Tensor> linalg_cholesky_ex(const Tensor& a, bool upper);
// X with A X = B (left) or X A = B, A triangular; batch dims broadcast.
Tensor linalg_solve_triangular(const Tensor& a, const Tensor& b, bool upper, bool left, bool unitriangular);
// (reflectors with R above them, tau): LAPACK geqrf's layout (torch.geqrf).
std::tuple<Tensor, Tensor> geqrf(const Tensor& a);
// The first n columns of the product of the Householder reflectors (torch.linalg.householder_product).
Tensor linalg_householder_product(const Tensor& a, const Tensor& tau);
// (eigenvalues ascending, eigenvectors or an undefined tensor) from the `uplo` ("L"/"U") triangle.
std::tuple<Tensor, Tensor> linalg_eigh(const Tensor& a, const std::string& uplo, bool compute_v);
// (LU, pivots, info): pivots int32 1-based as LAPACK getrf, info int32 (0 or 1 + the first zero pivot).
std::tuple<Tensor, Tensor, Tensor> linalg_lu_factor_ex(const Tensor& a);

}  // namespace pe
