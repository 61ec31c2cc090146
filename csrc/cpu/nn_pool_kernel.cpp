// CPU 2-D pooling kernels over (planes, H, W) contiguous tensors, threaded over planes. Window
// rules follow PyTorch's CPU kernels exactly (max: NaN wins, first maximum kept; avg: the divisor
// counts padding up to the padded border when count_include_pad; adaptive: [floor(i*I/O),
// ceil((i+1)*I/O))), so values and indices match.
#include <cmath>
#include <limits>
#include <type_traits>

#include "cpu/nn_kernel_util.h"
#include "ops/nn_stubs.h"

namespace pe::cpu {
namespace {

template <class T>
void max_pool_impl(const Pool2dGeom& g, T* out, int64_t* ind, const T* in) {
  const int64_t plane_out = g.oh * g.ow;
  parallel_for(0, g.planes, nn_grain(plane_out * g.kh * g.kw), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      const T* x = in + p * g.ih * g.iw;
      T* y = out + p * plane_out;
      int64_t* yi = ind + p * plane_out;
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        int64_t h0 = oh * g.sh - g.ph;
        int64_t h1 = std::min(h0 + (g.kh - 1) * g.dh + 1, g.ih);
        while (h0 < 0) h0 += g.dh;
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          int64_t w0 = ow * g.sw - g.pw;
          int64_t w1 = std::min(w0 + (g.kw - 1) * g.dw + 1, g.iw);
          while (w0 < 0) w0 += g.dw;
          T best = std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                        : std::numeric_limits<T>::lowest();
          int64_t best_i = h0 * g.iw + w0;
          for (int64_t h = h0; h < h1; h += g.dh)
            for (int64_t w = w0; w < w1; w += g.dw) {
              T v = x[h * g.iw + w];
              if (v > best || v != v) {  // NaN wins (v != v only for floats)
                best = v;
                best_i = h * g.iw + w;
              }
            }
          y[oh * g.ow + ow] = best;
          yi[oh * g.ow + ow] = best_i;
        }
      }
    }
  });
}

template <class T>
void max_pool_backward_impl(const Pool2dGeom& g, T* gi, const T* go, const int64_t* ind) {
  const int64_t plane_out = g.oh * g.ow;
  parallel_for(0, g.planes, nn_grain(plane_out), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      T* x = gi + p * g.ih * g.iw;
      for (int64_t i = 0; i < plane_out; ++i) x[ind[p * plane_out + i]] += go[p * plane_out + i];
    }
  });
}

// The window of output (oh, ow) clipped to the input, and its divisor (PyTorch's avg_pool2d rule).
struct AvgWindow {
  int64_t h0, h1, w0, w1, divisor;
};
inline AvgWindow avg_window(const Pool2dGeom& g, int64_t oh, int64_t ow) {
  int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
  int64_t h1 = std::min(h0 + g.kh, g.ih + g.ph), w1 = std::min(w0 + g.kw, g.iw + g.pw);
  int64_t pool_size = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0), w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, g.ih), w1 = std::min(w1, g.iw);
  int64_t div = g.divisor ? g.divisor : g.count_include_pad ? pool_size : (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, div};
}

template <class T>
void avg_pool_impl(const Pool2dGeom& g, T* out, const T* in) {
  const int64_t plane_out = g.oh * g.ow;
  parallel_for(0, g.planes, nn_grain(plane_out * g.kh * g.kw), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      const T* x = in + p * g.ih * g.iw;
      T* y = out + p * plane_out;
      for (int64_t oh = 0; oh < g.oh; ++oh)
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          AvgWindow wd = avg_window(g, oh, ow);
          if (wd.h0 >= wd.h1 || wd.w0 >= wd.w1) {
            y[oh * g.ow + ow] = T(0);
            continue;
          }
          T sum = 0;
          for (int64_t h = wd.h0; h < wd.h1; ++h)
            for (int64_t w = wd.w0; w < wd.w1; ++w) sum += x[h * g.iw + w];
          y[oh * g.ow + ow] = sum / T(wd.divisor);
        }
    }
  });
}

template <class T>
void avg_pool_backward_impl(const Pool2dGeom& g, T* gi, const T* go) {
  const int64_t plane_out = g.oh * g.ow;
  parallel_for(0, g.planes, nn_grain(plane_out * g.kh * g.kw), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      T* x = gi + p * g.ih * g.iw;
      const T* y = go + p * plane_out;
      for (int64_t oh = 0; oh < g.oh; ++oh)
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          AvgWindow wd = avg_window(g, oh, ow);
          if (wd.h0 >= wd.h1 || wd.w0 >= wd.w1) continue;
          T v = y[oh * g.ow + ow] / T(wd.divisor);
          for (int64_t h = wd.h0; h < wd.h1; ++h)
            for (int64_t w = wd.w0; w < wd.w1; ++w) x[h * g.iw + w] += v;
        }
    }
  });
}

inline int64_t start_index(int64_t i, int64_t out, int64_t in) { return (i * in) / out; }
inline int64_t end_index(int64_t i, int64_t out, int64_t in) { return ((i + 1) * in + out - 1) / out; }

template <class T>
void adaptive_avg_impl(const Pool2dGeom& g, T* out, const T* in) {
  const int64_t plane_out = g.oh * g.ow;
  parallel_for(0, g.planes, nn_grain(g.ih * g.iw), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      const T* x = in + p * g.ih * g.iw;
      T* y = out + p * plane_out;
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        int64_t h0 = start_index(oh, g.oh, g.ih), h1 = end_index(oh, g.oh, g.ih);
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          int64_t w0 = start_index(ow, g.ow, g.iw), w1 = end_index(ow, g.ow, g.iw);
          T sum = 0;
          for (int64_t h = h0; h < h1; ++h)
            for (int64_t w = w0; w < w1; ++w) sum += x[h * g.iw + w];
          y[oh * g.ow + ow] = sum / T((h1 - h0) * (w1 - w0));
        }
      }
    }
  });
}

template <class T>
void adaptive_avg_backward_impl(const Pool2dGeom& g, T* gi, const T* go) {
  const int64_t plane_out = g.oh * g.ow;
  parallel_for(0, g.planes, nn_grain(g.ih * g.iw), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      T* x = gi + p * g.ih * g.iw;
      const T* y = go + p * plane_out;
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        int64_t h0 = start_index(oh, g.oh, g.ih), h1 = end_index(oh, g.oh, g.ih);
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          int64_t w0 = start_index(ow, g.ow, g.iw), w1 = end_index(ow, g.ow, g.iw);
          T v = y[oh * g.ow + ow] / T((h1 - h0) * (w1 - w0));
          for (int64_t h = h0; h < h1; ++h)
            for (int64_t w = w0; w < w1; ++w) x[h * g.iw + w] += v;
        }
      }
    }
  });
}

void max_pool2d_kernel(const Pool2dGeom& g, const Tensor& out, const Tensor& indices, const Tensor& input) {
  auto run = [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    max_pool_impl(g, out.data_ptr<T>(), indices.data_ptr<int64_t>(), input.data_ptr<T>());
  };
  switch (input.dtype()) {  // integers too: PyTorch's max_pool2d takes every real dtype but bool
    case DType::UInt8: return run((uint8_t*)nullptr);
    case DType::Int8: return run((int8_t*)nullptr);
    case DType::Int16: return run((int16_t*)nullptr);
    case DType::Int32: return run((int32_t*)nullptr);
    case DType::Int64: return run((int64_t*)nullptr);
    default: break;
  }
  PE_DISPATCH_NN_FLOAT(input.dtype(), "max_pool2d", [&] {
    max_pool_impl(g, out.data_ptr<scalar_t>(), indices.data_ptr<int64_t>(), input.data_ptr<scalar_t>());
  });
}
void max_pool2d_backward_kernel(const Pool2dGeom& g, const Tensor& gi, const Tensor& go, const Tensor& indices) {
  PE_DISPATCH_NN_FLOAT(gi.dtype(), "max_pool2d_backward", [&] {
    max_pool_backward_impl(g, gi.data_ptr<scalar_t>(), go.data_ptr<scalar_t>(), indices.data_ptr<int64_t>());
  });
}
void avg_pool2d_kernel(const Pool2dGeom& g, const Tensor& out, const Tensor& input) {
  PE_DISPATCH_NN_FLOAT(input.dtype(), "avg_pool2d",
                       [&] { avg_pool_impl(g, out.data_ptr<scalar_t>(), input.data_ptr<scalar_t>()); });
}
void avg_pool2d_backward_kernel(const Pool2dGeom& g, const Tensor& gi, const Tensor& go) {
  PE_DISPATCH_NN_FLOAT(gi.dtype(), "avg_pool2d_backward",
                       [&] { avg_pool_backward_impl(g, gi.data_ptr<scalar_t>(), go.data_ptr<scalar_t>()); });
}
void adaptive_avg_pool2d_kernel(const Pool2dGeom& g, const Tensor& out, const Tensor& input) {
  PE_DISPATCH_NN_FLOAT(input.dtype(), "adaptive_avg_pool2d",
                       [&] { adaptive_avg_impl(g, out.data_ptr<scalar_t>(), input.data_ptr<scalar_t>()); });
}
void adaptive_avg_pool2d_backward_kernel(const Pool2dGeom& g, const Tensor& gi, const Tensor& go) {
  PE_DISPATCH_NN_FLOAT(gi.dtype(), "adaptive_avg_pool2d_backward",
                       [&] { adaptive_avg_backward_impl(g, gi.data_ptr<scalar_t>(), go.data_ptr<scalar_t>()); });
}

PE_REGISTER_KERNEL(max_pool2d_stub, CPU, &max_pool2d_kernel);
PE_REGISTER_KERNEL(max_pool2d_backward_stub, CPU, &max_pool2d_backward_kernel);
PE_REGISTER_KERNEL(avg_pool2d_stub, CPU, &avg_pool2d_kernel);
PE_REGISTER_KERNEL(avg_pool2d_backward_stub, CPU, &avg_pool2d_backward_kernel);
PE_REGISTER_KERNEL(adaptive_avg_pool2d_stub, CPU, &adaptive_avg_pool2d_kernel);
PE_REGISTER_KERNEL(adaptive_avg_pool2d_backward_stub, CPU, &adaptive_avg_pool2d_backward_kernel);

}  // namespace
}  // namespace pe::cpu
