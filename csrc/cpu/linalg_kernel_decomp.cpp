// CPU kernels of the decompositions behind torch.linalg's cholesky, solve_triangular, qr (geqrf +
// householder_product) and eigh (see ops/linalg_decomp_stubs.h). Row-major contiguous batches; the
// inner loops run along rows. Cholesky and the triangular solve are blocked (panels of kNb, the
// trailing/off-diagonal products on our GEMM); the Householder QR applies one reflector at a time
// with row operations; eigh is cyclic Jacobi in double precision (accurate to eps * ||A||, simple
// and robust, O(n^3) per sweep).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/dispatch.h"
#include "cpu/gemm.h"
#include "cpu/linalg_kernel_util.h"
#include "cpu/parallel.h"
#include "ops/linalg_decomp_stubs.h"

namespace pe::cpu {
namespace {

constexpr int64_t kNb = 64;

template <class T>
inline T dot_n(const T* x, const T* y, int64_t n) {
  T s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += x[i] * y[i];
    s1 += x[i + 1] * y[i + 1];
    s2 += x[i + 2] * y[i + 2];
    s3 += x[i + 3] * y[i + 3];
  }
  T s = (s0 + s2) + (s1 + s3);
  for (; i < n; ++i) s += x[i] * y[i];
  return s;
}

template <class T>
inline void axpy_neg(T* a, const T* b, T s, int64_t n) {
  for (int64_t j = 0; j < n; ++j) a[j] -= s * b[j];
}

// Runs f(b) over the batch, one matrix per thread when the matrices are small.
template <class F>
void for_each_matrix(int64_t batch, int64_t work, const F& f) {
  if (batch > 1 && work < (int64_t(1) << 21)) {
    parallel_for(0, batch, std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(work, 1)),
                 [&](int64_t lo, int64_t hi) {
                   for (int64_t b = lo; b < hi; ++b) f(b);
                 });
  } else {
    for (int64_t b = 0; b < batch; ++b) f(b);
  }
}

// ---- Cholesky: A = L L^T, right-looking by panels; returns LAPACK's info ----
template <class T>
int64_t cholesky_one(T* a, int64_t n) {
  for (int64_t j0 = 0; j0 < n; j0 += kNb) {
    const int64_t je = std::min(n, j0 + kNb), jb = je - j0;
    // The diagonal block (earlier panels are already subtracted from it).
    for (int64_t j = j0; j < je; ++j) {
      T* rj = a + j * n;
      const T d = rj[j] - dot_n(rj + j0, rj + j0, j - j0);
      if (!(d > T(0))) {  // also catches NaN; LAPACK leaves the failed pivot in place
        rj[j] = d;
        return j + 1;
      }
      const T l = std::sqrt(d);
      rj[j] = l;
      for (int64_t i = j + 1; i < je; ++i) {
        T* ri = a + i * n;
        ri[j] = (ri[j] - dot_n(ri + j0, rj + j0, j - j0)) / l;
      }
    }
    if (je == n) break;
    // L21 = A21 L11^-T, row by row.
    for (int64_t i = je; i < n; ++i) {
      T* ri = a + i * n;
      for (int64_t j = j0; j < je; ++j) ri[j] = (ri[j] - dot_n(ri + j0, a + j * n + j0, j - j0)) / a[j * n + j];
    }
    // A22 -= L21 L21^T (the whole square; its upper part is cleared at the end).
    gemm_strided<T>(n - je, n - je, jb, T(-1), a + je * n + j0, n, 1, a + je * n + j0, 1, n, T(1), a + je * n + je, n,
                    1);
  }
  return 0;
}

void cholesky_kernel(const Tensor& a, const Tensor& info) {
  const int64_t batch = a.size(0), n = a.size(1);
  dispatch_real(a.dtype(), "linalg_cholesky_cpu", [&](auto tag) {
    using T = decltype(tag);
    T* pa = a.data_ptr<T>();
    int64_t* pi = info.data_ptr<int64_t>();
    for_each_matrix(batch, n * n * n, [&](int64_t b) {
      T* m = pa + b * n * n;
      pi[b] = cholesky_one(m, n);
      for (int64_t i = 0; i < n; ++i) std::fill(m + i * n + i + 1, m + i * n + n, T(0));
    });
  });
}

// ---- triangular solve A X = R in place of R (n x k) ----
template <class T>
void trisolve_one(const T* a, T* r, int64_t n, int64_t k, bool upper, bool unit) {
  auto finish_row = [&](int64_t i) {
    if (unit) return;
    const T d = a[i * n + i];
    T* ri = r + i * k;
    for (int64_t c = 0; c < k; ++c) ri[c] /= d;
  };
  if (!upper) {
    for (int64_t i0 = 0; i0 < n; i0 += kNb) {
      const int64_t ie = std::min(n, i0 + kNb);
      if (i0 > 0 && k > 0)  // R[i0:ie] -= A[i0:ie, 0:i0] X[0:i0]
        gemm_strided<T>(ie - i0, k, i0, T(-1), a + i0 * n, n, 1, r, k, 1, T(1), r + i0 * k, k, 1);
      for (int64_t i = i0; i < ie; ++i) {
        for (int64_t j = i0; j < i; ++j) axpy_neg(r + i * k, r + j * k, a[i * n + j], k);
        finish_row(i);
      }
    }
  } else {
    for (int64_t ie = n; ie > 0; ie -= kNb) {
      const int64_t i0 = std::max<int64_t>(0, ie - kNb);
      if (ie < n && k > 0)  // R[i0:ie] -= A[i0:ie, ie:n] X[ie:n]
        gemm_strided<T>(ie - i0, k, n - ie, T(-1), a + i0 * n + ie, n, 1, r + ie * k, k, 1, T(1), r + i0 * k, k, 1);
      for (int64_t i = ie - 1; i >= i0; --i) {
        for (int64_t j = i + 1; j < ie; ++j) axpy_neg(r + i * k, r + j * k, a[i * n + j], k);
        finish_row(i);
      }
    }
  }
}

void triangular_solve_kernel(const Tensor& a, const Tensor& rhs, bool upper, bool unitriangular) {
  const int64_t batch = a.size(0), n = a.size(1), k = rhs.size(2);
  dispatch_real(a.dtype(), "linalg_solve_triangular_cpu", [&](auto tag) {
    using T = decltype(tag);
    const T* pa = a.data_ptr<T>();
    T* pr = rhs.data_ptr<T>();
    for_each_matrix(batch, n * n * std::max<int64_t>(k, 1),
                    [&](int64_t b) { trisolve_one(pa + b * n * n, pr + b * n * k, n, k, upper, unitriangular); });
  });
}

// ---- Householder QR (LAPACK geqrf's convention: H_i = I - tau_i v_i v_i^T, v_i[i] = 1, the rest
// of v_i stored below the diagonal, R on and above it) ----
template <class T>
void geqrf_one(T* a, int64_t m, int64_t n, T* tau) {
  const int64_t k = std::min(m, n);
  std::vector<T> w(n);
  for (int64_t i = 0; i < k; ++i) {
    const T alpha = a[i * n + i];
    T xnorm = 0;
    {  // scaled norm of the column below the diagonal (no overflow for huge entries)
      T scale = 0, ssq = 1;
      for (int64_t r = i + 1; r < m; ++r) {
        const T x = std::abs(a[r * n + i]);
        if (x == T(0)) continue;
        if (scale < x) {
          ssq = 1 + ssq * (scale / x) * (scale / x);
          scale = x;
        } else {
          ssq += (x / scale) * (x / scale);
        }
      }
      xnorm = scale * std::sqrt(ssq);
    }
    if (xnorm == T(0)) {
      tau[i] = 0;
      continue;
    }
    const T beta = -std::copysign(std::hypot(alpha, xnorm), alpha);
    tau[i] = (beta - alpha) / beta;
    const T inv = T(1) / (alpha - beta);
    for (int64_t r = i + 1; r < m; ++r) a[r * n + i] *= inv;
    a[i * n + i] = beta;
    // A[i:, i+1:] -= tau v (v^T A[i:, i+1:])
    const int64_t nc = n - i - 1;
    if (nc == 0) continue;
    std::copy(a + i * n + i + 1, a + i * n + n, w.begin());  // v_i = 1
    for (int64_t r = i + 1; r < m; ++r) {
      const T v = a[r * n + i];
      const T* row = a + r * n + i + 1;
      for (int64_t c = 0; c < nc; ++c) w[c] += v * row[c];
    }
    const T t = tau[i];
    axpy_neg(a + i * n + i + 1, w.data(), t, nc);
    for (int64_t r = i + 1; r < m; ++r) axpy_neg(a + r * n + i + 1, w.data(), t * a[r * n + i], nc);
  }
}

void geqrf_kernel(const Tensor& a, const Tensor& tau) {
  const int64_t batch = a.size(0), m = a.size(1), n = a.size(2), k = std::min(m, n);
  dispatch_real(a.dtype(), "geqrf_cpu", [&](auto tag) {
    using T = decltype(tag);
    T* pa = a.data_ptr<T>();
    T* pt = tau.data_ptr<T>();
    for_each_matrix(batch, m * n * k, [&](int64_t b) { geqrf_one(pa + b * m * n, m, n, pt + b * k); });
  });
}

// Q = H_0 H_1 ... H_{k-1} restricted to its first n columns, in place of the reflectors (m x n,
// k <= n <= m), applied backwards so each H_i only touches rows and columns >= i (LAPACK org2r).
template <class T>
void orgqr_one(T* a, int64_t m, int64_t n, const T* tau, int64_t k) {
  for (int64_t j = k; j < n; ++j) {  // the columns no reflector owns start as unit vectors
    for (int64_t r = 0; r < m; ++r) a[r * n + j] = T(0);
    a[j * n + j] = T(1);
  }
  std::vector<T> w(n);
  for (int64_t i = k - 1; i >= 0; --i) {
    const int64_t nc = n - i - 1;
    const T t = tau[i];
    if (nc > 0) {  // A[i:, i+1:] = H_i A[i:, i+1:], v_i = (1, a[i+1:, i])
      std::copy(a + i * n + i + 1, a + i * n + n, w.begin());
      for (int64_t r = i + 1; r < m; ++r) {
        const T v = a[r * n + i];
        const T* row = a + r * n + i + 1;
        for (int64_t c = 0; c < nc; ++c) w[c] += v * row[c];
      }
      axpy_neg(a + i * n + i + 1, w.data(), t, nc);
      for (int64_t r = i + 1; r < m; ++r) axpy_neg(a + r * n + i + 1, w.data(), t * a[r * n + i], nc);
    }
    // Column i of H_i restricted to the unit vector e_i: e_i - tau v.
    for (int64_t r = i + 1; r < m; ++r) a[r * n + i] *= -t;
    a[i * n + i] = T(1) - t;
    for (int64_t r = 0; r < i; ++r) a[r * n + i] = T(0);
  }
}

void orgqr_kernel(const Tensor& a, const Tensor& tau) {
  const int64_t batch = a.size(0), m = a.size(1), n = a.size(2), k = tau.size(1);
  dispatch_real(a.dtype(), "linalg_householder_product_cpu", [&](auto tag) {
    using T = decltype(tag);
    T* pa = a.data_ptr<T>();
    const T* pt = tau.data_ptr<T>();
    for_each_matrix(batch, m * n * std::max<int64_t>(k, 1),
                    [&](int64_t b) { orgqr_one(pa + b * m * n, m, n, pt + b * k, k); });
  });
}

// ---- symmetric eigendecomposition: cyclic Jacobi in double ----
// s (n x n, symmetric, overwritten), vt (n x n) receives the eigenvectors as rows, unsorted.
void jacobi_eigen(std::vector<double>& s, std::vector<double>* vt, int64_t n) {
  double frob = 0;
  for (double x : s) frob += x * x;
  frob = std::sqrt(frob);
  if (frob == 0.0 || !std::isfinite(frob)) return;
  const double tiny = 1e-300;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (int64_t p = 0; p < n; ++p)
      for (int64_t q = p + 1; q < n; ++q) off += s[p * n + q] * s[p * n + q];
    if (std::sqrt(off) <= 1e-17 * frob) break;
    for (int64_t p = 0; p + 1 < n; ++p) {
      for (int64_t q = p + 1; q < n; ++q) {
        const double apq = s[p * n + q];
        if (std::abs(apq) <= tiny) continue;
        const double app = s[p * n + p], aqq = s[q * n + q];
        // Skip pairs whose coupling no longer changes the diagonal at double precision.
        if (sweep > 3 && std::abs(apq) * 1e18 <= std::abs(app) && std::abs(apq) * 1e18 <= std::abs(aqq)) {
          s[p * n + q] = s[q * n + p] = 0.0;
          continue;
        }
        const double theta = (aqq - app) / (2.0 * apq);
        const double t = std::abs(theta) > 1e150
                             ? 0.5 / theta
                             : std::copysign(1.0, theta) / (std::abs(theta) + std::sqrt(1.0 + theta * theta));
        const double c = 1.0 / std::sqrt(1.0 + t * t), sn = t * c;
        // S <- J^T S J with J the rotation in the (p, q) plane: rows then columns.
        double* rp = s.data() + p * n;
        double* rq = s.data() + q * n;
        for (int64_t j = 0; j < n; ++j) {
          const double x = rp[j], y = rq[j];
          rp[j] = c * x - sn * y;
          rq[j] = sn * x + c * y;
        }
        for (int64_t i = 0; i < n; ++i) {
          double* ri = s.data() + i * n;
          const double x = ri[p], y = ri[q];
          ri[p] = c * x - sn * y;
          ri[q] = sn * x + c * y;
        }
        s[p * n + q] = s[q * n + p] = 0.0;
        if (vt) {
          double* vp = vt->data() + p * n;
          double* vq = vt->data() + q * n;
          for (int64_t j = 0; j < n; ++j) {
            const double x = vp[j], y = vq[j];
            vp[j] = c * x - sn * y;
            vq[j] = sn * x + c * y;
          }
        }
      }
    }
  }
}

template <class T>
void eigh_one(const T* a, int64_t n, T* w, T* v) {
  std::vector<double> s(a, a + n * n), vt;
  if (v) {
    vt.assign(n * n, 0.0);
    for (int64_t i = 0; i < n; ++i) vt[i * n + i] = 1.0;
  }
  jacobi_eigen(s, v ? &vt : nullptr, n);
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return s[x * n + x] < s[y * n + y]; });
  for (int64_t j = 0; j < n; ++j) w[j] = T(s[order[j] * n + order[j]]);
  if (!v) return;
  for (int64_t j = 0; j < n; ++j) {
    const double* e = vt.data() + order[j] * n;
    for (int64_t i = 0; i < n; ++i) v[i * n + j] = T(e[i]);
  }
}

void eigh_kernel(const Tensor& a, const Tensor& w, const Tensor& v) {
  const int64_t batch = a.size(0), n = a.size(1);
  dispatch_real(a.dtype(), "linalg_eigh_cpu", [&](auto tag) {
    using T = decltype(tag);
    const T* pa = a.data_ptr<T>();
    T* pw = w.data_ptr<T>();
    T* pv = v.defined() ? v.data_ptr<T>() : nullptr;
    for_each_matrix(batch, 8 * n * n * n, [&](int64_t b) {
      eigh_one(pa + b * n * n, n, pw + b * n, pv ? pv + b * n * n : nullptr);
    });
  });
}

PE_REGISTER_KERNEL(cholesky_stub, CPU, &cholesky_kernel);
PE_REGISTER_KERNEL(triangular_solve_stub, CPU, &triangular_solve_kernel);
PE_REGISTER_KERNEL(geqrf_stub, CPU, &geqrf_kernel);
PE_REGISTER_KERNEL(orgqr_stub, CPU, &orgqr_kernel);
PE_REGISTER_KERNEL(eigh_stub, CPU, &eigh_kernel);

}  // namespace
}  // namespace pe::cpu
