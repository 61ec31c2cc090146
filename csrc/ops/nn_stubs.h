// Kernel tables of the nn ops (definitions in ops/nn_stubs.cpp, CPU kernels in cpu/nn_*_kernel.cpp).
// Contract for every kernel here: the op layer has checked shapes, made every tensor argument
// contiguous and given all float operands one dtype (float32 or float64); outputs are freshly
// allocated contiguous tensors. Optional tensors arrive undefined when absent.
#pragma once
#include "core/dispatch.h"
#include "core/tensor.h"
#include "ops/nn.h"

namespace pe {

// ---- convolution (one group layout: weight (O, C/g, kh, kw)) ----
struct Conv2dGeom {
  int64_t n, c, h, w;       // input
  int64_t o, kh, kw;        // output channels, kernel
  int64_t oh, ow;           // output spatial size
  int64_t sh, sw, ph, pw, dh, dw;
  int64_t groups;
};
using Conv2dFn = void (*)(const Conv2dGeom& g, const Tensor& out, const Tensor& input, const Tensor& weight,
                          const Tensor& bias);
using Conv2dBackwardInputFn = void (*)(const Conv2dGeom& g, const Tensor& grad_input, const Tensor& grad_output,
                                       const Tensor& weight);
using Conv2dBackwardWeightFn = void (*)(const Conv2dGeom& g, const Tensor& grad_weight, const Tensor& grad_output,
                                        const Tensor& input);
// grad_bias[c] = sum over n, l of grad_output (n, c, l).
using ChannelSumFn = void (*)(const Tensor& out, const Tensor& grad_output, int64_t n, int64_t c, int64_t l);
extern DispatchStub<Conv2dFn> conv2d_stub;
extern DispatchStub<Conv2dBackwardInputFn> conv2d_backward_input_stub;
extern DispatchStub<Conv2dBackwardWeightFn> conv2d_backward_weight_stub;
extern DispatchStub<ChannelSumFn> channel_sum_stub;
// out (m, n) = x (m, k) @ w (n, k)^T + bias (n) (bias may be undefined).
using LinearFn = void (*)(const Tensor& out, const Tensor& x, const Tensor& w, const Tensor& bias, int64_t m,
                          int64_t n, int64_t k);
extern DispatchStub<LinearFn> linear_stub;

// ---- pooling: tensors are (planes, H, W) ----
struct Pool2dGeom {
  int64_t planes, ih, iw, oh, ow;
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
  bool count_include_pad = true;
  int64_t divisor = 0;  // divisor_override, 0: none
};
using MaxPool2dFn = void (*)(const Pool2dGeom& g, const Tensor& out, const Tensor& indices, const Tensor& input);
using MaxPool2dBackwardFn = void (*)(const Pool2dGeom& g, const Tensor& grad_input, const Tensor& grad_output,
                                     const Tensor& indices);
using AvgPool2dFn = void (*)(const Pool2dGeom& g, const Tensor& out, const Tensor& input);
using AvgPool2dBackwardFn = void (*)(const Pool2dGeom& g, const Tensor& grad_input, const Tensor& grad_output);
// Adaptive: g.kh.. unused; windows are [floor(i*I/O), ceil((i+1)*I/O)).
using AdaptiveAvgPool2dFn = void (*)(const Pool2dGeom& g, const Tensor& out, const Tensor& input);
using AdaptiveAvgPool2dBackwardFn = void (*)(const Pool2dGeom& g, const Tensor& grad_input,
                                             const Tensor& grad_output);
extern DispatchStub<MaxPool2dFn> max_pool2d_stub;
extern DispatchStub<MaxPool2dBackwardFn> max_pool2d_backward_stub;
extern DispatchStub<AvgPool2dFn> avg_pool2d_stub;
extern DispatchStub<AvgPool2dBackwardFn> avg_pool2d_backward_stub;
extern DispatchStub<AdaptiveAvgPool2dFn> adaptive_avg_pool2d_stub;
extern DispatchStub<AdaptiveAvgPool2dBackwardFn> adaptive_avg_pool2d_backward_stub;

// ---- softmax over the middle dim of an (outer, dim, inner) view ----
using SoftmaxFn = void (*)(const Tensor& out, const Tensor& input, int64_t outer, int64_t dim, int64_t inner,
                           bool log);
using SoftmaxBackwardFn = void (*)(const Tensor& grad_input, const Tensor& grad_output, const Tensor& output,
                                   int64_t outer, int64_t dim, int64_t inner, bool log);
extern DispatchStub<SoftmaxFn> softmax_stub;
extern DispatchStub<SoftmaxBackwardFn> softmax_backward_stub;

// ---- class losses: input (n, c, s) log-probabilities, target (n, s) int64 ----
struct ClassLossGeom {
  int64_t n, c, s;
  Reduction reduction;
  int64_t ignore_index;
};
// Kernels that read targets raise IndexError "Target 5 is out of bounds." before any output is written.
using NllLossFn = void (*)(const ClassLossGeom& g, const Tensor& out, const Tensor& total_weight,
                           const Tensor& input, const Tensor& target, const Tensor& weight);
using NllLossBackwardFn = void (*)(const ClassLossGeom& g, const Tensor& grad_input, const Tensor& grad_output,
                                   const Tensor& target, const Tensor& weight, const Tensor& total_weight);
using NllSmoothFn = void (*)(const ClassLossGeom& g, const Tensor& out, const Tensor& input, const Tensor& target,
                             const Tensor& weight);
using NllSmoothBackwardFn = void (*)(const ClassLossGeom& g, const Tensor& grad_input, const Tensor& grad_output,
                                     const Tensor& target, const Tensor& weight);
// target: probabilities of the input's shape.
using SoftNllFn = void (*)(const ClassLossGeom& g, const Tensor& out, const Tensor& input, const Tensor& target,
                           const Tensor& weight);
using SoftNllBackwardFn = void (*)(const ClassLossGeom& g, const Tensor& grad_input, const Tensor& grad_target,
                                   const Tensor& grad_output, const Tensor& input, const Tensor& target,
                                   const Tensor& weight);
extern DispatchStub<NllLossFn> nll_loss_stub;
extern DispatchStub<NllLossBackwardFn> nll_loss_backward_stub;
extern DispatchStub<NllSmoothFn> nll_smooth_stub;
extern DispatchStub<NllSmoothBackwardFn> nll_smooth_backward_stub;
extern DispatchStub<SoftNllFn> soft_nll_stub;
extern DispatchStub<SoftNllBackwardFn> soft_nll_backward_stub;

// ---- elementwise losses over same-shape contiguous operands ----
enum class PointLoss : int8_t { Mse, L1, SmoothL1, Bce, BceLogits };
struct PointLossArgs {
  PointLoss kind;
  Reduction reduction;
  double beta = 1.0;   // smooth_l1
  Tensor weight;       // expanded to the input's shape, or undefined
  bool weight_mean = false;  // 'mean' divides by sum(weight) instead of the element count (mse, l1)
  Tensor pos_weight;   // bce_with_logits, expanded to the input's shape, or undefined
};
// out: the input's shape (Reduction::None) or 0-d. Bce raises "all elements of input should be
// between 0 and 1" before writing.
using PointLossFn = void (*)(const PointLossArgs& a, const Tensor& out, const Tensor& input, const Tensor& target);
// grad_output: the input's shape (None) or 0-d.
using PointLossBackwardFn = void (*)(const PointLossArgs& a, const Tensor& grad_input, const Tensor& grad_output,
                                     const Tensor& input, const Tensor& target);
extern DispatchStub<PointLossFn> point_loss_stub;
extern DispatchStub<PointLossBackwardFn> point_loss_backward_stub;

// ---- normalization: batch norm on (n, c, s), layer norm on (m, k) ----
// training: writes save_mean/save_invstd (c) from the batch and, if defined, updates running_mean
// and running_var (c, contiguous, the input's dtype) in place. Otherwise normalizes with the
// running statistics.
using BatchNormFn = void (*)(const Tensor& out, const Tensor& save_mean, const Tensor& save_invstd,
                             const Tensor& input, const Tensor& weight, const Tensor& bias,
                             const Tensor& running_mean, const Tensor& running_var, bool training,
                             double momentum, double eps, int64_t n, int64_t c, int64_t s);
// mean/invstd: the saved batch statistics (training) or the running ones (evaluation; the kernel
// turns running_var into 1/sqrt(var + eps)). Undefined outputs are skipped.
using BatchNormBackwardFn = void (*)(const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad_bias,
                                     const Tensor& grad_output, const Tensor& input, const Tensor& weight,
                                     const Tensor& mean, const Tensor& invstd_or_var, bool training, double eps,
                                     int64_t n, int64_t c, int64_t s);
using LayerNormFn = void (*)(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& input,
                             const Tensor& weight, const Tensor& bias, double eps, int64_t m, int64_t k);
using LayerNormBackwardFn = void (*)(const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad_bias,
                                     const Tensor& grad_output, const Tensor& input, const Tensor& mean,
                                     const Tensor& rstd, const Tensor& weight, int64_t m, int64_t k);
extern DispatchStub<BatchNormFn> batch_norm_stub;
extern DispatchStub<BatchNormBackwardFn> batch_norm_backward_stub;
extern DispatchStub<LayerNormFn> layer_norm_stub;
extern DispatchStub<LayerNormBackwardFn> layer_norm_backward_stub;

// ---- dropout / bernoulli (Philox, Note [Random number layout]) ----
// mask[i] = uniform_i < 1 - p; out[i] = input[i] * mask[i] * scale. out may alias input (in place).
using DropoutFn = void (*)(const Tensor& out, const Tensor& mask, const Tensor& input, double p, double scale,
                           uint64_t seed, uint64_t first_block);
// dst[i] = uniform_i < p (any dtype, any strides; probs: undefined, or a float64 tensor of dst's shape).
using BernoulliFn = void (*)(const Tensor& dst, double p, const Tensor& probs, uint64_t seed, uint64_t first_block);
extern DispatchStub<DropoutFn> dropout_stub;
extern DispatchStub<BernoulliFn> bernoulli_stub;

}  // namespace pe
