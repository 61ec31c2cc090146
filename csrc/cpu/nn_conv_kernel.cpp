// CPU conv2d (forward, input gradient, weight gradient, bias gradient) and linear: im2col/col2im
// around our GEMM (cpu/gemm.h). Samples of a batch run in parallel, each thread with its own column
// buffer; a 1x1 stride-1 unpadded convolution skips im2col (the input already is the column matrix).
// The weight gradient sums per-thread partial gradients at the end. Stride-1 convolutions with few
// channels take the direct kernels of cpu/nn_conv_direct.cpp instead.
#include <omp.h>

#include <cstring>
#include <memory>
#include <vector>

#include "cpu/gemm.h"
#include "cpu/nn_conv_direct.h"
#include "cpu/nn_kernel_util.h"
#include "ops/nn_stubs.h"

namespace pe::cpu {
namespace {

struct ConvDims {
  int64_t cg, og, K, L;  // channels per group, outputs per group, column rows, column width
  bool direct;           // the input is its own column matrix
};

ConvDims dims_of(const Conv2dGeom& g) {
  ConvDims d;
  d.cg = g.c / g.groups;
  d.og = g.o / g.groups;
  d.K = d.cg * g.kh * g.kw;
  d.L = g.oh * g.ow;
  d.direct = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0;
  return d;
}

// The output columns [lo, hi) whose input column ow * sw + off lies inside [0, w).
inline void valid_range(int64_t off, int64_t stride, int64_t w, int64_t out, int64_t* lo, int64_t* hi) {
  int64_t l = off >= 0 ? 0 : (-off + stride - 1) / stride;
  int64_t h = off > w - 1 ? 0 : (w - 1 - off) / stride + 1;
  *lo = std::min(l, out);
  *hi = std::max(*lo, std::min(h, out));
}

// x (c, h, w) -> col (c * kh * kw, oh * ow); ADD = false writes col, ADD = true is col2im (x += col).
template <bool ADD, class T>
void im2col_impl(const Conv2dGeom& g, int64_t c, T* x, T* col) {
  const int64_t L = g.oh * g.ow;
  for (int64_t ci = 0; ci < c; ++ci) {
    T* xc = x + ci * g.h * g.w;
    for (int64_t ki = 0; ki < g.kh; ++ki)
      for (int64_t kj = 0; kj < g.kw; ++kj) {
        T* row = col + ((ci * g.kh + ki) * g.kw + kj) * L;
        const int64_t woff = kj * g.dw - g.pw;
        int64_t lo, hi;
        valid_range(woff, g.sw, g.w, g.ow, &lo, &hi);
        for (int64_t oh = 0; oh < g.oh; ++oh) {
          T* r = row + oh * g.ow;
          const int64_t ih = oh * g.sh - g.ph + ki * g.dh;
          if (ih < 0 || ih >= g.h) {
            if (!ADD) std::fill(r, r + g.ow, T(0));
            continue;
          }
          T* src = xc + ih * g.w + woff;
          if (ADD) {
            for (int64_t ow = lo; ow < hi; ++ow) src[ow * g.sw] += r[ow];
          } else {
            std::fill(r, r + lo, T(0));
            if (g.sw == 1) std::memcpy(r + lo, src + lo, sizeof(T) * (hi - lo));
            else for (int64_t ow = lo; ow < hi; ++ow) r[ow] = src[ow * g.sw];
            std::fill(r + hi, r + g.ow, T(0));
          }
        }
      }
  }
}

// Runs f(sample, column_buffer, thread) for every sample: in parallel over samples when there are
// at least two, else serially (the GEMM then threads internally).
template <class T, class F>
int for_each_sample(int64_t n, int64_t col_size, const F& f) {
  int nt = (int)std::min<int64_t>(get_num_threads(), n);
  if (nt <= 1 || omp_in_parallel()) {
    std::unique_ptr<T[]> col(new T[std::max<int64_t>(col_size, 1)]);
    for (int64_t i = 0; i < n; ++i) f(i, col.get(), 0);
    return 1;
  }
#pragma omp parallel num_threads(nt)
  {
    std::unique_ptr<T[]> col(new T[std::max<int64_t>(col_size, 1)]);
    const int tid = omp_get_thread_num(), threads = omp_get_num_threads();
    const int64_t chunk = (n + threads - 1) / threads;
    for (int64_t i = tid * chunk; i < std::min(n, (tid + 1) * chunk); ++i) f(i, col.get(), tid);
  }
  return nt;
}

template <class T>
void conv_forward(const Conv2dGeom& g, T* out, const T* x, const T* w, const T* b) {
  const ConvDims d = dims_of(g);
  for_each_sample<T>(g.n, d.direct ? 0 : d.K * d.L, [&](int64_t n, T* col, int) {
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      T* xs = const_cast<T*>(x) + (n * g.c + grp * d.cg) * g.h * g.w;
      if (!d.direct) im2col_impl<false>(g, d.cg, xs, col);
      T* y = out + (n * g.o + grp * d.og) * d.L;
      if (b)
        for (int64_t oc = 0; oc < d.og; ++oc) std::fill(y + oc * d.L, y + (oc + 1) * d.L, b[grp * d.og + oc]);
      gemm<T>(false, false, d.og, d.L, d.K, T(1), w + grp * d.og * d.K, d.K, d.direct ? xs : col, d.L,
              b ? T(1) : T(0), y, d.L);
    }
  });
}

template <class T>
void conv_backward_input(const Conv2dGeom& g, T* gi, const T* go, const T* w) {
  const ConvDims d = dims_of(g);
  for_each_sample<T>(g.n, d.direct ? 0 : d.K * d.L, [&](int64_t n, T* col, int) {
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      T* xs = gi + (n * g.c + grp * d.cg) * g.h * g.w;
      const T* gy = go + (n * g.o + grp * d.og) * d.L;
      if (d.direct) {
        gemm<T>(true, false, d.K, d.L, d.og, T(1), w + grp * d.og * d.K, d.K, gy, d.L, T(0), xs, d.L);
        continue;
      }
      gemm<T>(true, false, d.K, d.L, d.og, T(1), w + grp * d.og * d.K, d.K, gy, d.L, T(0), col, d.L);
      std::fill(xs, xs + d.cg * g.h * g.w, T(0));
      im2col_impl<true>(g, d.cg, xs, col);
    }
  });
}

template <class T>
void conv_backward_weight(const Conv2dGeom& g, T* gw, const T* go, const T* x) {
  const ConvDims d = dims_of(g);
  const int64_t wsize = g.o * d.K;
  const int nt = (int)std::max<int64_t>(1, std::min<int64_t>(get_num_threads(), g.n));
  // Thread 0 accumulates straight into gw; the others into partial buffers summed at the end.
  std::vector<std::vector<T>> partial(nt - 1);
  std::fill(gw, gw + wsize, T(0));
  int used = for_each_sample<T>(g.n, d.direct ? 0 : d.K * d.L, [&](int64_t n, T* col, int tid) {
    T* acc = gw;
    if (tid > 0) {
      auto& p = partial[tid - 1];
      if (p.empty()) p.assign(wsize, T(0));
      acc = p.data();
    }
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      T* xs = const_cast<T*>(x) + (n * g.c + grp * d.cg) * g.h * g.w;
      if (!d.direct) im2col_impl<false>(g, d.cg, xs, col);
      gemm<T>(false, true, d.og, d.K, d.L, T(1), go + (n * g.o + grp * d.og) * d.L, d.L, d.direct ? xs : col, d.L,
              T(1), acc + grp * d.og * d.K, d.K);
    }
  });
  for (int t = 0; t + 1 < used; ++t)
    if (!partial[t].empty())
      for (int64_t i = 0; i < wsize; ++i) gw[i] += partial[t][i];
}

template <class T>
void channel_sum_impl(T* out, const T* go, int64_t n, int64_t c, int64_t l) {
  parallel_for(0, c, nn_grain(n * l), [&](int64_t b, int64_t e) {
    for (int64_t ch = b; ch < e; ++ch) {
      double s = 0;
      for (int64_t i = 0; i < n; ++i) {
        const T* p = go + (i * c + ch) * l;
        T part[8] = {};  // 8 independent sums so the loop vectorizes without reassociation flags
        int64_t j = 0;
        for (; j + 8 <= l; j += 8)
          for (int u = 0; u < 8; ++u) part[u] += p[j + u];
        for (; j < l; ++j) part[0] += p[j];
        s += ((part[0] + part[4]) + (part[1] + part[5])) + ((part[2] + part[6]) + (part[3] + part[7]));
      }
      out[ch] = T(s);
    }
  });
}

void conv2d_kernel(const Conv2dGeom& g, const Tensor& out, const Tensor& x, const Tensor& w, const Tensor& b) {
  PE_DISPATCH_NN_FLOAT(x.dtype(), "conv2d", [&] {
    if (direct_conv_fits(g))
      return direct_conv_forward(g, out.data_ptr<scalar_t>(), x.data_ptr<scalar_t>(), w.data_ptr<scalar_t>(),
                                 b.defined() ? b.data_ptr<scalar_t>() : nullptr);
    conv_forward(g, out.data_ptr<scalar_t>(), x.data_ptr<scalar_t>(), w.data_ptr<scalar_t>(),
                 b.defined() ? b.data_ptr<scalar_t>() : nullptr);
  });
}
void conv2d_backward_input_kernel(const Conv2dGeom& g, const Tensor& gi, const Tensor& go, const Tensor& w) {
  PE_DISPATCH_NN_FLOAT(w.dtype(), "conv2d_backward_input", [&] {
    if (direct_conv_backward_input_fits(g))
      return direct_conv_backward_input(g, gi.data_ptr<scalar_t>(), go.data_ptr<scalar_t>(), w.data_ptr<scalar_t>());
    conv_backward_input(g, gi.data_ptr<scalar_t>(), go.data_ptr<scalar_t>(), w.data_ptr<scalar_t>());
  });
}
void conv2d_backward_weight_kernel(const Conv2dGeom& g, const Tensor& gw, const Tensor& go, const Tensor& x) {
  PE_DISPATCH_NN_FLOAT(x.dtype(), "conv2d_backward_weight", [&] {
    if (direct_conv_fits(g) &&
        direct_conv_backward_weight(g, gw.data_ptr<scalar_t>(), go.data_ptr<scalar_t>(), x.data_ptr<scalar_t>()))
      return;
    conv_backward_weight(g, gw.data_ptr<scalar_t>(), go.data_ptr<scalar_t>(), x.data_ptr<scalar_t>());
  });
}
void channel_sum_kernel(const Tensor& out, const Tensor& go, int64_t n, int64_t c, int64_t l) {
  PE_DISPATCH_NN_FLOAT(go.dtype(), "conv2d_backward_bias",
                       [&] { channel_sum_impl(out.data_ptr<scalar_t>(), go.data_ptr<scalar_t>(), n, c, l); });
}
void linear_kernel(const Tensor& out, const Tensor& x, const Tensor& w, const Tensor& bias, int64_t m, int64_t n,
                   int64_t k) {
  PE_DISPATCH_NN_FLOAT(x.dtype(), "linear", [&] {
    scalar_t* y = out.data_ptr<scalar_t>();
    if (bias.defined()) {
      const scalar_t* b = bias.data_ptr<scalar_t>();
      for (int64_t i = 0; i < m; ++i) std::memcpy(y + i * n, b, sizeof(scalar_t) * n);
    }
    gemm<scalar_t>(false, true, m, n, k, scalar_t(1), x.data_ptr<scalar_t>(), k, w.data_ptr<scalar_t>(), k,
                   bias.defined() ? scalar_t(1) : scalar_t(0), y, n);
  });
}

PE_REGISTER_KERNEL(conv2d_stub, CPU, &conv2d_kernel);
PE_REGISTER_KERNEL(conv2d_backward_input_stub, CPU, &conv2d_backward_input_kernel);
PE_REGISTER_KERNEL(conv2d_backward_weight_stub, CPU, &conv2d_backward_weight_kernel);
PE_REGISTER_KERNEL(channel_sum_stub, CPU, &channel_sum_kernel);
PE_REGISTER_KERNEL(linear_stub, CPU, &linear_kernel);

}  // namespace
}  // namespace pe::cpu
