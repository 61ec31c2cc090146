// Our GEMM (no BLAS): C = alpha * op(A) * op(B) + beta * C on row-major matrices with leading
// dimensions in elements; op(X) is X or its transpose. Cache-blocked with packed panels, an AVX2/FMA
// micro-kernel picked at run time by CPU feature detection, a portable path elsewhere, OpenMP across
// blocks. beta == 0 never reads C (it may hold NaN). Instantiated for float and double.
#pragma once
#include <cstdint>

namespace pe::cpu {

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
          const T* b, int64_t ldb, T beta, T* c, int64_t ldc);

// The same product on arbitrary element strides: X(i, j) at x[i * x_rs + j * x_cs] (the op layer's
// strided views, batch slices of expanded tensors). C needs a unit stride in one of its dims unless
// it is a single row or column (a C with unit row stride is computed as C^T = B^T A^T).
template <class T>
void gemm_strided(int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t a_rs, int64_t a_cs, const T* b,
                  int64_t b_rs, int64_t b_cs, T beta, T* c, int64_t c_rs, int64_t c_cs);

}  // namespace pe::cpu
