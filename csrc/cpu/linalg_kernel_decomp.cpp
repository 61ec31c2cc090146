// CPU kernels of the decompositions behind torch.linalg's cholesky, solve_triangular, qr (geqrf +
// householder_product) and eigh (see ops/linalg_decomp_stubs.h). Row-major contiguous batches; the
// inner loops run along rows. Cholesky and the triangular solve are blocked (panels of kNb, the
// trailing/off-diagonal products on our GEMM); the Householder QR applies one reflector at a time
// with row operations; eigh reduces to tridiagonal form and runs shifted implicit QR, in double.
#include <algorithm>
#include <cmath>
#include <limits>
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

// ---- symmetric eigendecomposition, in double: Householder reduction to tridiagonal form, then
// implicit symmetric QR steps with Wilkinson shifts (Golub & Van Loan 8.3) ----

// Reduces the symmetric s (n x n, row-major, full) to tridiagonal (d, e) with s = Q T Q^T; with
// qt given, it receives Q^T. Row k of s (right of the diagonal) is column k below it, so every
// loop runs along rows.
void tridiagonalize(std::vector<double>& s, int64_t n, std::vector<double>& d, std::vector<double>& e,
                    std::vector<double>* qt) {
  std::vector<double> vs(qt ? n * n : 0, 0.0), betas(n, 0.0), v(n), p(n);
  for (int64_t k = 0; k + 2 < n; ++k) {
    const int64_t len = n - k - 1;
    double* x = s.data() + k * n + k + 1;  // the entries below the diagonal of column k
    double norm = 0;
    for (int64_t i = 0; i < len; ++i) norm = std::hypot(norm, x[i]);
    double beta = 0, alpha = x[0];
    if (norm != 0.0) {
      alpha = -std::copysign(norm, x[0]);
      for (int64_t i = 0; i < len; ++i) v[i] = x[i];
      v[0] -= alpha;
      double vv = 0;
      for (int64_t i = 0; i < len; ++i) vv += v[i] * v[i];
      beta = vv > 0 ? 2.0 / vv : 0.0;
    }
    if (beta != 0.0) {
      // A22 <- H A22 H with H = I - beta v v^T: p = beta A22 v, w = p - (beta/2)(v.p) v, A22 -= v w^T + w v^T.
      double* a22 = s.data() + (k + 1) * n + k + 1;
      for (int64_t i = 0; i < len; ++i) p[i] = beta * dot_n(a22 + i * n, v.data(), len);
      double vp = 0;
      for (int64_t i = 0; i < len; ++i) vp += v[i] * p[i];
      const double kk = 0.5 * beta * vp;
      for (int64_t i = 0; i < len; ++i) p[i] -= kk * v[i];
      for (int64_t i = 0; i < len; ++i) {
        double* row = a22 + i * n;
        const double vi = v[i], wi = p[i];
        for (int64_t j = 0; j < len; ++j) row[j] -= vi * p[j] + wi * v[j];
      }
      if (qt) {
        std::copy(v.begin(), v.begin() + len, vs.begin() + k * n);
        betas[k] = beta;
      }
    }
    d[k] = s[k * n + k];
    e[k] = alpha;
  }
  if (n >= 2) {
    d[n - 2] = s[(n - 2) * n + n - 2];
    e[n - 2] = s[(n - 2) * n + n - 1];
  }
  d[n - 1] = s[(n - 1) * n + n - 1];
  if (!qt) return;
  // Q^T = H_{n-3} ... H_0: apply H_0 first to the identity, each as row operations.
  std::vector<double>& z = *qt;
  std::fill(z.begin(), z.end(), 0.0);
  for (int64_t i = 0; i < n; ++i) z[i * n + i] = 1.0;
  std::vector<double> w(n);
  for (int64_t k = 0; k + 2 < n; ++k) {
    if (betas[k] == 0.0) continue;
    const int64_t len = n - k - 1;
    const double* vk = vs.data() + k * n;
    std::fill(w.begin(), w.end(), 0.0);
    for (int64_t r = 0; r < len; ++r) {
      const double* row = z.data() + (k + 1 + r) * n;
      for (int64_t j = 0; j < n; ++j) w[j] += vk[r] * row[j];
    }
    for (int64_t r = 0; r < len; ++r) {
      double* row = z.data() + (k + 1 + r) * n;
      const double f = betas[k] * vk[r];
      for (int64_t j = 0; j < n; ++j) row[j] -= f * w[j];
    }
  }
}

// Diagonalizes the symmetric tridiagonal (d, e) in place of d; the rotations R are applied to the
// rows of zt (zt <- R zt), so rows of zt become the eigenvectors when zt starts as Q^T.
void tridiagonal_qr(std::vector<double>& d, std::vector<double>& e, int64_t n, std::vector<double>* zt) {
  const double eps = std::numeric_limits<double>::epsilon();
  int64_t hi = n - 1, iter = 0;
  while (hi > 0) {
    if (std::abs(e[hi - 1]) <= eps * (std::abs(d[hi - 1]) + std::abs(d[hi])) || std::isnan(e[hi - 1])) {
      e[hi - 1] = 0.0;
      --hi;
      iter = 0;
      continue;
    }
    if (++iter > 60) {  // no convergence (NaN/inf input): leave the block as it is
      --hi;
      iter = 0;
      continue;
    }
    int64_t lo = hi - 1;
    while (lo > 0 && std::abs(e[lo - 1]) > eps * (std::abs(d[lo - 1]) + std::abs(d[lo]))) --lo;
    // Wilkinson shift: the eigenvalue of the trailing 2x2 block closer to d[hi].
    const double dd = 0.5 * (d[hi - 1] - d[hi]), b = e[hi - 1];
    const double mu = d[hi] - b * b / (dd + std::copysign(std::hypot(dd, b), dd));
    double x = d[lo] - mu, z = e[lo];
    for (int64_t k = lo; k < hi; ++k) {
      const double r = std::hypot(x, z);
      const double c = r == 0.0 ? 1.0 : x / r, sn = r == 0.0 ? 0.0 : z / r;
      if (k > lo) e[k - 1] = r;
      const double a = d[k], a1 = d[k + 1], bk = e[k];
      d[k] = c * c * a + 2 * c * sn * bk + sn * sn * a1;
      d[k + 1] = sn * sn * a - 2 * c * sn * bk + c * c * a1;
      e[k] = c * sn * (a1 - a) + (c * c - sn * sn) * bk;
      if (k + 1 < hi) {
        z = sn * e[k + 1];  // the bulge at (k, k + 2)
        e[k + 1] *= c;
      }
      x = e[k];
      if (zt) {
        double* rk = zt->data() + k * n;
        double* rk1 = rk + n;
        for (int64_t j = 0; j < n; ++j) {
          const double u = rk[j], w = rk1[j];
          rk[j] = c * u + sn * w;
          rk1[j] = -sn * u + c * w;
        }
      }
    }
  }
}

template <class T>
void eigh_one(const T* a, int64_t n, T* w, T* v) {
  std::vector<double> s(a, a + n * n), vt(v ? n * n : 0), d(n), e(std::max<int64_t>(n, 1), 0.0);
  tridiagonalize(s, n, d, e, v ? &vt : nullptr);
  tridiagonal_qr(d, e, n, v ? &vt : nullptr);
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return d[x] < d[y]; });
  for (int64_t j = 0; j < n; ++j) w[j] = T(d[order[j]]);
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
    for_each_matrix(batch, 4 * n * n * n, [&](int64_t b) {
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
