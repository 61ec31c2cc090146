// CUDA conv2d (forward, input gradient, weight gradient, bias gradient) and linear: im2col/col2im
// kernels on the device around our GEMM (gemm.cuh). Samples are processed in chunks whose column
// matrices fit a bounded buffer; each GEMM call covers a whole chunk (the samples are its batch, or,
// for the weight gradient, its summed products, added in sample order: deterministic). A 1x1
// stride-1 unpadded convolution skips im2col (the input already is the column matrix).
// col2im gathers (one thread per input element sums the column entries that read it), so the input
// gradient needs no atomics and no zero fill.
#include "core/matmul_precision.h"
#include "cuda/gemm.cuh"
#include "cuda/nn_kernels.h"
#include "cuda/nn_util.cuh"
#include "ops/ops.h"

namespace pe::cuda {
namespace {

constexpr int64_t kColBudget = int64_t(1) << 24;  // elements of one chunk's column buffer

struct ConvDims {
  int64_t cg, og, K, L;  // channels per group, outputs per group, column rows per group, column width
  int64_t col_sample;    // column elements of one sample (all groups): c * kh * kw * L
  bool direct;           // the input is its own column matrix
};

ConvDims dims_of(const Conv2dGeom& g) {
  ConvDims d;
  d.cg = g.c / g.groups;
  d.og = g.o / g.groups;
  d.K = d.cg * g.kh * g.kw;
  d.L = g.oh * g.ow;
  d.col_sample = g.c * g.kh * g.kw * d.L;
  d.direct = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0;
  return d;
}

int64_t chunk_of(const Conv2dGeom& g, const ConvDims& d) {
  return d.direct ? g.n : std::max<int64_t>(1, std::min<int64_t>(g.n, kColBudget / std::max<int64_t>(d.col_sample, 1)));
}

// col (ns, c * kh * kw, oh * ow) from x (ns, c, h, w): one thread per column element.
template <class T>
__global__ void im2col_kernel(T* col, const T* x, Conv2dGeom g, int64_t total) {
  PE_CUDA_GRID_LOOP(i, total) {
    int64_t r = i;
    const int64_t ow = r % g.ow;
    r /= g.ow;
    const int64_t oh = r % g.oh;
    r /= g.oh;
    const int64_t kj = r % g.kw;
    r /= g.kw;
    const int64_t ki = r % g.kh;
    r /= g.kh;  // r = sample * c + channel
    const int64_t ih = oh * g.sh - g.ph + ki * g.dh, iw = ow * g.sw - g.pw + kj * g.dw;
    col[i] = (ih >= 0 && ih < g.h && iw >= 0 && iw < g.w) ? x[(r * g.h + ih) * g.w + iw] : T(0);
  }
}

// x (ns, c, h, w) = the sum of the column entries that im2col took from each element.
template <class T>
__global__ void col2im_kernel(T* x, const T* col, Conv2dGeom g, int64_t total) {
  const int64_t L = g.oh * g.ow;
  PE_CUDA_GRID_LOOP(i, total) {
    int64_t r = i;
    const int64_t iw = r % g.w;
    r /= g.w;
    const int64_t ih = r % g.h;
    r /= g.h;  // r = sample * c + channel
    const T* cc = col + r * g.kh * g.kw * L;
    T sum = T(0);
    for (int64_t ki = 0; ki < g.kh; ++ki) {
      const int64_t hh = ih + g.ph - ki * g.dh;  // = oh * sh
      if (hh < 0 || hh % g.sh != 0 || hh / g.sh >= g.oh) continue;
      const int64_t oh = hh / g.sh;
      for (int64_t kj = 0; kj < g.kw; ++kj) {
        const int64_t ww = iw + g.pw - kj * g.dw;
        if (ww < 0 || ww % g.sw != 0 || ww / g.sw >= g.ow) continue;
        sum += cc[(ki * g.kw + kj) * L + oh * g.ow + ww / g.sw];
      }
    }
    x[i] = sum;
  }
}

template <class T>
void im2col(const Conv2dGeom& g, T* col, const T* x, int64_t ns) {
  const int64_t total = ns * g.c * g.kh * g.kw * g.oh * g.ow;
  launch_kernel(im2col_kernel<T>, nn_grid(total), kNnBlock, 0, current_stream(), col, x, g, total);
}

template <class T>
void col2im(const Conv2dGeom& g, T* x, const T* col, int64_t ns) {
  const int64_t total = ns * g.c * g.h * g.w;
  launch_kernel(col2im_kernel<T>, nn_grid(total), kNnBlock, 0, current_stream(), x, col, g, total);
}

Tensor col_buffer(const Conv2dGeom& g, const ConvDims& d, int64_t chunk, DType dt, Device dev) {
  return d.direct ? Tensor() : make_empty({chunk * d.col_sample}, dt, dev);
}

template <class T>
void conv_forward(const Conv2dGeom& g, const Tensor& out_t, const Tensor& x_t, const Tensor& w_t, const Tensor& b_t) {
  const ConvDims d = dims_of(g);
  const int64_t chunk = chunk_of(g, d);
  Tensor col_t = col_buffer(g, d, chunk, x_t.dtype(), x_t.device());
  T* out = static_cast<T*>(out_t.raw_data());
  const T* x = static_cast<const T*>(x_t.raw_data());
  const T* w = static_cast<const T*>(w_t.raw_data());
  const T* b = opt_ptr<T>(b_t);
  for (int64_t n0 = 0; n0 < g.n; n0 += chunk) {
    const int64_t ns = std::min(chunk, g.n - n0);
    const T* xs = x + n0 * g.c * g.h * g.w;
    T* col = d.direct ? nullptr : static_cast<T*>(col_t.raw_data());
    if (!d.direct) im2col(g, col, xs, ns);
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      GemmProblem p;  // out[n, grp] (og, L) = W[grp] (og, K) @ col[n, grp] (K, L) + bias
      p.dtype = x_t.dtype();
      p.batch = ns, p.m = d.og, p.n = d.L, p.k = d.K;
      p.a = {w + grp * d.og * d.K, d.K, 1, 0, 0};
      if (d.direct) p.b = {xs + grp * d.cg * d.L, d.L, 1, g.c * d.L, 0};
      else p.b = {col + grp * d.K * d.L, d.L, 1, d.col_sample, 0};
      p.c = out + (n0 * g.o + grp * d.og) * d.L;
      p.c_rs = d.L, p.c_cs = 1, p.c_bs = g.o * d.L;
      if (b) p.bias = b + grp * d.og, p.bias_rs = 1, p.bias_cs = 0;
      gemm(p);
    }
  }
}

template <class T>
void conv_backward_input(const Conv2dGeom& g, const Tensor& gi_t, const Tensor& go_t, const Tensor& w_t) {
  const ConvDims d = dims_of(g);
  const int64_t chunk = chunk_of(g, d);
  Tensor col_t = col_buffer(g, d, chunk, w_t.dtype(), w_t.device());
  T* gi = static_cast<T*>(gi_t.raw_data());
  const T* go = static_cast<const T*>(go_t.raw_data());
  const T* w = static_cast<const T*>(w_t.raw_data());
  for (int64_t n0 = 0; n0 < g.n; n0 += chunk) {
    const int64_t ns = std::min(chunk, g.n - n0);
    T* gis = gi + n0 * g.c * g.h * g.w;
    T* col = d.direct ? nullptr : static_cast<T*>(col_t.raw_data());
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      GemmProblem p;  // col[n, grp] (K, L) = W[grp]^T (K, og) @ gy[n, grp] (og, L)
      p.dtype = w_t.dtype();
      p.batch = ns, p.m = d.K, p.n = d.L, p.k = d.og;
      p.a = {w + grp * d.og * d.K, 1, d.K, 0, 0};
      p.b = {go + (n0 * g.o + grp * d.og) * d.L, d.L, 1, g.o * d.L, 0};
      if (d.direct) p.c = gis + grp * d.cg * d.L, p.c_bs = g.c * d.L;
      else p.c = col + grp * d.K * d.L, p.c_bs = d.col_sample;
      p.c_rs = d.L, p.c_cs = 1;
      gemm(p);
    }
    if (!d.direct) col2im(g, gis, col, ns);
  }
}

// out[i] = (accumulate ? out[i] : 0) + parts[0][i] + parts[1][i] + ... in order.
template <class T>
__global__ void sum_partials_kernel(T* out, const T* parts, int64_t nparts, int64_t size, bool accumulate) {
  PE_CUDA_GRID_LOOP(i, size) {
    T s = accumulate ? out[i] : T(0);
    for (int64_t b = 0; b < nparts; ++b) s += parts[b * size + i];
    out[i] = s;
  }
}

// The weight gradient sums one product per sample. When the gradient is only a few GEMM tiles (LeNet:
// 6x25, 16x150) one output tile would walk every sample alone, so the samples are split into
// groups of `per`, each group's sum a separate product of one batched GEMM into a workspace, and the
// group sums are then added in order (deterministic).
constexpr int64_t kWantBlocks = 128;

template <class T>
void conv_backward_weight(const Conv2dGeom& g, const Tensor& gw_t, const Tensor& go_t, const Tensor& x_t) {
  const ConvDims d = dims_of(g);
  const int64_t chunk = chunk_of(g, d);
  Tensor col_t = col_buffer(g, d, chunk, x_t.dtype(), x_t.device());
  const int64_t tiles = ((d.og + 63) / 64) * ((d.K + 63) / 64);
  const int64_t want = std::min(chunk, (kWantBlocks + tiles - 1) / tiles);  // partial sums per chunk
  const int64_t per = (chunk + want - 1) / want;                            // samples per partial sum
  Tensor ws_t = want > 1 ? make_empty({((chunk + per - 1) / per) * d.og * d.K}, x_t.dtype(), x_t.device()) : Tensor();
  T* gw = static_cast<T*>(gw_t.raw_data());
  const T* go = static_cast<const T*>(go_t.raw_data());
  const T* x = static_cast<const T*>(x_t.raw_data());
  for (int64_t n0 = 0; n0 < g.n; n0 += chunk) {
    const int64_t ns = std::min(chunk, g.n - n0);
    const T* xs = x + n0 * g.c * g.h * g.w;
    T* col = d.direct ? nullptr : static_cast<T*>(col_t.raw_data());
    if (!d.direct) im2col(g, col, xs, ns);
    const int64_t nfull = ns / per, rest = ns % per, nparts = nfull + (rest > 0 ? 1 : 0);
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      // gW[grp] (og, K) (+)= sum_n gy[n, grp] (og, L) @ col[n, grp]^T (L, K), n over `count` samples from `first`
      auto product = [&](int64_t first, int64_t batch, int64_t count, T* out, int64_t out_bs, bool accumulate) {
        const int64_t a_sample = g.o * d.L, b_sample = d.direct ? g.c * d.L : d.col_sample;
        GemmProblem p;
        p.dtype = x_t.dtype();
        p.batch = batch, p.m = d.og, p.n = d.K, p.k = d.L, p.sums = count;
        p.a = {go + ((n0 + first) * g.o + grp * d.og) * d.L, d.L, 1, count * a_sample, a_sample};
        const T* bbase = d.direct ? xs + grp * d.cg * d.L : col + grp * d.K * d.L;
        p.b = {bbase + first * b_sample, 1, d.L, count * b_sample, b_sample};
        p.c = out;
        p.c_rs = d.K, p.c_cs = 1, p.c_bs = out_bs;
        p.beta = Scalar(int64_t(accumulate ? 1 : 0));
        gemm(p);
      };
      T* gwg = gw + grp * d.og * d.K;
      if (nparts == 1) {
        product(0, 1, ns, gwg, 0, n0 > 0);
        continue;
      }
      T* ws = static_cast<T*>(ws_t.raw_data());
      const int64_t size = d.og * d.K;
      if (nfull > 0) product(0, nfull, per, ws, size, false);
      if (rest > 0) product(nfull * per, 1, rest, ws + nfull * size, 0, false);
      launch_kernel(sum_partials_kernel<T>, nn_grid(size), kNnBlock, 0, current_stream(), gwg, (const T*)ws, nparts,
                    size, n0 > 0);
    }
  }
}

// out[ch] = sum over samples and positions of go (n, c, l): one block per channel, double sums.
template <class T>
__global__ void channel_sum_kernel_impl(T* out, const T* go, int64_t n, int64_t c, int64_t l) {
  __shared__ double smem[32];
  for (int64_t ch = blockIdx.x; ch < c; ch += gridDim.x) {
    double s = 0;
    for (int64_t i = threadIdx.x; i < n * l; i += blockDim.x) s += (double)go[((i / l) * c + ch) * l + i % l];
    s = block_reduce(s, smem, SumOf());
    if (threadIdx.x == 0) out[ch] = T(s);
  }
}

}  // namespace

void conv2d_kernel(const Conv2dGeom& g, const Tensor& out, const Tensor& x, const Tensor& w, const Tensor& b) {
  DeviceGuard guard(x.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(x.dtype(), "conv2d", [&] { conv_forward<scalar_t>(g, out, x, w, b); });
}

void conv2d_backward_input_kernel(const Conv2dGeom& g, const Tensor& gi, const Tensor& go, const Tensor& w) {
  DeviceGuard guard(w.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(w.dtype(), "conv2d_backward_input", [&] { conv_backward_input<scalar_t>(g, gi, go, w); });
}

void conv2d_backward_weight_kernel(const Conv2dGeom& g, const Tensor& gw, const Tensor& go, const Tensor& x) {
  DeviceGuard guard(x.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(x.dtype(), "conv2d_backward_weight",
                            [&] { conv_backward_weight<scalar_t>(g, gw, go, x); });
}

void channel_sum_kernel(const Tensor& out, const Tensor& go, int64_t n, int64_t c, int64_t l) {
  DeviceGuard guard(go.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(go.dtype(), "conv2d_backward_bias", [&] {
    launch_kernel(channel_sum_kernel_impl<scalar_t>, (unsigned)std::min<int64_t>(c, 65535), kNnBlock, 0,
                  current_stream(), static_cast<scalar_t*>(out.raw_data()),
                  n * l == 0 ? nullptr : static_cast<const scalar_t*>(go.raw_data()), n, c, l);
  });
}

// out (m, n) = x (m, k) @ w (n, k)^T + bias (n): one GEMM with w read transposed in place.
void linear_kernel(const Tensor& out, const Tensor& x, const Tensor& w, const Tensor& bias, int64_t m, int64_t n,
                   int64_t k) {
  DeviceGuard guard(x.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(x.dtype(), "linear", [&] {
    GemmProblem p;
    p.dtype = x.dtype();
    p.tf32 = p.dtype == DType::Float32 && matmul_allow_tf32();  // F.linear is a matmul (Note [CUDA tensor-core GEMM])
    p.m = m, p.n = n, p.k = k;
    p.a = {x.raw_data(), k, 1, 0, 0};
    p.b = {w.raw_data(), 1, k, 0, 0};
    p.c = out.raw_data();
    p.c_rs = n, p.c_cs = 1;
    if (bias.defined()) p.bias = bias.raw_data(), p.bias_rs = 0, p.bias_cs = 1;
    gemm(p);
  });
}

}  // namespace pe::cuda
