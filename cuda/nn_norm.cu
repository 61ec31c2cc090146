// CUDA batch_norm / layer_norm and their backward, with the formulas of the CPU kernels
// (cpu/nn_norm_kernel.cpp): two-pass statistics (mean, then squared deviations) in double, so a
// float32 input with a large mean keeps its variance. Batch norm: one block per channel; layer norm:
// one block per row, and one thread per column for the weight/bias gradients (row order: the same
// bits every run).
#include <cmath>

#include "cuda/nn_kernels.h"
#include "cuda/nn_util.cuh"

namespace pe::cuda {
namespace {

__device__ __forceinline__ int64_t bn_index(int64_t i, int64_t ch, int64_t c, int64_t s) {
  return ((i / s) * c + ch) * s + i % s;
}

template <class T>
__global__ void batch_norm_forward_kernel(T* out, T* save_mean, T* save_invstd, const T* x, const T* w, const T* b,
                                          T* rm, T* rv, bool training, double momentum, double eps, int64_t n,
                                          int64_t c, int64_t s) {
  __shared__ double smem[32];
  const int64_t count = n * s;
  for (int64_t ch = blockIdx.x; ch < c; ch += gridDim.x) {
    double mean, invstd;
    if (training) {
      double sum = 0;
      for (int64_t i = threadIdx.x; i < count; i += blockDim.x) sum += (double)x[bn_index(i, ch, c, s)];
      mean = block_reduce(sum, smem, SumOf()) / double(count);
      double sq = 0;
      for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
        const double d = (double)x[bn_index(i, ch, c, s)] - mean;
        sq += d * d;
      }
      sq = block_reduce(sq, smem, SumOf());
      invstd = 1.0 / std::sqrt(sq / double(count) + eps);
      if (threadIdx.x == 0) {
        save_mean[ch] = T(mean);
        save_invstd[ch] = T(invstd);
        if (rm) rm[ch] = T((1.0 - momentum) * double(rm[ch]) + momentum * mean);
        if (rv) rv[ch] = T((1.0 - momentum) * double(rv[ch]) + momentum * sq / double(count - 1));
      }
    } else {
      mean = rm[ch];
      invstd = 1.0 / std::sqrt(double(rv[ch]) + eps);
    }
    const T a = T((w ? double(w[ch]) : 1.0) * invstd);
    const T beta = T((b ? double(b[ch]) : 0.0) - mean * double(a));
    for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
      const int64_t k = bn_index(i, ch, c, s);
      out[k] = x[k] * a + beta;
    }
    __syncthreads();  // rm/rv of this channel are read above before thread 0 writes them
  }
}

template <class T>
__global__ void batch_norm_backward_kernel_impl(T* gi, T* gw, T* gb, const T* go, const T* x, const T* w,
                                                const T* mean_p, const T* stat, bool training, double eps, int64_t n,
                                                int64_t c, int64_t s) {
  __shared__ double smem[32];
  const int64_t count = n * s;
  for (int64_t ch = blockIdx.x; ch < c; ch += gridDim.x) {
    const double mean = mean_p[ch];
    const double invstd = training ? double(stat[ch]) : 1.0 / std::sqrt(double(stat[ch]) + eps);
    double sum_g = 0, sum_gx = 0;  // sum(g), sum(g * (x - mean))
    for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
      const int64_t k = bn_index(i, ch, c, s);
      sum_g += (double)go[k];
      sum_gx += double(go[k]) * (double(x[k]) - mean);
    }
    sum_g = block_reduce(sum_g, smem, SumOf());
    sum_gx = block_reduce(sum_gx, smem, SumOf());
    if (threadIdx.x == 0) {
      if (gb) gb[ch] = T(sum_g);
      if (gw) gw[ch] = T(sum_gx * invstd);
    }
    if (!gi) continue;
    const double wv = w ? double(w[ch]) : 1.0;
    if (!training) {
      const T a = T(wv * invstd);
      for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
        const int64_t k = bn_index(i, ch, c, s);
        gi[k] = go[k] * a;
      }
      continue;
    }
    // gi = w * invstd * (g - mean(g) - (x - mean) * invstd^2 * mean(g * (x - mean)))
    const double mg = sum_g / double(count), proj = sum_gx / double(count) * invstd * invstd, a = wv * invstd;
    for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
      const int64_t k = bn_index(i, ch, c, s);
      gi[k] = T(a * (double(go[k]) - mg - (double(x[k]) - mean) * proj));
    }
  }
}

template <class T>
__global__ void layer_norm_forward_kernel(T* out, T* mean_p, T* rstd_p, const T* x, const T* w, const T* b, double eps,
                                          int64_t m, int64_t k) {
  __shared__ double smem[32];
  for (int64_t r = blockIdx.x; r < m; r += gridDim.x) {
    const T* xr = x + r * k;
    T* yr = out + r * k;
    double sum = 0;
    for (int64_t j = threadIdx.x; j < k; j += blockDim.x) sum += (double)xr[j];
    const double mean = block_reduce(sum, smem, SumOf()) / double(k);
    double sq = 0;
    for (int64_t j = threadIdx.x; j < k; j += blockDim.x) sq += ((double)xr[j] - mean) * ((double)xr[j] - mean);
    sq = block_reduce(sq, smem, SumOf());
    const double rstd = 1.0 / std::sqrt(sq / double(k) + eps);
    if (threadIdx.x == 0) {
      mean_p[r] = T(mean);
      rstd_p[r] = T(rstd);
    }
    const T tm = T(mean), tr = T(rstd);
    for (int64_t j = threadIdx.x; j < k; j += blockDim.x) {
      const T v = (xr[j] - tm) * tr;
      yr[j] = v * (w ? w[j] : T(1)) + (b ? b[j] : T(0));
    }
  }
}

template <class T>
__global__ void layer_norm_backward_input_kernel(T* gi, const T* go, const T* x, const T* mean_p, const T* rstd_p,
                                                 const T* w, int64_t m, int64_t k) {
  __shared__ double smem[32];
  for (int64_t r = blockIdx.x; r < m; r += gridDim.x) {
    const T* xr = x + r * k;
    const T* gr = go + r * k;
    const double mean = mean_p[r], rstd = rstd_p[r];
    double s1 = 0, s2 = 0;  // sum(dxhat), sum(dxhat * xhat)
    for (int64_t j = threadIdx.x; j < k; j += blockDim.x) {
      const double dxh = double(gr[j]) * (w ? double(w[j]) : 1.0);
      s1 += dxh;
      s2 += dxh * (double(xr[j]) - mean) * rstd;
    }
    const double m1 = block_reduce(s1, smem, SumOf()) / double(k), m2 = block_reduce(s2, smem, SumOf()) / double(k);
    for (int64_t j = threadIdx.x; j < k; j += blockDim.x) {
      const double dxh = double(gr[j]) * (w ? double(w[j]) : 1.0);
      const double xh = (double(xr[j]) - mean) * rstd;
      gi[r * k + j] = T(rstd * (dxh - m1 - xh * m2));
    }
  }
}

template <class T>
__global__ void layer_norm_backward_params_kernel(T* gw, T* gb, const T* go, const T* x, const T* mean_p,
                                                  const T* rstd_p, int64_t m, int64_t k) {
  PE_CUDA_GRID_LOOP(j, k) {
    double sw = 0, sb = 0;
    for (int64_t r = 0; r < m; ++r) {
      const double g = go[r * k + j];
      sw += g * (double(x[r * k + j]) - double(mean_p[r])) * double(rstd_p[r]);
      sb += g;
    }
    if (gw) gw[j] = T(sw);
    if (gb) gb[j] = T(sb);
  }
}

unsigned block_grid(int64_t rows) { return (unsigned)std::max<int64_t>(1, std::min<int64_t>(rows, 65535)); }

template <class T>
T* ptr(const Tensor& t) {
  return static_cast<T*>(t.raw_data());
}

}  // namespace

void batch_norm_kernel(const Tensor& out, const Tensor& mean, const Tensor& invstd, const Tensor& x, const Tensor& w,
                       const Tensor& b, const Tensor& rm, const Tensor& rv, bool training, double momentum,
                       double eps, int64_t n, int64_t c, int64_t s) {
  if (c == 0) return;
  DeviceGuard guard(x.device().index);
  const bool empty = n * s == 0;
  PE_CUDA_DISPATCH_NN_FLOAT(x.dtype(), "batch_norm", [&] {
    using T = scalar_t;
    launch_kernel(batch_norm_forward_kernel<T>, block_grid(c), kNnBlock, 0, current_stream(),
                  empty ? nullptr : ptr<T>(out), opt_mut<T>(mean), opt_mut<T>(invstd), empty ? nullptr : opt_ptr<T>(x),
                  opt_ptr<T>(w), opt_ptr<T>(b), opt_mut<T>(rm), opt_mut<T>(rv), training, momentum, eps, n, c, s);
  });
}

void batch_norm_backward_kernel(const Tensor& gi, const Tensor& gw, const Tensor& gb, const Tensor& go,
                                const Tensor& x, const Tensor& w, const Tensor& mean, const Tensor& stat,
                                bool training, double eps, int64_t n, int64_t c, int64_t s) {
  if (c == 0) return;
  DeviceGuard guard(x.device().index);
  const bool empty = n * s == 0;
  PE_CUDA_DISPATCH_NN_FLOAT(x.dtype(), "batch_norm_backward", [&] {
    using T = scalar_t;
    launch_kernel(batch_norm_backward_kernel_impl<T>, block_grid(c), kNnBlock, 0, current_stream(),
                  empty ? nullptr : opt_mut<T>(gi), opt_mut<T>(gw), opt_mut<T>(gb), empty ? nullptr : opt_ptr<T>(go),
                  empty ? nullptr : opt_ptr<T>(x), opt_ptr<T>(w), (const T*)ptr<T>(mean), (const T*)ptr<T>(stat),
                  training, eps, n, c, s);
  });
}

void layer_norm_kernel(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& x, const Tensor& w,
                       const Tensor& b, double eps, int64_t m, int64_t k) {
  if (m == 0) return;
  DeviceGuard guard(x.device().index);
  const bool empty = k == 0;
  PE_CUDA_DISPATCH_NN_FLOAT(x.dtype(), "layer_norm", [&] {
    using T = scalar_t;
    launch_kernel(layer_norm_forward_kernel<T>, block_grid(m), kNnBlock, 0, current_stream(),
                  empty ? nullptr : ptr<T>(out), ptr<T>(mean), ptr<T>(rstd), empty ? nullptr : opt_ptr<T>(x),
                  empty ? nullptr : opt_ptr<T>(w), empty ? nullptr : opt_ptr<T>(b), eps, m, k);
  });
}

void layer_norm_backward_kernel(const Tensor& gi, const Tensor& gw, const Tensor& gb, const Tensor& go,
                                const Tensor& x, const Tensor& mean, const Tensor& rstd, const Tensor& w, int64_t m,
                                int64_t k) {
  DeviceGuard guard(x.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(x.dtype(), "layer_norm_backward", [&] {
    using T = scalar_t;
    if (gi.defined() && m > 0 && k > 0)
      launch_kernel(layer_norm_backward_input_kernel<T>, block_grid(m), kNnBlock, 0, current_stream(), ptr<T>(gi),
                    (const T*)ptr<T>(go), (const T*)ptr<T>(x), (const T*)ptr<T>(mean), (const T*)ptr<T>(rstd),
                    opt_ptr<T>(w), m, k);
    if ((gw.defined() || gb.defined()) && k > 0)
      launch_kernel(layer_norm_backward_params_kernel<T>, nn_grid(k), kNnBlock, 0, current_stream(), opt_mut<T>(gw),
                    opt_mut<T>(gb), m ? opt_ptr<T>(go) : nullptr, m ? opt_ptr<T>(x) : nullptr,
                    m ? opt_ptr<T>(mean) : nullptr, m ? opt_ptr<T>(rstd) : nullptr, m, k);
  });
}

}  // namespace pe::cuda
