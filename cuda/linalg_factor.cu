// CUDA kernels of the factorizations behind torch.linalg's cholesky (cholesky_stub), solve_triangular
// (triangular_solve_stub) and qr (geqrf_stub, orgqr_stub: geqrf, householder_product, ormqr), with
// the contracts of ops/linalg_decomp_stubs.h. One block per matrix (a grid-stride loop over the batch):
// the serial order of a column-by-column factorization stays inside the block, the threads share the
// rows or columns of each step. Every sum runs in a fixed order (no atomics), so results are the same
// bits on every run. Errors (a matrix that is not positive-definite) are LAPACK's info, written on the
// device: the op layer or Python decides whether to read it back (cholesky) or not (cholesky_ex).
#include <cmath>

#include "cuda/linalg_kernels.h"
#include "cuda/nn_util.cuh"

namespace pe::cuda {
namespace {

constexpr int kMaxBlock = 256;

unsigned batch_grid(int64_t batch) { return (unsigned)std::max<int64_t>(1, std::min<int64_t>(batch, 65535)); }

// Threads per block for matrices with `n` rows or columns: a multiple of 32 (block_reduce's warps), no
// more than the work of one step needs.
int block_for(int64_t n) {
  const int64_t t = (n + 31) / 32 * 32;
  return (int)std::max<int64_t>(32, std::min<int64_t>(kMaxBlock, t));
}

// ---- Cholesky: left-looking, one column per step; rows of the column are shared by the threads ----
template <class T>
__global__ void cholesky_impl(T* a_all, int64_t* info_all, int64_t batch, int64_t n) {
  const int tid = threadIdx.x, nt = blockDim.x;
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    T* a = a_all + b * n * n;
    int64_t info = 0;
    for (int64_t j = 0; j < n; ++j) {
      // a[i][j] -= L[i][:j] . L[j][:j] for the rows i >= j (row j's prefix is final).
      for (int64_t i = j + tid; i < n; i += nt) {
        T s = 0;
        for (int64_t k = 0; k < j; ++k) s += a[i * n + k] * a[j * n + k];
        a[i * n + j] -= s;
      }
      __syncthreads();
      const T d = a[j * n + j];
      if (!(d > T(0))) {  // also NaN; every thread reads the same d. LAPACK leaves the failed pivot in place.
        info = j + 1;
        break;
      }
      const T l = std::sqrt(d);
      for (int64_t i = j + 1 + tid; i < n; i += nt) a[i * n + j] /= l;
      __syncthreads();  // every thread has read d before it is overwritten
      if (tid == 0) a[j * n + j] = l;  // no later step reads the diagonal
    }
    for (int64_t e = tid; e < n * n; e += nt)
      if (e % n > e / n) a[e] = T(0);
    if (tid == 0) info_all[b] = info;
    __syncthreads();
  }
}

// ---- triangular solve A X = R in place of R (n x k): one thread per right-hand-side column ----
template <class T>
__global__ void triangular_solve_impl(const T* a_all, T* r_all, int64_t batch, int64_t n, int64_t k, bool upper,
                                      bool unit) {
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    const T* a = a_all + b * n * n;
    T* r = r_all + b * n * k;
    for (int64_t c = blockIdx.y * (int64_t)blockDim.x + threadIdx.x; c < k; c += (int64_t)gridDim.y * blockDim.x) {
      if (!upper) {
        for (int64_t i = 0; i < n; ++i) {
          T s = r[i * k + c];
          for (int64_t j = 0; j < i; ++j) s -= a[i * n + j] * r[j * k + c];
          r[i * k + c] = unit ? s : s / a[i * n + i];
        }
      } else {
        for (int64_t i = n - 1; i >= 0; --i) {
          T s = r[i * k + c];
          for (int64_t j = i + 1; j < n; ++j) s -= a[i * n + j] * r[j * k + c];
          r[i * k + c] = unit ? s : s / a[i * n + i];
        }
      }
    }
  }
}

// H = I - tau v v^T applied from the left to the columns c > i of a (m x n), v = (1, a[i+1:, i]) from
// row i: each thread owns whole columns, so it forms its column's v^T a[:, c] and updates it alone.
template <class T>
__device__ void apply_reflector_cols(T* a, int64_t m, int64_t n, int64_t i, T tau) {
  for (int64_t c = i + 1 + threadIdx.x; c < n; c += blockDim.x) {
    T w = a[i * n + c];
    for (int64_t r = i + 1; r < m; ++r) w += a[r * n + i] * a[r * n + c];
    a[i * n + c] -= tau * w;
    for (int64_t r = i + 1; r < m; ++r) a[r * n + c] -= (tau * a[r * n + i]) * w;
  }
}

// ---- Householder QR with LAPACK geqrf's layout (as cpu/linalg_kernel_decomp.cpp) ----
template <class T>
__global__ void geqrf_impl(T* a_all, T* tau_all, int64_t batch, int64_t m, int64_t n) {
  __shared__ T red[32];
  const int tid = threadIdx.x, nt = blockDim.x;
  const int64_t kmin = m < n ? m : n;
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    T* a = a_all + b * m * n;
    T* tau = tau_all + b * kmin;
    for (int64_t i = 0; i < kmin; ++i) {
      // The norm of the column below the diagonal, scaled by its largest entry (no overflow).
      T mx = 0;
      for (int64_t r = i + 1 + tid; r < m; r += nt) mx = dmax(mx, std::abs(a[r * n + i]));
      const T scale = block_reduce(mx, red, MaxOf());
      T ss = 0;
      if (scale > T(0))
        for (int64_t r = i + 1 + tid; r < m; r += nt) {
          const T x = a[r * n + i] / scale;
          ss += x * x;
        }
      const T ssq = block_reduce(ss, red, SumOf());
      const T xnorm = scale > T(0) ? scale * std::sqrt(ssq) : T(0);
      const T alpha = a[i * n + i];
      if (xnorm == T(0)) {  // also a NaN-free zero column: H = I
        if (tid == 0) tau[i] = T(0);
        continue;
      }
      const T beta = -std::copysign(std::hypot(alpha, xnorm), alpha);
      const T t = (beta - alpha) / beta;
      const T inv = T(1) / (alpha - beta);
      for (int64_t r = i + 1 + tid; r < m; r += nt) a[r * n + i] *= inv;
      __syncthreads();  // v is complete, and every thread has read alpha
      if (tid == 0) {
        a[i * n + i] = beta;
        tau[i] = t;
      }
      apply_reflector_cols(a, m, n, i, t);
      __syncthreads();  // column i + 1 is final before the next norm
    }
  }
}

// ---- Q = H_0 ... H_{k-1}, first n columns, in place of the reflectors (LAPACK org2r's order) ----
template <class T>
__global__ void orgqr_impl(T* a_all, const T* tau_all, int64_t batch, int64_t m, int64_t n, int64_t k) {
  const int tid = threadIdx.x, nt = blockDim.x;
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    T* a = a_all + b * m * n;
    const T* tau = tau_all + b * k;
    for (int64_t e = tid; e < m * (n - k); e += nt) {  // the columns no reflector owns start as e_j
      const int64_t r = e / (n - k), j = k + e % (n - k);
      a[r * n + j] = r == j ? T(1) : T(0);
    }
    __syncthreads();
    for (int64_t i = k - 1; i >= 0; --i) {
      const T t = tau[i];
      apply_reflector_cols(a, m, n, i, t);
      __syncthreads();  // column i (v) is read above before it becomes H_i e_i
      for (int64_t r = tid; r < m; r += nt) a[r * n + i] = r > i ? -t * a[r * n + i] : (r == i ? T(1) - t : T(0));
      __syncthreads();
    }
  }
}

}  // namespace

void cholesky_kernel(const Tensor& a, const Tensor& info) {
  const int64_t batch = a.size(0), n = a.size(1);
  if (batch * n == 0) return;
  DeviceGuard guard(a.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(a.dtype(), "linalg_cholesky_cuda", [&] {
    launch_kernel(cholesky_impl<scalar_t>, batch_grid(batch), block_for(n), 0, current_stream(),
                  a.data_ptr<scalar_t>(), info.data_ptr<int64_t>(), batch, n);
  });
}

void triangular_solve_kernel(const Tensor& a, const Tensor& rhs, bool upper, bool unitriangular) {
  const int64_t batch = a.size(0), n = a.size(1), k = rhs.size(2);
  if (batch * n * k == 0) return;
  DeviceGuard guard(a.device().index);
  const int block = block_for(k);
  const dim3 grid(batch_grid(batch), (unsigned)std::min<int64_t>((k + block - 1) / block, 65535));
  PE_CUDA_DISPATCH_NN_FLOAT(a.dtype(), "linalg_solve_triangular_cuda", [&] {
    launch_kernel(triangular_solve_impl<scalar_t>, grid, block, 0, current_stream(),
                  (const scalar_t*)a.data_ptr<scalar_t>(), rhs.data_ptr<scalar_t>(), batch, n, k, upper,
                  unitriangular);
  });
}

void geqrf_kernel(const Tensor& a, const Tensor& tau) {
  const int64_t batch = a.size(0), m = a.size(1), n = a.size(2);
  if (batch * m * n == 0) return;
  DeviceGuard guard(a.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(a.dtype(), "geqrf_cuda", [&] {
    launch_kernel(geqrf_impl<scalar_t>, batch_grid(batch), block_for(std::max(m, n)), 0, current_stream(),
                  a.data_ptr<scalar_t>(), tau.data_ptr<scalar_t>(), batch, m, n);
  });
}

void orgqr_kernel(const Tensor& a, const Tensor& tau) {
  const int64_t batch = a.size(0), m = a.size(1), n = a.size(2), k = tau.size(1);
  if (batch * m * n == 0) return;
  DeviceGuard guard(a.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(a.dtype(), "linalg_householder_product_cuda", [&] {
    launch_kernel(orgqr_impl<scalar_t>, batch_grid(batch), block_for(std::max(m, n)), 0, current_stream(),
                  a.data_ptr<scalar_t>(), k ? (const scalar_t*)tau.data_ptr<scalar_t>() : nullptr, batch, m, n, k);
  });
}

}  // namespace pe::cuda
