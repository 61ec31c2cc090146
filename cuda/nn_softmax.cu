// CUDA softmax / log_softmax and their backward over an (outer, dim, inner) contiguous view, fused
// and stable as the CPU kernels (cpu/nn_softmax_kernel.cpp): the row maximum is subtracted (NaN
// propagates), sums of exponentials accumulate in double, log_softmax is (x - max) - log(sum).
// inner == 1 (softmax over the last dim): one block per row, block reductions. Otherwise one thread
// per (outer, inner) column walking dim, so neighbouring threads read neighbouring addresses.
#include <cmath>

#include "cuda/nn_kernels.h"
#include "cuda/nn_util.cuh"

namespace pe::cuda {
namespace {

template <class T>
__global__ void softmax_rows_kernel(T* out, const T* in, int64_t outer, int64_t d, bool log) {
  __shared__ T smax[32];
  __shared__ double ssum[32];
  for (int64_t row = blockIdx.x; row < outer; row += gridDim.x) {
    const T* x = in + row * d;
    T* y = out + row * d;
    T m = lowest_value<T>();
    for (int64_t j = threadIdx.x; j < d; j += blockDim.x) m = MaxOf()(m, x[j]);
    m = block_reduce(m, smax, MaxOf());
    double s = 0;
    for (int64_t j = threadIdx.x; j < d; j += blockDim.x) s += (double)std::exp(x[j] - m);
    s = block_reduce(s, ssum, SumOf());
    if (log) {
      const T ls = static_cast<T>(std::log(s));
      for (int64_t j = threadIdx.x; j < d; j += blockDim.x) y[j] = (x[j] - m) - ls;
    } else {
      const T inv = static_cast<T>(1.0 / s);
      for (int64_t j = threadIdx.x; j < d; j += blockDim.x) y[j] = std::exp(x[j] - m) * inv;
    }
  }
}

template <class T>
__global__ void softmax_inner_kernel(T* out, const T* in, int64_t outer, int64_t d, int64_t inner, bool log) {
  PE_CUDA_GRID_LOOP(col, outer * inner) {
    const int64_t o = col / inner, k = col % inner;
    const T* x = in + o * d * inner + k;
    T* y = out + o * d * inner + k;
    T m = lowest_value<T>();
    for (int64_t j = 0; j < d; ++j) m = MaxOf()(m, x[j * inner]);
    double s = 0;
    for (int64_t j = 0; j < d; ++j) s += (double)std::exp(x[j * inner] - m);
    if (log) {
      const T ls = static_cast<T>(std::log(s));
      for (int64_t j = 0; j < d; ++j) y[j * inner] = (x[j * inner] - m) - ls;
    } else {
      const T inv = static_cast<T>(1.0 / s);
      for (int64_t j = 0; j < d; ++j) y[j * inner] = std::exp(x[j * inner] - m) * inv;
    }
  }
}

// softmax: gi = y * (g - sum(g * y));  log_softmax: gi = g - exp(y) * sum(g)
template <class T>
__global__ void softmax_backward_rows_kernel(T* gi, const T* g, const T* y, int64_t outer, int64_t d, bool log) {
  __shared__ double ssum[32];
  for (int64_t row = blockIdx.x; row < outer; row += gridDim.x) {
    const int64_t base = row * d;
    double acc = 0;
    for (int64_t j = threadIdx.x; j < d; j += blockDim.x)
      acc += log ? (double)g[base + j] : (double)(g[base + j] * y[base + j]);
    const T s = static_cast<T>(block_reduce(acc, ssum, SumOf()));
    for (int64_t j = threadIdx.x; j < d; j += blockDim.x) {
      const int64_t p = base + j;
      gi[p] = log ? g[p] - std::exp(y[p]) * s : y[p] * (g[p] - s);
    }
  }
}

template <class T>
__global__ void softmax_backward_inner_kernel(T* gi, const T* g, const T* y, int64_t outer, int64_t d, int64_t inner,
                                              bool log) {
  PE_CUDA_GRID_LOOP(col, outer * inner) {
    const int64_t base = (col / inner) * d * inner + col % inner;
    double acc = 0;
    for (int64_t j = 0; j < d; ++j) {
      const int64_t p = base + j * inner;
      acc += log ? (double)g[p] : (double)(g[p] * y[p]);
    }
    const T s = static_cast<T>(acc);
    for (int64_t j = 0; j < d; ++j) {
      const int64_t p = base + j * inner;
      gi[p] = log ? g[p] - std::exp(y[p]) * s : y[p] * (g[p] - s);
    }
  }
}

unsigned row_grid(int64_t outer) { return (unsigned)std::max<int64_t>(1, std::min<int64_t>(outer, 65535)); }

}  // namespace

void softmax_kernel(const Tensor& out, const Tensor& input, int64_t outer, int64_t d, int64_t inner, bool log) {
  if (outer * d * inner == 0) return;
  DeviceGuard guard(input.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(input.dtype(), "softmax", [&] {
    auto* y = static_cast<scalar_t*>(out.raw_data());
    auto* x = static_cast<const scalar_t*>(input.raw_data());
    if (inner == 1)
      launch_kernel(softmax_rows_kernel<scalar_t>, row_grid(outer), kNnBlock, 0, current_stream(), y, x, outer, d, log);
    else
      launch_kernel(softmax_inner_kernel<scalar_t>, nn_grid(outer * inner), kNnBlock, 0, current_stream(), y, x, outer,
                    d, inner, log);
  });
}

void softmax_backward_kernel(const Tensor& gi, const Tensor& go, const Tensor& out, int64_t outer, int64_t d,
                             int64_t inner, bool log) {
  if (outer * d * inner == 0) return;
  DeviceGuard guard(out.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(out.dtype(), "softmax_backward", [&] {
    auto* gip = static_cast<scalar_t*>(gi.raw_data());
    auto* g = static_cast<const scalar_t*>(go.raw_data());
    auto* y = static_cast<const scalar_t*>(out.raw_data());
    if (inner == 1)
      launch_kernel(softmax_backward_rows_kernel<scalar_t>, row_grid(outer), kNnBlock, 0, current_stream(), gip, g, y,
                    outer, d, log);
    else
      launch_kernel(softmax_backward_inner_kernel<scalar_t>, nn_grid(outer * inner), kNnBlock, 0, current_stream(), gip,
                    g, y, outer, d, inner, log);
  });
}

}  // namespace pe::cuda
