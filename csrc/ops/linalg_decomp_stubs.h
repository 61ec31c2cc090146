// The kernel tables of the decompositions (defined in ops/linalg_decomp.cpp; CPU kernels in
// cpu/linalg_kernel_decomp.cpp, CUDA kernels in cuda/linalg_factor.cu and cuda/linalg_eig.cu). Operands are fresh contiguous row-major float32/float64 batches
// prepared by the op layer; integer outputs are int64.
#pragma once
#include "core/dispatch.h"
#include "core/tensor.h"

namespace pe {

// In-place Cholesky of (B, n, n): a becomes L (lower, strictly upper part zeroed). info (B): 0, or
// the order of the first leading minor that is not positive-definite (LAPACK potrf's info).
using CholeskyFn = void (*)(const Tensor& a, const Tensor& info);
extern DispatchStub<CholeskyFn> cholesky_stub;

// Solves A X = R in place of R (B, n, k) with A (B, n, n) triangular: only the upper (or lower)
// triangle is read, and not the diagonal when it is taken to be ones (unitriangular).
using TriangularSolveFn = void (*)(const Tensor& a, const Tensor& rhs, bool upper, bool unitriangular);
extern DispatchStub<TriangularSolveFn> triangular_solve_stub;

// Householder QR in place of (B, m, n) with LAPACK geqrf's layout; tau (B, min(m, n)).
using GeqrfFn = void (*)(const Tensor& a, const Tensor& tau);
extern DispatchStub<GeqrfFn> geqrf_stub;

// The first n columns of H_1 ... H_k (householder_product / LAPACK orgqr) in place of the
// reflectors a (B, m, n), tau (B, k), k <= n <= m.
using OrgqrFn = void (*)(const Tensor& a, const Tensor& tau);
extern DispatchStub<OrgqrFn> orgqr_stub;

// Eigenvalues w (B, n), ascending, of the symmetric (B, n, n) a (both triangles filled), and with v
// (B, n, n) defined the orthonormal eigenvectors as its columns.
using EighFn = void (*)(const Tensor& a, const Tensor& w, const Tensor& v);
extern DispatchStub<EighFn> eigh_stub;

}  // namespace pe
