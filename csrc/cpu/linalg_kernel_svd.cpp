// CPU kernel of the SVD: one-sided Jacobi (Hestenes) in double precision for float32 and float64
// inputs. The columns of X (A, or A^T when A is wide) are rotated pairwise until they are mutually
// orthogonal; their norms are the singular values, the normalized columns one set of singular
// vectors and the accumulated rotations the other. Vectors for zero singular values and the extra
// columns of full_matrices are completed to an orthonormal basis by Gram-Schmidt.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/dispatch.h"
#include "cpu/linalg_kernel_util.h"
#include "cpu/parallel.h"
#include "ops/linalg_stubs.h"

namespace pe::cpu {
namespace {

double dotp(const double* x, const double* y, int64_t n) {
  double s[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int u = 0; u < 4; ++u) s[u] += x[i + u] * y[i + u];
  double t = (s[0] + s[2]) + (s[1] + s[3]);
  for (; i < n; ++i) t += x[i] * y[i];
  return t;
}

// (x, y) <- (c x - s y, s x + c y)
void rotate(double* x, double* y, int64_t n, double c, double s) {
  for (int64_t i = 0; i < n; ++i) {
    const double a = x[i], b = y[i];
    x[i] = c * a - s * b;
    y[i] = s * a + c * b;
  }
}

// Jacobi sweeps over the N rows of w (length M each), applying each rotation to the rows of v
// (length N) too when v is given.
void jacobi(std::vector<double>& w, int64_t M, int64_t N, double* v, double tol) {
  for (int sweep = 0; sweep < 80; ++sweep) {
    bool rotated = false;
    for (int64_t p = 0; p + 1 < N; ++p) {
      double* wp = w.data() + p * M;
      for (int64_t q = p + 1; q < N; ++q) {
        double* wq = w.data() + q * M;
        const double alpha = dotp(wp, wp, M), beta = dotp(wq, wq, M), gamma = dotp(wp, wq, M);
        if (alpha == 0.0 || beta == 0.0 || std::abs(gamma) <= tol * std::sqrt(alpha * beta)) continue;
        rotated = true;
        const double zeta = (beta - alpha) / (2.0 * gamma);
        const double t = std::abs(zeta) > 1e150 ? 0.5 / zeta
                                                : std::copysign(1.0, zeta) / (std::abs(zeta) + std::sqrt(1.0 + zeta * zeta));
        const double c = 1.0 / std::sqrt(1.0 + t * t), s = c * t;
        rotate(wp, wq, M, c, s);
        if (v) rotate(v + p * N, v + q * N, N, c, s);
      }
    }
    if (!rotated) break;
  }
}

// Orthonormalizes `cand` (length M) against the first `have` rows of q; false if it is (nearly)
// in their span. Two passes of Gram-Schmidt keep it orthogonal to working precision.
bool orthonormalize(const std::vector<double>& q, int64_t have, int64_t M, double* cand) {
  const double before = std::sqrt(dotp(cand, cand, M));
  if (before == 0.0) return false;
  for (int pass = 0; pass < 2; ++pass)
    for (int64_t r = 0; r < have; ++r) {
      const double* qr = q.data() + r * M;
      const double d = dotp(qr, cand, M);
      for (int64_t i = 0; i < M; ++i) cand[i] -= d * qr[i];
    }
  const double after = std::sqrt(dotp(cand, cand, M));
  if (after <= 1e-8 * before) return false;
  for (int64_t i = 0; i < M; ++i) cand[i] /= after;
  return true;
}

// The SVD of one m x n row-major matrix (see SvdFn in ops/linalg_stubs.h).
template <class T>
void svd_one(const T* a, int64_t m, int64_t n, T* u, int64_t ucols, T* s, T* vh, int64_t vrows, bool want_uv) {
  const bool tall = m >= n;
  const int64_t M = tall ? m : n, N = tall ? n : m;
  std::vector<double> w(N * M), v;
  for (int64_t j = 0; j < N; ++j)
    for (int64_t i = 0; i < M; ++i) w[j * M + i] = tall ? (double)a[i * n + j] : (double)a[j * n + i];
  if (want_uv) {
    v.assign(N * N, 0.0);
    for (int64_t j = 0; j < N; ++j) v[j * N + j] = 1.0;
  }
  const double tol = std::is_same_v<T, float> ? 1e-9 : 1e-15;
  jacobi(w, M, N, want_uv ? v.data() : nullptr, tol);

  std::vector<double> sigma(N);
  for (int64_t j = 0; j < N; ++j) sigma[j] = std::sqrt(dotp(&w[j * M], &w[j * M], M));
  std::vector<int64_t> order(N);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return sigma[x] > sigma[y]; });
  for (int64_t r = 0; r < N; ++r) s[r] = T(sigma[order[r]]);
  if (!want_uv) return;

  // Q: K orthonormal vectors of length M, the normalized columns first, then the completion.
  const int64_t K = tall ? ucols : vrows;
  std::vector<double> q(K * M), cand(M);
  int64_t have = 0;
  for (int64_t r = 0; r < std::min(N, K); ++r) {
    const int64_t j = order[r];
    if (sigma[j] > 0.0) {
      for (int64_t i = 0; i < M; ++i) cand[i] = w[j * M + i] / sigma[j];
      if (orthonormalize(q, have, M, cand.data())) {
        std::copy(cand.begin(), cand.end(), q.begin() + have * M);
        ++have;
        continue;
      }
    }
    break;  // zero (or numerically dependent) from here on: complete below
  }
  for (int64_t e = 0; have < K && e < M; ++e) {
    std::fill(cand.begin(), cand.end(), 0.0);
    cand[e] = 1.0;
    if (orthonormalize(q, have, M, cand.data())) {
      std::copy(cand.begin(), cand.end(), q.begin() + have * M);
      ++have;
    }
  }
  // P: the rotations, row j = the j-th right (tall) / left (wide) singular vector before sorting.
  for (int64_t r = 0; r < K; ++r)  // Q vectors: columns of U (tall) or rows of Vh (wide)
    for (int64_t i = 0; i < M; ++i) {
      if (tall) u[i * ucols + r] = T(q[r * M + i]);
      else vh[r * n + i] = T(q[r * M + i]);
    }
  for (int64_t r = 0; r < N; ++r)  // P vectors in sorted order: rows of Vh (tall) or columns of U (wide)
    for (int64_t i = 0; i < N; ++i) {
      const double x = v[order[r] * N + i];
      if (tall) vh[r * n + i] = T(x);
      else u[i * ucols + r] = T(x);
    }
}

void svd_kernel(const Tensor& a, const Tensor& u, const Tensor& s, const Tensor& vh) {
  const int64_t batch = a.size(0), m = a.size(1), n = a.size(2), k = std::min(m, n);
  const bool want_uv = u.defined();
  const int64_t ucols = want_uv ? u.size(2) : 0, vrows = want_uv ? vh.size(1) : 0;
  dispatch_real(a.dtype(), "linalg_svd_cpu", [&](auto tag) {
      using scalar_t = decltype(tag);
      using T = scalar_t;
      const T* pa = a.data_ptr<T>();
      T* pu = want_uv ? u.data_ptr<T>() : nullptr;
      T* pv = want_uv ? vh.data_ptr<T>() : nullptr;
      T* ps = s.data_ptr<T>();
      auto one = [&](int64_t b) {
        svd_one<T>(pa + b * m * n, m, n, want_uv ? pu + b * m * ucols : nullptr, ucols, ps + b * k,
                   want_uv ? pv + b * vrows * n : nullptr, vrows, want_uv);
      };
      if (batch > 1) {
        parallel_for(0, batch, 1, [&](int64_t lo, int64_t hi) {
          for (int64_t b = lo; b < hi; ++b) one(b);
        });
      } else {
        for (int64_t b = 0; b < batch; ++b) one(b);
      }
  });
}

PE_REGISTER_KERNEL(svd_stub, CPU, &svd_kernel);

}  // namespace
}  // namespace pe::cpu
