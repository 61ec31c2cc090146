// CUDA 2-D pooling over (planes, H, W) contiguous tensors, with the window rules of the CPU kernels
// (cpu/nn_pool_kernel.cpp: max keeps the first maximum and lets NaN win; avg's divisor counts padding
// up to the padded border when count_include_pad; adaptive windows [floor(i*I/O), ceil((i+1)*I/O))),
// so values and indices match. Forward: one thread per output. The avg backward ops: one thread per
// input element gathering from the outputs whose window covers it (no atomics: the same bits every
// run); max_pool2d's backward scatters through the indices.
#include "core/determinism.h"
#include "cuda/nn_kernels.h"
#include "cuda/nn_util.cuh"

namespace pe::cuda {
namespace {

template <class T>
__global__ void max_pool_kernel(T* out, int64_t* ind, const T* in, Pool2dGeom g, int64_t total) {
  PE_CUDA_GRID_LOOP(i, total) {
    const int64_t ow = i % g.ow, oh = (i / g.ow) % g.oh, p = i / (g.ow * g.oh);
    const T* x = in + p * g.ih * g.iw;
    int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
    const int64_t h1 = dmin<int64_t>(h0 + (g.kh - 1) * g.dh + 1, g.ih), w1 = dmin<int64_t>(w0 + (g.kw - 1) * g.dw + 1, g.iw);
    while (h0 < 0) h0 += g.dh;
    while (w0 < 0) w0 += g.dw;
    T best = lowest_value<T>();
    int64_t best_i = h0 * g.iw + w0;
    for (int64_t h = h0; h < h1; h += g.dh)
      for (int64_t w = w0; w < w1; w += g.dw) {
        const T v = x[h * g.iw + w];
        if (v > best || v != v) {
          best = v;
          best_i = h * g.iw + w;
        }
      }
    out[i] = best;
    ind[i] = best_i;
  }
}

// The outputs [lo, hi) along one dim whose window (start o * s - p, taps at + t * d, t < k) can
// cover input position x (the taps are checked by the caller).
__device__ __forceinline__ void covering(int64_t x, int64_t k, int64_t s, int64_t p, int64_t d, int64_t out,
                                         int64_t& lo, int64_t& hi) {
  const int64_t span = (k - 1) * d + 1;
  lo = x + p < span ? 0 : (x + p - span) / s + 1;
  hi = dmin<int64_t>((x + p) / s + 1, out);
}

// gi[plane][ind[o]] += go[o] for every output o. The op layer gives the backward only the indices, not
// the window, so this one scatters: atomic adds, which meet only where windows overlap and one
// input is the maximum of several (the sum's order may then vary in the last bit).
template <class T>
__global__ void max_pool_backward_kernel(T* gi, const T* go, const int64_t* ind, Pool2dGeom g, int64_t total) {
  PE_CUDA_GRID_LOOP(o, total) {
    const int64_t p = o / (g.oh * g.ow);
    atomicAdd(gi + p * g.ih * g.iw + ind[o], go[o]);
  }
}

struct AvgWindow {
  int64_t h0, h1, w0, w1, divisor;
};
__device__ __forceinline__ AvgWindow avg_window(const Pool2dGeom& g, int64_t oh, int64_t ow) {
  int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
  int64_t h1 = dmin<int64_t>(h0 + g.kh, g.ih + g.ph), w1 = dmin<int64_t>(w0 + g.kw, g.iw + g.pw);
  const int64_t pool_size = (h1 - h0) * (w1 - w0);
  h0 = dmax<int64_t>(h0, 0), w0 = dmax<int64_t>(w0, 0);
  h1 = dmin<int64_t>(h1, g.ih), w1 = dmin<int64_t>(w1, g.iw);
  const int64_t div = g.divisor ? g.divisor : g.count_include_pad ? pool_size : (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, div};
}

template <class T>
__global__ void avg_pool_kernel(T* out, const T* in, Pool2dGeom g, int64_t total) {
  PE_CUDA_GRID_LOOP(i, total) {
    const int64_t ow = i % g.ow, oh = (i / g.ow) % g.oh, p = i / (g.ow * g.oh);
    const T* x = in + p * g.ih * g.iw;
    const AvgWindow wd = avg_window(g, oh, ow);
    if (wd.h0 >= wd.h1 || wd.w0 >= wd.w1) {
      out[i] = T(0);
      continue;
    }
    T sum = T(0);
    for (int64_t h = wd.h0; h < wd.h1; ++h)
      for (int64_t w = wd.w0; w < wd.w1; ++w) sum += x[h * g.iw + w];
    out[i] = sum / T(wd.divisor);
  }
}

template <class T>
__global__ void avg_pool_backward_kernel(T* gi, const T* go, Pool2dGeom g, int64_t total) {
  PE_CUDA_GRID_LOOP(i, total) {
    const int64_t iw = i % g.iw, ih = (i / g.iw) % g.ih, p = i / (g.iw * g.ih);
    int64_t oh0, oh1, ow0, ow1;
    covering(ih, g.kh, g.sh, g.ph, 1, g.oh, oh0, oh1);
    covering(iw, g.kw, g.sw, g.pw, 1, g.ow, ow0, ow1);
    const T* y = go + p * g.oh * g.ow;
    T sum = T(0);
    for (int64_t oh = oh0; oh < oh1; ++oh)
      for (int64_t ow = ow0; ow < ow1; ++ow) {
        const AvgWindow wd = avg_window(g, oh, ow);
        if (ih >= wd.h0 && ih < wd.h1 && iw >= wd.w0 && iw < wd.w1) sum += y[oh * g.ow + ow] / T(wd.divisor);
      }
    gi[i] = sum;
  }
}

__device__ __forceinline__ int64_t start_index(int64_t i, int64_t out, int64_t in) { return (i * in) / out; }
__device__ __forceinline__ int64_t end_index(int64_t i, int64_t out, int64_t in) {
  return ((i + 1) * in + out - 1) / out;
}

template <class T>
__global__ void adaptive_avg_kernel(T* out, const T* in, Pool2dGeom g, int64_t total) {
  PE_CUDA_GRID_LOOP(i, total) {
    const int64_t ow = i % g.ow, oh = (i / g.ow) % g.oh, p = i / (g.ow * g.oh);
    const T* x = in + p * g.ih * g.iw;
    const int64_t h0 = start_index(oh, g.oh, g.ih), h1 = end_index(oh, g.oh, g.ih);
    const int64_t w0 = start_index(ow, g.ow, g.iw), w1 = end_index(ow, g.ow, g.iw);
    T sum = T(0);
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w) sum += x[h * g.iw + w];
    out[i] = sum / T((h1 - h0) * (w1 - w0));
  }
}

template <class T>
__global__ void adaptive_avg_backward_kernel(T* gi, const T* go, Pool2dGeom g, int64_t total) {
  PE_CUDA_GRID_LOOP(i, total) {
    const int64_t iw = i % g.iw, ih = (i / g.iw) % g.ih, p = i / (g.iw * g.ih);
    // Outputs whose window can hold ih: from the one starting at or before it to the one ending after.
    const int64_t oh0 = (ih * g.oh) / g.ih, oh1 = dmin<int64_t>(((ih + 1) * g.oh + g.ih - 1) / g.ih, g.oh);
    const int64_t ow0 = (iw * g.ow) / g.iw, ow1 = dmin<int64_t>(((iw + 1) * g.ow + g.iw - 1) / g.iw, g.ow);
    const T* y = go + p * g.oh * g.ow;
    T sum = T(0);
    for (int64_t oh = oh0; oh < oh1; ++oh) {
      const int64_t h0 = start_index(oh, g.oh, g.ih), h1 = end_index(oh, g.oh, g.ih);
      if (ih < h0 || ih >= h1) continue;
      for (int64_t ow = ow0; ow < ow1; ++ow) {
        const int64_t w0 = start_index(ow, g.ow, g.iw), w1 = end_index(ow, g.ow, g.iw);
        if (iw < w0 || iw >= w1) continue;
        sum += y[oh * g.ow + ow] / T((h1 - h0) * (w1 - w0));
      }
    }
    gi[i] = sum;
  }
}

template <class T>
T* ptr(const Tensor& t) {
  return static_cast<T*>(t.raw_data());
}

template <class K, class... Args>
void launch_over(K kernel, int64_t total, Args... args) {
  if (total == 0) return;
  launch_kernel(kernel, nn_grid(total), kNnBlock, 0, current_stream(), args..., total);
}

}  // namespace

void max_pool2d_kernel(const Pool2dGeom& g, const Tensor& out, const Tensor& indices, const Tensor& input) {
  DeviceGuard guard(input.device().index);
  const int64_t total = out.numel();
  auto run = [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    launch_over(max_pool_kernel<T>, total, ptr<T>(out), ptr<int64_t>(indices), (const T*)ptr<T>(input), g);
  };
  switch (input.dtype()) {  // integers too, as the CPU kernel (PyTorch's max_pool2d takes every real dtype)
    case DType::UInt8: return run((uint8_t*)nullptr);
    case DType::Int8: return run((int8_t*)nullptr);
    case DType::Int16: return run((int16_t*)nullptr);
    case DType::Int32: return run((int32_t*)nullptr);
    case DType::Int64: return run((int64_t*)nullptr);
    case DType::Float32: return run((float*)nullptr);
    case DType::Float64: return run((double*)nullptr);
    default: break;
  }
  throw NotImplementedError(str("\"max_pool2d\" not implemented for '", dtype_name(input.dtype()), "'"));
}

void max_pool2d_backward_kernel(const Pool2dGeom& g, const Tensor& gi, const Tensor& go, const Tensor& indices) {
  DeviceGuard guard(gi.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(gi.dtype(), "max_pool2d_backward", [&] {
    if (DeterministicAlgorithms::enabled()) {
      // One thread over the outputs in order: the sums where windows overlap come out in a fixed order
      // (Note [Deterministic algorithms], core/determinism.h).
      if (go.numel() == 0) return;
      launch_kernel(max_pool_backward_kernel<scalar_t>, 1, 1, 0, current_stream(), ptr<scalar_t>(gi),
                    (const scalar_t*)ptr<scalar_t>(go), (const int64_t*)ptr<int64_t>(indices), g, go.numel());
      return;
    }
    launch_over(max_pool_backward_kernel<scalar_t>, go.numel(), ptr<scalar_t>(gi), (const scalar_t*)ptr<scalar_t>(go),
                (const int64_t*)ptr<int64_t>(indices), g);
  });
}

void avg_pool2d_kernel(const Pool2dGeom& g, const Tensor& out, const Tensor& input) {
  DeviceGuard guard(input.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(input.dtype(), "avg_pool2d", [&] {
    launch_over(avg_pool_kernel<scalar_t>, out.numel(), ptr<scalar_t>(out), (const scalar_t*)ptr<scalar_t>(input), g);
  });
}

void avg_pool2d_backward_kernel(const Pool2dGeom& g, const Tensor& gi, const Tensor& go) {
  DeviceGuard guard(gi.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(gi.dtype(), "avg_pool2d_backward", [&] {
    launch_over(avg_pool_backward_kernel<scalar_t>, gi.numel(), ptr<scalar_t>(gi), (const scalar_t*)ptr<scalar_t>(go),
                g);
  });
}

void adaptive_avg_pool2d_kernel(const Pool2dGeom& g, const Tensor& out, const Tensor& input) {
  DeviceGuard guard(input.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(input.dtype(), "adaptive_avg_pool2d", [&] {
    launch_over(adaptive_avg_kernel<scalar_t>, out.numel(), ptr<scalar_t>(out), (const scalar_t*)ptr<scalar_t>(input),
                g);
  });
}

void adaptive_avg_pool2d_backward_kernel(const Pool2dGeom& g, const Tensor& gi, const Tensor& go) {
  DeviceGuard guard(gi.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(gi.dtype(), "adaptive_avg_pool2d_backward", [&] {
    launch_over(adaptive_avg_backward_kernel<scalar_t>, gi.numel(), ptr<scalar_t>(gi),
                (const scalar_t*)ptr<scalar_t>(go), g);
  });
}

}  // namespace pe::cuda
