// CPU kernels of the LU-based ops: our own LU with partial pivoting (blocked: panels of kNb columns
// are factored row-wise, the trailing matrix is updated by our GEMM), the triangular solves of
// lu_solve, and det/sign/log|det| from a factorization. Row-major throughout, so every inner loop
// runs along a contiguous row.
#include <cmath>
#include <limits>

#include "core/dispatch.h"
#include "cpu/gemm.h"
#include "cpu/linalg_kernel_util.h"
#include "cpu/parallel.h"
#include "ops/linalg_stubs.h"

namespace pe::cpu {
namespace {

constexpr int64_t kNb = 48;  // panel width of the blocked LU

// a -= s * b over n contiguous elements (the row operation all three kernels are made of).
template <class T>
inline void axpy_neg(T* a, const T* b, T s, int64_t n) {
  for (int64_t j = 0; j < n; ++j) a[j] -= s * b[j];
}

// LU of one m x n row-major matrix in place (LAPACK getrf: L unit lower (m x k), U upper (k x n),
// k = min(m, n), piv[j] = the row swapped with row j). Returns info: 0, or 1 + the first column whose
// pivot is exactly zero (the factorization still completes, as LAPACK's).
template <class T>
int64_t lu_one(T* a, int64_t m, int64_t n, int64_t* piv) {
  int64_t info = 0;
  const int64_t k = std::min(m, n);
  for (int64_t j0 = 0; j0 < k; j0 += kNb) {
    const int64_t jb = std::min(kNb, k - j0), je = j0 + jb;
    // Factor the panel: columns [j0, je) of rows [j0, m); swaps move whole rows.
    for (int64_t j = j0; j < je; ++j) {
      int64_t p = j;
      T best = std::abs(a[j * n + j]);
      for (int64_t i = j + 1; i < m; ++i) {
        const T v = std::abs(a[i * n + j]);
        if (v > best) {
          best = v;
          p = i;
        }
      }
      piv[j] = p;
      if (p != j)
        for (int64_t c = 0; c < n; ++c) std::swap(a[j * n + c], a[p * n + c]);
      const T pivot = a[j * n + j];
      if (pivot == T(0)) {  // the column below is all zero too: nothing to eliminate
        if (info == 0) info = j + 1;
        continue;
      }
      const T inv = T(1) / pivot;
      for (int64_t i = j + 1; i < m; ++i) {
        T* row = a + i * n;
        row[j] *= inv;
        axpy_neg(row + j + 1, a + j * n + j + 1, row[j], je - j - 1);
      }
    }
    if (je == n) break;
    // U12 = L11^-1 A12 (unit lower triangular, row operations on the rows of the block).
    for (int64_t j = j0; j < je; ++j)
      for (int64_t i = j + 1; i < je; ++i) axpy_neg(a + i * n + je, a + j * n + je, a[i * n + j], n - je);
    // A22 -= L21 U12 with the GEMM.
    if (m > je)
      gemm_strided<T>(m - je, n - je, jb, T(-1), a + je * n + j0, n, 1, a + j0 * n + je, n, 1, T(1), a + je * n + je,
                      n, 1);
  }
  return info;
}

// Solves (P L U) X = R for X in place of R (n x k, row-major).
template <class T>
void lu_solve_one(const T* lu, const int64_t* piv, T* r, int64_t n, int64_t k) {
  for (int64_t i = 0; i < n; ++i)
    if (piv[i] != i)
      for (int64_t c = 0; c < k; ++c) std::swap(r[i * k + c], r[piv[i] * k + c]);
  for (int64_t i = 1; i < n; ++i)  // L y = P^T r (unit diagonal)
    for (int64_t j = 0; j < i; ++j) axpy_neg(r + i * k, r + j * k, lu[i * n + j], k);
  for (int64_t i = n - 1; i >= 0; --i) {  // U x = y
    T* ri = r + i * k;
    for (int64_t j = i + 1; j < n; ++j) axpy_neg(ri, r + j * k, lu[i * n + j], k);
    const T inv = T(1) / lu[i * n + i];
    for (int64_t c = 0; c < k; ++c) ri[c] *= inv;
  }
}

// Runs f(b) for each of `batch` matrices of `work` flops, one per thread when they are small.
template <class F>
void for_batches(int64_t batch, int64_t work, const F& f) {
  if (batch > 1 && work < (int64_t(1) << 21)) {
    parallel_for(0, batch, std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(work, 1)),
                 [&](int64_t lo, int64_t hi) {
                   for (int64_t b = lo; b < hi; ++b) f(b);
                 });
  } else {
    for (int64_t b = 0; b < batch; ++b) f(b);
  }
}

void lu_kernel(const Tensor& lu, const Tensor& pivots, const Tensor& info) {
  const int64_t batch = lu.size(0), m = lu.size(1), n = lu.size(2), k = std::min(m, n);
  dispatch_real(lu.dtype(), "linalg.lu_factor", [&](auto tag) {
      using scalar_t = decltype(tag);
      auto* a = lu.data_ptr<scalar_t>();
      auto* piv = pivots.data_ptr<int64_t>();
      auto* inf = info.data_ptr<int64_t>();
      for_batches(batch, m * n * k, [&](int64_t b) { inf[b] = lu_one(a + b * m * n, m, n, piv + b * k); });
  });
}

void lu_solve_kernel(const Tensor& lu, const Tensor& pivots, const Tensor& rhs) {
  const int64_t batch = lu.size(0), n = lu.size(1), k = rhs.size(2);
  dispatch_real(lu.dtype(), "linalg.lu_solve", [&](auto tag) {
      using scalar_t = decltype(tag);
      const auto* a = lu.data_ptr<scalar_t>();
      const auto* piv = pivots.data_ptr<int64_t>();
      auto* r = rhs.data_ptr<scalar_t>();
      for_batches(batch, n * n * k, [&](int64_t b) { lu_solve_one(a + b * n * n, piv + b * n, r + b * n * k, n, k); });
  });
}

void lu_det_kernel(const Tensor& lu, const Tensor& pivots, const Tensor& det, const Tensor& sign,
                   const Tensor& logabsdet, bool real_log) {
  const int64_t batch = lu.size(0), n = lu.size(1);
  dispatch_real(lu.dtype(), "linalg.det", [&](auto tag) {
      using scalar_t = decltype(tag);
      using T = scalar_t;
      const T* a = lu.data_ptr<T>();
      const int64_t* piv = pivots.data_ptr<int64_t>();
      for (int64_t b = 0; b < batch; ++b) {
        const T* m = a + b * n * n;
        T d = 1, sg = 1, lg = 0;
        for (int64_t i = 0; i < n; ++i) {
          const T u = m[i * n + i];
          d *= u;
          if (piv[b * n + i] != i) {
            d = -d;
            sg = -sg;
          }
          sg *= u > 0 ? T(1) : (u < 0 ? T(-1) : T(0));
          lg += std::log(std::abs(u));
        }
        if (sg == T(0)) lg = -std::numeric_limits<T>::infinity();
        if (std::isnan(lg)) sg = std::numeric_limits<T>::quiet_NaN();
        if (real_log && sg < 0) lg = std::numeric_limits<T>::quiet_NaN();
        if (det.defined()) det.data_ptr<T>()[b] = d;
        if (sign.defined()) sign.data_ptr<T>()[b] = sg;
        if (logabsdet.defined()) logabsdet.data_ptr<T>()[b] = lg;
      }
  });
}

PE_REGISTER_KERNEL(lu_stub, CPU, &lu_kernel);
PE_REGISTER_KERNEL(lu_solve_stub, CPU, &lu_solve_kernel);
PE_REGISTER_KERNEL(lu_det_stub, CPU, &lu_det_kernel);

}  // namespace
}  // namespace pe::cpu
