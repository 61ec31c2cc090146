// CUDA kernels of the LU-based ops (lu_stub, lu_solve_stub, lu_det_stub: inverse, det, slogdet,
// solve, lu_factor): the small serial parts run in one block per matrix, on the device. LU with
// partial pivoting column by column (LAPACK getrf's conventions, as the CPU kernel
// cpu/linalg_kernel_lu.cpp: the first largest |pivot| wins, a zero pivot column sets info and is
// skipped); each column's pivot search is a block reduction and its eliminations are spread over the
// block. lu_solve: one thread per right-hand-side column. det: one thread per matrix.
#include <cmath>

#include "cuda/nn_kernels.h"
#include "cuda/nn_util.cuh"

namespace pe::cuda {
namespace {

constexpr int kLuBlock = 256;

template <class T>
__global__ void lu_kernel_impl(T* a_all, int64_t* piv_all, int64_t* info_all, int64_t batch, int64_t m,
                               int64_t n) {
  __shared__ T sval[kLuBlock];
  __shared__ int64_t sidx[kLuBlock];
  const int tid = threadIdx.x, nt = blockDim.x;
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    // (m, n) row-major; min(m, n) pivots, as the CPU kernel (cpu/linalg_kernel_lu.cpp) and LAPACK's getrf.
    const int64_t kmin = m < n ? m : n;
    T* a = a_all + b * m * n;
    int64_t* piv = piv_all + b * kmin;
    int64_t info = 0;
    for (int64_t j = 0; j < kmin; ++j) {
      // The first row of the largest |a[i][j]|, i >= j.
      T best = T(-1);
      int64_t bi = j;
      for (int64_t i = j + tid; i < m; i += nt) {
        const T v = std::abs(a[i * n + j]);
        if (v > best) best = v, bi = i;
      }
      sval[tid] = best;
      sidx[tid] = bi;
      __syncthreads();
      for (int s = nt / 2; s > 0; s /= 2) {
        if (tid < s) {
          const T v = sval[tid + s];
          const int64_t i = sidx[tid + s];
          if (v > sval[tid] || (v == sval[tid] && i < sidx[tid])) sval[tid] = v, sidx[tid] = i;
        }
        __syncthreads();
      }
      const int64_t p = sidx[0];
      __syncthreads();  // everyone has read sidx[0] before the next column's search
      if (tid == 0) piv[j] = p;
      if (p != j)
        for (int64_t c = tid; c < n; c += nt) {
          const T t = a[j * n + c];
          a[j * n + c] = a[p * n + c];
          a[p * n + c] = t;
        }
      __syncthreads();
      const T pivot = a[j * n + j];
      if (pivot == T(0)) {  // the column below is all zero too: nothing to eliminate
        if (info == 0) info = j + 1;
        continue;
      }
      const T inv = T(1) / pivot;
      for (int64_t i = j + 1 + tid; i < m; i += nt) a[i * n + j] *= inv;
      __syncthreads();
      const int64_t wr = m - j - 1, w = n - j - 1;
      for (int64_t e = tid; e < wr * w; e += nt) {
        const int64_t i = j + 1 + e / w, c = j + 1 + e % w;
        a[i * n + c] -= a[i * n + j] * a[j * n + c];
      }
      __syncthreads();
    }
    if (tid == 0) info_all[b] = info;
  }
}

// Solves (P L U) X = R in place of R (n x k row-major) for one column per thread.
template <class T>
__global__ void lu_solve_kernel_impl(const T* lu_all, const int64_t* piv_all, T* r_all, int64_t batch, int64_t n,
                                     int64_t k) {
  for (int64_t b = blockIdx.x; b < batch; b += gridDim.x) {
    const T* lu = lu_all + b * n * n;
    const int64_t* piv = piv_all + b * n;
    T* r = r_all + b * n * k;
    for (int64_t c = threadIdx.x; c < k; c += blockDim.x) {
      for (int64_t i = 0; i < n; ++i) {
        const int64_t p = piv[i];
        if (p != i) {
          const T t = r[i * k + c];
          r[i * k + c] = r[p * k + c];
          r[p * k + c] = t;
        }
      }
      for (int64_t i = 1; i < n; ++i)  // L y = P^T r (unit diagonal)
        for (int64_t j = 0; j < i; ++j) r[i * k + c] -= lu[i * n + j] * r[j * k + c];
      for (int64_t i = n - 1; i >= 0; --i) {  // U x = y
        for (int64_t j = i + 1; j < n; ++j) r[i * k + c] -= lu[i * n + j] * r[j * k + c];
        r[i * k + c] *= T(1) / lu[i * n + i];
      }
    }
  }
}

template <class T>
__global__ void lu_det_kernel_impl(const T* lu_all, const int64_t* piv_all, T* det, T* sign, T* logabs, int64_t batch,
                                   int64_t n, bool real_log) {
  PE_CUDA_GRID_LOOP(b, batch) {
    const T* m = lu_all + b * n * n;
    T d = 1, sg = 1, lg = 0;
    for (int64_t i = 0; i < n; ++i) {
      const T u = m[i * n + i];
      d *= u;
      if (piv_all[b * n + i] != i) d = -d, sg = -sg;
      sg *= u > 0 ? T(1) : (u < 0 ? T(-1) : T(0));
      lg += std::log(std::abs(u));
    }
    if (sg == T(0)) lg = T(-INFINITY);
    if (lg != lg) sg = T(NAN);
    if (real_log && sg < 0) lg = T(NAN);
    if (det) det[b] = d;
    if (sign) sign[b] = sg;
    if (logabs) logabs[b] = lg;
  }
}

unsigned batch_grid(int64_t batch) { return (unsigned)std::max<int64_t>(1, std::min<int64_t>(batch, 65535)); }

}  // namespace

void lu_kernel(const Tensor& lu, const Tensor& pivots, const Tensor& info) {
  const int64_t batch = lu.size(0), m = lu.size(1), n = lu.size(2);
  if (batch == 0) return;
  DeviceGuard guard(lu.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(lu.dtype(), "linalg.lu_factor", [&] {
    launch_kernel(lu_kernel_impl<scalar_t>, batch_grid(batch), kLuBlock, 0, current_stream(),
                  m * n ? lu.data_ptr<scalar_t>() : nullptr, m * n ? pivots.data_ptr<int64_t>() : nullptr,
                  info.data_ptr<int64_t>(), batch, m, n);
  });
}

void lu_solve_kernel(const Tensor& lu, const Tensor& pivots, const Tensor& rhs) {
  const int64_t batch = lu.size(0), n = lu.size(1), k = rhs.size(2);
  if (batch * n * k == 0) return;
  DeviceGuard guard(lu.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(lu.dtype(), "linalg.lu_solve", [&] {
    launch_kernel(lu_solve_kernel_impl<scalar_t>, batch_grid(batch), 64, 0, current_stream(),
                  (const scalar_t*)lu.data_ptr<scalar_t>(), (const int64_t*)pivots.data_ptr<int64_t>(),
                  rhs.data_ptr<scalar_t>(), batch, n, k);
  });
}

void lu_det_kernel(const Tensor& lu, const Tensor& pivots, const Tensor& det, const Tensor& sign,
                   const Tensor& logabsdet, bool real_log) {
  const int64_t batch = lu.size(0), n = lu.size(1);
  if (batch == 0) return;
  DeviceGuard guard(lu.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(lu.dtype(), "linalg.det", [&] {
    using T = scalar_t;
    launch_kernel(lu_det_kernel_impl<T>, nn_grid(batch), kNnBlock, 0, current_stream(),
                  n ? (const T*)lu.data_ptr<T>() : nullptr, n ? (const int64_t*)pivots.data_ptr<int64_t>() : nullptr,
                  opt_mut<T>(det), opt_mut<T>(sign), opt_mut<T>(logabsdet), batch, n, real_log);
  });
}

}  // namespace pe::cuda
