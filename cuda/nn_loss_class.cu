// CUDA kernels of the class losses over (n, c, s) inputs and (n, s) int64 targets, as the CPU ones
// (cpu/nn_loss_class_kernel.cpp): sums in double, per-sample terms elementwise, reductions in one
// block with a fixed tree (deterministic). Targets are checked on the device without a host
// synchronisation, as PyTorch's device asserts (Note [Device asserts]): a target outside [0, C) is
// reported at the next synchronisation point and counted as ignored meanwhile (never read out of
// bounds). total_weight stays on the device: the backward reads it there.
#include "cuda/device_assert.cuh"
#include "cuda/nn_kernels.h"
#include "cuda/nn_util.cuh"
#include "ops/ops.h"

namespace pe::cuda {
namespace {

__global__ void target_check_kernel(const int64_t* t, int64_t count, int64_t c, int64_t ignore,
                                    DeviceAssertSlot* slot) {
  PE_CUDA_GRID_LOOP(i, count) {
    const int64_t v = t[i];
    if (v != ignore && (v < 0 || v >= c)) report_index_out_of_bounds(slot, AssertKind::NllTarget, v, c, -1);
  }
}

// Once per forward (the backward sees the same targets).
void check_targets(const ClassLossGeom& g, const Tensor& t) {
  const int64_t count = g.n * g.s;
  if (count == 0) return;
  launch_kernel(target_check_kernel, nn_grid(count), kNnBlock, 0, current_stream(), t.data_ptr<int64_t>(), count, g.c,
                g.ignore_index, device_assert_slot());
}

// A target that takes part: not ignored, and in range (a bad one was reported by check_targets).
__device__ __forceinline__ bool counted(const ClassLossGeom& g, int64_t cls) {
  return cls != g.ignore_index && cls >= 0 && cls < g.c;
}

template <class T>
__device__ __forceinline__ T weight_of(const T* w, int64_t c) {
  return w ? w[c] : T(1);
}

template <class T>
__global__ void nll_none_kernel(T* out, const T* x, const int64_t* t, const T* w, ClassLossGeom g) {
  PE_CUDA_GRID_LOOP(i, g.n * g.s) {
    const int64_t n = i / g.s, s = i % g.s, cls = t[i];
    out[i] = !counted(g, cls) ? T(0) : -x[(n * g.c + cls) * g.s + s] * weight_of(w, cls);
  }
}

// total = sum of the weights of the non-ignored targets; out (reductions) = the sum or the mean.
template <class T>
__global__ void nll_total_kernel(T* out, T* total, const T* x, const int64_t* t, const T* w, ClassLossGeom g) {
  __shared__ double smem[32];
  double sum = 0, wsum = 0;
  for (int64_t i = threadIdx.x; i < g.n * g.s; i += blockDim.x) {
    const int64_t n = i / g.s, s = i % g.s, cls = t[i];
    if (!counted(g, cls)) continue;
    const T wc = weight_of(w, cls);
    sum += (double)(-x[(n * g.c + cls) * g.s + s] * wc);
    wsum += (double)wc;
  }
  sum = block_reduce(sum, smem, SumOf());
  wsum = block_reduce(wsum, smem, SumOf());
  if (threadIdx.x == 0) {
    *total = T(wsum);
    if (g.reduction == Reduction::Sum) *out = T(sum);
    if (g.reduction == Reduction::Mean) *out = T(sum / wsum);  // 0/0 = nan when everything is ignored
  }
}

template <class T>
__global__ void nll_backward_kernel(T* gi, const T* go, const int64_t* t, const T* w, const T* total,
                                    ClassLossGeom g) {
  PE_CUDA_GRID_LOOP(i, g.n * g.s) {
    const int64_t n = i / g.s, s = i % g.s, cls = t[i];
    if (!counted(g, cls)) continue;
    const T gv = g.reduction == Reduction::None ? go[i] : g.reduction == Reduction::Mean ? go[0] / *total : go[0];
    gi[(n * g.c + cls) * g.s + s] = -gv * weight_of(w, cls);
  }
}

// -sum_c w_c p_c x[n, c, s] of sample i = (n, s) (p: soft targets or none).
template <class T>
__device__ double class_sum(const ClassLossGeom& g, const T* x, const T* w, const T* p, int64_t i) {
  const int64_t n = i / g.s, s = i % g.s;
  double acc = 0;
  for (int64_t c = 0; c < g.c; ++c) {
    const int64_t k = (n * g.c + c) * g.s + s;
    acc += double(x[k]) * (w ? double(w[c]) : 1.0) * (p ? double(p[k]) : 1.0);
  }
  return -acc;
}

// Label-smoothing term (t defined: ignored targets give 0) or soft-target loss (p defined).
template <class T>
__global__ void class_sum_none_kernel(T* out, const T* x, const int64_t* t, const T* w, const T* p, ClassLossGeom g) {
  PE_CUDA_GRID_LOOP(i, g.n * g.s) {
    out[i] = (t && !counted(g, t[i])) ? T(0) : T(class_sum(g, x, w, p, i));
  }
}

// The denominator of 'mean': the weights of the non-ignored targets (t) or the sample count (soft).
template <class T>
__device__ double mean_denominator(const ClassLossGeom& g, const int64_t* t, const T* w, double* smem) {
  double d = 0;
  if (!t) return double(g.n * g.s);
  for (int64_t i = threadIdx.x; i < g.n * g.s; i += blockDim.x)
    if (counted(g, t[i])) d += w ? double(w[t[i]]) : 1.0;
  return block_reduce(d, smem, SumOf());
}

template <class T>
__global__ void class_sum_reduce_kernel(T* out, const T* x, const int64_t* t, const T* w, const T* p,
                                        ClassLossGeom g) {
  __shared__ double smem[32];
  double sum = 0;
  for (int64_t i = threadIdx.x; i < g.n * g.s; i += blockDim.x)
    if (!(t && !counted(g, t[i]))) sum += class_sum(g, x, w, p, i);
  sum = block_reduce(sum, smem, SumOf());
  const double den = g.reduction == Reduction::Mean ? mean_denominator(g, t, w, smem) : 1.0;
  if (threadIdx.x == 0) *out = T(g.reduction == Reduction::Mean ? sum / den : sum);
}

// scale = 1 / mean denominator (Mean) or 1.
template <class T>
__global__ void class_scale_kernel(T* scale, const int64_t* t, const T* w, ClassLossGeom g) {
  __shared__ double smem[32];
  const double den = mean_denominator(g, t, w, smem);
  if (threadIdx.x == 0) *scale = g.reduction == Reduction::Mean ? T(1.0 / den) : T(1);
}

// Smoothing (t defined, gt undefined): gi = -g w_c (0 for ignored samples). Soft targets (p, x, gt):
// gi = -g w_c p, gt = -g w_c x.
template <class T>
__global__ void class_sum_backward_kernel(T* gi, T* gt, const T* go, const int64_t* t, const T* w, const T* x,
                                          const T* p, const T* scale, ClassLossGeom g) {
  PE_CUDA_GRID_LOOP(k, g.n * g.c * g.s) {
    const int64_t s = k % g.s, c = (k / g.s) % g.c, n = k / (g.s * g.c), i = n * g.s + s;
    const T gv = g.reduction == Reduction::None ? go[i] : go[0] * *scale;
    const T f = -gv * weight_of(w, c);
    if (t) {
      gi[k] = !counted(g, t[i]) ? T(0) : f;
    } else {
      gi[k] = f * p[k];
      gt[k] = f * x[k];
    }
  }
}

template <class T>
T* ptr(const Tensor& t) {
  return static_cast<T*>(t.raw_data());
}

unsigned one_block() { return 1; }

}  // namespace

void nll_loss_kernel(const ClassLossGeom& g, const Tensor& out, const Tensor& total, const Tensor& x, const Tensor& t,
                     const Tensor& w) {
  DeviceGuard guard(x.device().index);
  check_targets(g, t);
  PE_CUDA_DISPATCH_NN_FLOAT(x.dtype(), "nll_loss", [&] {
    using T = scalar_t;
    const int64_t count = g.n * g.s;
    const T* xp = count ? ptr<T>(x) : nullptr;
    const int64_t* tp = count ? ptr<int64_t>(t) : nullptr;
    if (g.reduction == Reduction::None && count > 0)
      launch_kernel(nll_none_kernel<T>, nn_grid(count), kNnBlock, 0, current_stream(), ptr<T>(out), xp, tp,
                    opt_ptr<T>(w), g);
    launch_kernel(nll_total_kernel<T>, one_block(), kNnBlock, 0, current_stream(),
                  g.reduction == Reduction::None ? nullptr : ptr<T>(out), ptr<T>(total), xp, tp, opt_ptr<T>(w), g);
  });
}

void nll_loss_backward_kernel(const ClassLossGeom& g, const Tensor& gi, const Tensor& go, const Tensor& t,
                              const Tensor& w, const Tensor& total) {
  const int64_t count = g.n * g.s;
  if (count == 0) return;
  DeviceGuard guard(gi.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(gi.dtype(), "nll_loss_backward", [&] {
    using T = scalar_t;
    launch_kernel(nll_backward_kernel<T>, nn_grid(count), kNnBlock, 0, current_stream(), ptr<T>(gi),
                  (const T*)ptr<T>(go), (const int64_t*)ptr<int64_t>(t), opt_ptr<T>(w), (const T*)ptr<T>(total), g);
  });
}

namespace {

// The forward of label smoothing (t) and of soft targets (p).
void class_sum_forward(const char* name, const ClassLossGeom& g, const Tensor& out, const Tensor& x, const Tensor& t,
                       const Tensor& w, const Tensor& p) {
  DeviceGuard guard(x.device().index);
  const int64_t count = g.n * g.s;
  PE_CUDA_DISPATCH_NN_FLOAT(x.dtype(), name, [&] {
    using T = scalar_t;
    const T* xp = x.numel() ? ptr<T>(x) : nullptr;
    const T* pp = p.defined() && p.numel() ? ptr<T>(p) : nullptr;
    const int64_t* tp = t.defined() && count ? ptr<int64_t>(t) : nullptr;
    if (g.reduction == Reduction::None) {
      if (count > 0)
        launch_kernel(class_sum_none_kernel<T>, nn_grid(count), kNnBlock, 0, current_stream(), ptr<T>(out), xp, tp,
                      opt_ptr<T>(w), pp, g);
      return;
    }
    launch_kernel(class_sum_reduce_kernel<T>, one_block(), kNnBlock, 0, current_stream(), ptr<T>(out), xp, tp,
                  opt_ptr<T>(w), pp, g);
  });
}

void class_sum_backward(const char* name, const ClassLossGeom& g, const Tensor& gi, const Tensor& gt,
                        const Tensor& go, const Tensor& t, const Tensor& w, const Tensor& x, const Tensor& p) {
  if (g.n * g.c * g.s == 0) return;
  DeviceGuard guard(gi.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(gi.dtype(), name, [&] {
    using T = scalar_t;
    const int64_t* tp = t.defined() ? ptr<int64_t>(t) : nullptr;
    Tensor scale = make_empty({}, gi.dtype(), gi.device());
    launch_kernel(class_scale_kernel<T>, one_block(), kNnBlock, 0, current_stream(), ptr<T>(scale), tp, opt_ptr<T>(w),
                  g);
    launch_kernel(class_sum_backward_kernel<T>, nn_grid(g.n * g.c * g.s), kNnBlock, 0, current_stream(), ptr<T>(gi),
                  opt_mut<T>(gt), (const T*)ptr<T>(go), tp, opt_ptr<T>(w), opt_ptr<T>(x), opt_ptr<T>(p),
                  (const T*)ptr<T>(scale), g);
  });
}

}  // namespace

void nll_smooth_kernel(const ClassLossGeom& g, const Tensor& out, const Tensor& x, const Tensor& t, const Tensor& w) {
  {
    DeviceGuard guard(x.device().index);
    check_targets(g, t);
  }
  class_sum_forward("nll_loss_smooth", g, out, x, t, w, Tensor());
}

void nll_smooth_backward_kernel(const ClassLossGeom& g, const Tensor& gi, const Tensor& go, const Tensor& t,
                                const Tensor& w) {
  class_sum_backward("nll_loss_smooth_backward", g, gi, Tensor(), go, t, w, Tensor(), Tensor());
}

void soft_nll_kernel(const ClassLossGeom& g, const Tensor& out, const Tensor& x, const Tensor& p, const Tensor& w) {
  class_sum_forward("soft_nll_loss", g, out, x, Tensor(), w, p);
}

void soft_nll_backward_kernel(const ClassLossGeom& g, const Tensor& gi, const Tensor& gt, const Tensor& go,
                              const Tensor& x, const Tensor& p, const Tensor& w) {
  class_sum_backward("soft_nll_loss_backward", g, gi, gt, go, Tensor(), w, x, p);
}

}  // namespace pe::cuda
