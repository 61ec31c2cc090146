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

}  // namespace pe::cpu
