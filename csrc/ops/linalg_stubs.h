// The kernel tables of the linear algebra ops (defined in ops/linalg_matmul.cpp; CPU kernels in
// csrc/cpu/linalg_kernel_*.cpp). Shapes are already checked and, where noted, operands already made
// contiguous by the op layer.
#pragma once
#include "core/dispatch.h"
#include "core/tensor.h"

namespace pe {

// out[i] = beta * out[i] + alpha * a[i] @ b[i] over (B, m, k) x (B, k, n) -> (B, m, n), one dtype
// (float32/64 through our GEMM, integer types by a plain loop), any strides; each out matrix has a
// unit stride in one of its dims (or is a single row/column). beta == 0 never reads out.
using BmmFn = void (*)(const Tensor& out, const Tensor& a, const Tensor& b, const Scalar& alpha, const Scalar& beta);
extern DispatchStub<BmmFn> bmm_stub;

// out = in with the elements outside the band zeroed: (B, m, n) viewed row-major, any strides, any
// dtype; out may be in itself. upper: keep j - i >= diagonal, else keep j - i <= diagonal.
using TriFn = void (*)(const Tensor& out, const Tensor& in, int64_t diagonal, bool upper);
extern DispatchStub<TriFn> tri_stub;

// out = a x b along `dim` (size 3) for same-shape, same-dtype a, b, out.
using CrossFn = void (*)(const Tensor& out, const Tensor& a, const Tensor& b, int64_t dim);
extern DispatchStub<CrossFn> cross_stub;

// out (0-d) = the sum of the 1-D strided `diag`, accumulated in out's dtype class (int64 or float).
using TraceFn = void (*)(const Tensor& out, const Tensor& diag);
extern DispatchStub<TraceFn> trace_stub;

// In-place LU with partial pivoting of contiguous (B, m, n) float32/64 matrices: lu = P L U with unit
// L below the diagonal. pivots (B, min(m, n)) int64: row i was swapped with pivots[i] (0-based). info (B)
// int64: 0, or 1 + the first column whose pivot is exactly zero (LAPACK's getrf convention).
using LuFn = void (*)(const Tensor& lu, const Tensor& pivots, const Tensor& info);
extern DispatchStub<LuFn> lu_stub;

// Solves A X = R in place of R (B, n, k), contiguous, with A's factorization from lu_stub.
using LuSolveFn = void (*)(const Tensor& lu, const Tensor& pivots, const Tensor& rhs);
extern DispatchStub<LuSolveFn> lu_solve_stub;

// From a factorization: det (B), sign (B) and log|det| (B), each optional (undefined: skipped).
// With real_log, `logabsdet` receives log(det) instead: NaN for a negative det (torch.logdet).
using LuDetFn = void (*)(const Tensor& lu, const Tensor& pivots, const Tensor& det, const Tensor& sign,
                         const Tensor& logabsdet, bool real_log);
extern DispatchStub<LuDetFn> lu_det_stub;

// SVD of contiguous (B, m, n) float32/64 matrices: s (B, min(m, n)) descending; with u (B, m, ucols)
// and vh (B, vrows, n) defined, the singular vectors too (ucols = m, vrows = n for full matrices, else
// min(m, n)); columns of u / rows of vh beyond the rank are completed to orthonormal bases.
using SvdFn = void (*)(const Tensor& a, const Tensor& u, const Tensor& s, const Tensor& vh);
extern DispatchStub<SvdFn> svd_stub;

}  // namespace pe
