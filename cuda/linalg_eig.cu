// CUDA kernels of the symmetric eigendecomposition (eigh_stub: eigh, eigvalsh) and the SVD (svd_stub:
// svd, svdvals, and through them pinv, matrix_rank, cond, lstsq's rank), with the contracts of
// ops/linalg_decomp_stubs.h and ops/linalg_stubs.h. One block per matrix, in double for float32 and
// float64 inputs (as the CPU kernels), in a float64 workspace the host entry allocates:
// - eigh: cyclic two-sided Jacobi. The rotations of one sweep run in their serial order; each one's
//   row and column updates are shared by the threads. Eigenvalues ascending (a stable rank sort).
// - svd: one-sided Jacobi (Hestenes), as cpu/linalg_kernel_svd.cpp: the rows of W (the columns of A,
//   or of A^T when A is wide) are rotated pairwise until orthogonal, their norms are the singular
//   values (descending), the normalized rows one set of singular vectors, the accumulated rotations the
//   other; vectors of zero singular values and the extra ones of full_matrices are completed by
//   Gram-Schmidt. Each thread owns the elements i = threadIdx.x (mod blockDim.x) of every vector, so
//   the dot products (fixed-tree block reductions) are the only meeting points.
// Nothing is read back to the host.
#include <cmath>

#include "cuda/linalg_kernels.h"
#include "cuda/nn_util.cuh"
#include "ops/ops.h"

namespace pe::cuda {
namespace {

constexpr int kMaxBlock = 256;
constexpr int kMaxSweeps = 60;

unsigned batch_grid(int64_t batch) { return (unsigned)std::max<int64_t>(1, std::min<int64_t>(batch, 65535)); }

int block_for(int64_t n) {
  const int64_t t = (n + 31) / 32 * 32;
  return (int)std::max<int64_t>(32, std::min<int64_t>(kMaxBlock, t));
}

// A strict weak order on doubles with NaN after every number (so the ranks below are a permutation).
__device__ __forceinline__ bool before(double x, double y, bool descending) {
  if (x != x) return false;
  if (y != y) return true;
  return descending ? x > y : x < y;
}

// order[r] = the index of the r-th key of keys[0:n] (stable: ties keep their index order), by ranks.
__device__ void rank_sort(const double* keys, int64_t stride, int64_t n, int64_t* order, bool descending) {
  for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
    const double kj = keys[j * stride];
    int64_t rank = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double ki = keys[i * stride];
      rank += before(ki, kj, descending) || (i < j && !before(kj, ki, descending));
    }
    order[rank] = j;
  }
}

// ---- eigh: cyclic Jacobi on S = A (n x n, full, double), V accumulating the rotations ----
template <class T>
__global__ void eigh_impl(const T* a_all, T* w_all, T* v_all, double* ws_all, int64_t* ord_all, int64_t batch,
                          int64_t n) {
  __shared__ double red[32];
  const int tid = threadIdx.x, nt = blockDim.x;
  const bool want_v = v_all != nullptr;
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    const T* a = a_all + b * n * n;
    double* s = ws_all + b * 2 * n * n;
    double* v = s + n * n;
    int64_t* ord = ord_all + b * n;
    double fro = 0;
    for (int64_t e = tid; e < n * n; e += nt) {
      const double x = (double)a[e];
      s[e] = x;
      v[e] = e / n == e % n ? 1.0 : 0.0;
      fro += x * x;
    }
    // Off-diagonal entries below this are zero to working precision of the whole matrix.
    const double floor_abs = std::sqrt(block_reduce(fro, red, SumOf())) * 1e-18;
    const double eps = 2.220446049250313e-16;
    for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
      bool rotated = false;
      for (int64_t p = 0; p + 1 < n; ++p)
        for (int64_t q = p + 1; q < n; ++q) {
          const double app = s[p * n + p], aqq = s[q * n + q], apq = s[p * n + q];
          // Every thread reads the same three values (the last update ended with a barrier), so the
          // branch is uniform. NaN compares false: a NaN matrix stops rotating.
          const double thr = eps * std::sqrt(std::abs(app) * std::abs(aqq));
          if (!(std::abs(apq) > thr && std::abs(apq) > floor_abs)) continue;
          rotated = true;
          const double theta = (aqq - app) / (2.0 * apq);
          const double t = std::abs(theta) > 1e150
                               ? 0.5 / theta
                               : std::copysign(1.0, theta) / (std::abs(theta) + std::sqrt(1.0 + theta * theta));
          const double c = 1.0 / std::sqrt(1.0 + t * t), sn = c * t;
          __syncthreads();  // everyone has read s[p][p], s[q][q], s[p][q] before they change
          for (int64_t k = tid; k < n; k += nt) {  // S J and V J: columns p, q
            const double kp = s[k * n + p], kq = s[k * n + q];
            s[k * n + p] = c * kp - sn * kq;
            s[k * n + q] = sn * kp + c * kq;
            if (want_v) {
              const double vp = v[k * n + p], vq = v[k * n + q];
              v[k * n + p] = c * vp - sn * vq;
              v[k * n + q] = sn * vp + c * vq;
            }
          }
          __syncthreads();
          for (int64_t k = tid; k < n; k += nt) {  // J^T (S J): rows p, q
            const double pk = s[p * n + k], qk = s[q * n + k];
            s[p * n + k] = c * pk - sn * qk;
            s[q * n + k] = sn * pk + c * qk;
          }
          __syncthreads();
        }
      if (!rotated) break;
    }
    rank_sort(s, n + 1, n, ord, false);
    __syncthreads();
    T* w = w_all + b * n;
    for (int64_t j = tid; j < n; j += nt) w[j] = T(s[ord[j] * (n + 1)]);
    if (want_v) {
      T* vo = v_all + b * n * n;
      for (int64_t e = tid; e < n * n; e += nt) vo[e] = T(v[(e / n) * n + ord[e % n]]);
    }
    __syncthreads();
  }
}

// Dot product of two length-M vectors whose elements i = tid (mod nt) this thread owns.
__device__ double block_dot(const double* x, const double* y, int64_t M, double* red) {
  double acc = 0;
  for (int64_t i = threadIdx.x; i < M; i += blockDim.x) acc += x[i] * y[i];
  return block_reduce(acc, red, SumOf());
}

// The three dot products x.x, y.y, x.y of length-M vectors (elements owned as in block_dot) in one
// pass: one meeting of the block instead of three reductions. red: 96 doubles of shared memory.
struct Dot3 {
  double xx, yy, xy;
};
__device__ Dot3 block_dot3(const double* x, const double* y, int64_t M, double* red) {
  double xx = 0, yy = 0, xy = 0;
  for (int64_t i = threadIdx.x; i < M; i += blockDim.x) {
    xx += x[i] * x[i];
    yy += y[i] * y[i];
    xy += x[i] * y[i];
  }
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, nwarps = blockDim.x / 32;
  for (int o = 16; o > 0; o /= 2) {
    xx += __shfl_down_sync(0xffffffffu, xx, o);
    yy += __shfl_down_sync(0xffffffffu, yy, o);
    xy += __shfl_down_sync(0xffffffffu, xy, o);
  }
  if (lane == 0) red[warp] = xx, red[32 + warp] = yy, red[64 + warp] = xy;
  __syncthreads();
  if (warp == 0) {  // the warps' partial sums, zeros past the last warp: a fixed tree
    xx = lane < nwarps ? red[lane] : 0.0;
    yy = lane < nwarps ? red[32 + lane] : 0.0;
    xy = lane < nwarps ? red[64 + lane] : 0.0;
    for (int o = 16; o > 0; o /= 2) {
      xx += __shfl_down_sync(0xffffffffu, xx, o);
      yy += __shfl_down_sync(0xffffffffu, yy, o);
      xy += __shfl_down_sync(0xffffffffu, xy, o);
    }
    if (lane == 0) red[0] = xx, red[32] = yy, red[64] = xy;
  }
  __syncthreads();
  const Dot3 r{red[0], red[32], red[64]};
  __syncthreads();  // red is free for the next call
  return r;
}

// Orthonormalizes cand against the first `have` rows of q (two Gram-Schmidt passes); false when it is
// (numerically) in their span. Uniform: every thread gets the same answer.
__device__ bool orthonormalize(const double* q, int64_t have, int64_t M, double* cand, double* red) {
  const double before_norm = std::sqrt(block_dot(cand, cand, M, red));
  if (before_norm == 0.0) return false;
  for (int pass = 0; pass < 2; ++pass)
    for (int64_t r = 0; r < have; ++r) {
      const double* qr = q + r * M;
      const double d = block_dot(qr, cand, M, red);
      for (int64_t i = threadIdx.x; i < M; i += blockDim.x) cand[i] -= d * qr[i];
    }
  const double after = std::sqrt(block_dot(cand, cand, M, red));
  if (!(after > 1e-8 * before_norm)) return false;
  for (int64_t i = threadIdx.x; i < M; i += blockDim.x) cand[i] /= after;
  return true;
}

// Workspace doubles per matrix: W (N x M), P (N x N), sigma (N), Q (K x M), cand (M).
__host__ __device__ inline int64_t svd_ws(int64_t M, int64_t N, int64_t K) { return N * M + N * N + N + K * M + M; }

template <class T>
__global__ void svd_impl(const T* a_all, T* u_all, T* s_all, T* vh_all, double* ws_all, int64_t* ord_all,
                         int64_t batch, int64_t m, int64_t n, int64_t ucols, int64_t vrows, double tol) {
  __shared__ double red[96];
  const int tid = threadIdx.x, nt = blockDim.x;
  const bool tall = m >= n, want_uv = u_all != nullptr;
  const int64_t M = tall ? m : n, N = tall ? n : m, K = want_uv ? (tall ? ucols : vrows) : 0;
  const int64_t kmin = N;
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    const T* a = a_all + b * m * n;
    double* w = ws_all + b * svd_ws(M, N, K);
    double* p = w + N * M;
    double* sigma = p + N * N;
    double* q = sigma + N;
    double* cand = q + K * M;
    int64_t* ord = ord_all + b * N;
    for (int64_t j = 0; j < N; ++j)
      for (int64_t i = tid; i < M; i += nt) w[j * M + i] = tall ? (double)a[i * n + j] : (double)a[j * n + i];
    if (want_uv)
      for (int64_t e = tid; e < N * N; e += nt) p[e] = e / N == e % N ? 1.0 : 0.0;
    __syncthreads();
    for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
      bool rotated = false;
      for (int64_t pp = 0; pp + 1 < N; ++pp) {
        double* wp = w + pp * M;
        for (int64_t qq = pp + 1; qq < N; ++qq) {
          double* wq = w + qq * M;
          const Dot3 d = block_dot3(wp, wq, M, red);
          const double alpha = d.xx, beta = d.yy, gamma = d.xy;
          if (alpha == 0.0 || beta == 0.0 || !(std::abs(gamma) > tol * std::sqrt(alpha * beta))) continue;
          rotated = true;
          const double zeta = (beta - alpha) / (2.0 * gamma);
          const double t = std::abs(zeta) > 1e150
                               ? 0.5 / zeta
                               : std::copysign(1.0, zeta) / (std::abs(zeta) + std::sqrt(1.0 + zeta * zeta));
          const double c = 1.0 / std::sqrt(1.0 + t * t), s = c * t;
          for (int64_t i = tid; i < M; i += nt) {
            const double x = wp[i], y = wq[i];
            wp[i] = c * x - s * y;
            wq[i] = s * x + c * y;
          }
          if (want_uv) {  // P's rows p, q are read only here, each element by the thread that owns it
            double* vp = p + pp * N;
            double* vq = p + qq * N;
            for (int64_t i = tid; i < N; i += nt) {
              const double x = vp[i], y = vq[i];
              vp[i] = c * x - s * y;
              vq[i] = s * x + c * y;
            }
          }
        }
      }
      if (!rotated) break;
    }
    for (int64_t j = 0; j < N; ++j) {
      const double nn = block_dot(w + j * M, w + j * M, M, red);
      if (tid == 0) sigma[j] = std::sqrt(nn);
    }
    __syncthreads();
    rank_sort(sigma, 1, N, ord, true);
    __syncthreads();
    T* s_out = s_all + b * kmin;
    for (int64_t r = tid; r < N; r += nt) s_out[r] = T(sigma[ord[r]]);
    if (want_uv) {
      // Q: K orthonormal vectors of length M, the normalized rows of W first, then the completion.
      int64_t have = 0;
      for (int64_t r = 0; r < (N < K ? N : K); ++r) {
        const int64_t j = ord[r];
        const double sj = sigma[j];
        if (!(sj > 0.0)) break;  // zero from here on: complete below
        for (int64_t i = tid; i < M; i += nt) cand[i] = w[j * M + i] / sj;
        if (!orthonormalize(q, have, M, cand, red)) break;  // numerically dependent: complete below
        for (int64_t i = tid; i < M; i += nt) q[have * M + i] = cand[i];
        ++have;
      }
      for (int64_t e = 0; have < K && e < M; ++e) {
        for (int64_t i = tid; i < M; i += nt) cand[i] = i == e ? 1.0 : 0.0;
        if (orthonormalize(q, have, M, cand, red)) {
          for (int64_t i = tid; i < M; i += nt) q[have * M + i] = cand[i];
          ++have;
        }
      }
      __syncthreads();
      T* u = u_all + b * m * ucols;
      T* vh = vh_all + b * vrows * n;
      for (int64_t e = tid; e < K * M; e += nt) {  // Q: columns of U (tall) or rows of Vh (wide)
        const int64_t r = e / M, i = e % M;
        if (tall) u[i * ucols + r] = T(q[e]);
        else vh[r * n + i] = T(q[e]);
      }
      for (int64_t e = tid; e < N * N; e += nt) {  // P in sorted order: rows of Vh (tall) or columns of U (wide)
        const int64_t r = e / N, i = e % N;
        const T x = T(p[ord[r] * N + i]);
        if (tall) vh[r * n + i] = x;
        else u[i * ucols + r] = x;
      }
    }
    __syncthreads();
  }
}

}  // namespace

void eigh_kernel(const Tensor& a, const Tensor& w, const Tensor& v) {
  const int64_t batch = a.size(0), n = a.size(1);
  if (batch * n == 0) return;
  DeviceGuard guard(a.device().index);
  Tensor ws = make_empty({batch * 2 * n * n}, DType::Float64, a.device());
  Tensor ord = make_empty({batch * n}, DType::Int64, a.device());
  PE_CUDA_DISPATCH_NN_FLOAT(a.dtype(), "linalg_eigh_cuda", [&] {
    using T = scalar_t;
    launch_kernel(eigh_impl<T>, batch_grid(batch), block_for(n), 0, current_stream(), (const T*)a.data_ptr<T>(),
                  w.data_ptr<T>(), opt_mut<T>(v), ws.data_ptr<double>(), ord.data_ptr<int64_t>(), batch, n);
  });
}

void svd_kernel(const Tensor& a, const Tensor& u, const Tensor& s, const Tensor& vh) {
  const int64_t batch = a.size(0), m = a.size(1), n = a.size(2);
  const bool want_uv = u.defined();
  const int64_t ucols = want_uv ? u.size(2) : 0, vrows = want_uv ? vh.size(1) : 0;
  const bool tall = m >= n;
  const int64_t M = tall ? m : n, N = tall ? n : m, K = want_uv ? (tall ? ucols : vrows) : 0;
  if (batch == 0) return;
  DeviceGuard guard(a.device().index);
  if (M == 0) return;  // (B, m, 0) or (B, 0, n): no singular values, empty vectors but for full_matrices
  if (N == 0) {        // full_matrices of an empty side: the identity, as LAPACK
    if (K > 0) {  // K == M: the completion of nothing is the standard basis
      Tensor basis = tall ? u : vh;
      copy_(basis, expand(eye(M, M, TensorOptions{a.dtype(), a.device()}), {batch, M, M}));
    }
    return;
  }
  Tensor ws = make_empty({batch * svd_ws(M, N, K)}, DType::Float64, a.device());
  Tensor ord = make_empty({batch * N}, DType::Int64, a.device());
  PE_CUDA_DISPATCH_NN_FLOAT(a.dtype(), "linalg_svd_cuda", [&] {
    using T = scalar_t;
    const double tol = std::is_same_v<T, float> ? 1e-9 : 1e-15;
    launch_kernel(svd_impl<T>, batch_grid(batch), block_for(M), 0, current_stream(), (const T*)a.data_ptr<T>(),
                  opt_mut<T>(u), s.data_ptr<T>(), opt_mut<T>(vh), ws.data_ptr<double>(), ord.data_ptr<int64_t>(),
                  batch, m, n, ucols, vrows, tol);
  });
}

}  // namespace pe::cuda
