// The nn op layer (torch.nn.functional's kernels): convolution, pooling, softmax, losses,
// normalization, dropout, linear and pad. Each forward op that autograd needs to differentiate has
// its backward as a separate op here (conv2d_backward_input, max_pool2d_backward, ...), so the
// autograd formulas call kernels instead of re-deriving them. All float ops compute in float32 or
// float64 and refuse other dtypes with PyTorch's "... not implemented for 'Long'" message.
#pragma once
#include <array>
#include <optional>
#include <string>
#include <tuple>

#include "core/tensor.h"

namespace pe {

class Generator;  // core/rng.h

// PyTorch's at::Reduction values (also what F.*_loss's legacy reduction args map to).
enum class Reduction : int8_t { None = 0, Mean = 1, Sum = 2 };
Reduction reduction_from_string(const std::string& s);  // ValueError "foo is not a valid value for reduction"

// ---- convolution and linear (ops/nn_conv.cpp) ----
// input (N, C, H, W) or unbatched (C, H, W); weight (O, C / groups, kh, kw); bias (O) or undefined.
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const DimVector& stride,
              const DimVector& padding, const DimVector& dilation, int64_t groups);
// padding = "same" (output size = input size; asymmetric when the total is odd, like PyTorch) or "valid"
// (ATen's conv2d.padding overload; a distinct name because {1, 1} would also convert to a string).
Tensor conv2d_padding(const Tensor& input, const Tensor& weight, const Tensor& bias, const DimVector& stride,
                      const std::string& padding, const DimVector& dilation, int64_t groups);
// d(loss)/d(input) of conv2d given d(loss)/d(output); input_sizes is the input's shape.
Tensor conv2d_backward_input(const Tensor& grad_output, const Tensor& weight, const DimVector& input_sizes,
                             const DimVector& stride, const DimVector& padding, const DimVector& dilation,
                             int64_t groups);
Tensor conv2d_backward_weight(const Tensor& grad_output, const Tensor& input, const DimVector& weight_sizes,
                              const DimVector& stride, const DimVector& padding, const DimVector& dilation,
                              int64_t groups);
Tensor conv2d_backward_bias(const Tensor& grad_output);  // sum over N, H, W
// x (*, in) @ weight(out, in)^T + bias(out); a 1-D weight gives x @ weight.
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias);

// ---- pad (ops/nn_pad.cpp) ----
// pad = (last_lo, last_hi, second_last_lo, ...); negative amounts crop.
Tensor constant_pad_nd(const Tensor& input, const DimVector& pad, const Scalar& value);
Tensor pad(const Tensor& input, const DimVector& pad, const std::string& mode, std::optional<double> value);

// ---- pooling (ops/nn_pool.cpp) ----
// kernel/stride/padding/dilation are 2 values each (the Python layer expands ints; an empty stride
// means stride = kernel). indices are flat positions h * W + w inside each input plane (PyTorch's).
std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, const DimVector& kernel_size,
                                                   const DimVector& stride, const DimVector& padding,
                                                   const DimVector& dilation, bool ceil_mode);
Tensor max_pool2d(const Tensor& input, const DimVector& kernel_size, const DimVector& stride,
                  const DimVector& padding, const DimVector& dilation, bool ceil_mode);
Tensor max_pool2d_backward(const Tensor& grad_output, const Tensor& input, const Tensor& indices);
Tensor avg_pool2d(const Tensor& input, const DimVector& kernel_size, const DimVector& stride,
                  const DimVector& padding, bool ceil_mode, bool count_include_pad,
                  std::optional<int64_t> divisor_override);
Tensor avg_pool2d_backward(const Tensor& grad_output, const Tensor& input, const DimVector& kernel_size,
                           const DimVector& stride, const DimVector& padding, bool ceil_mode,
                           bool count_include_pad, std::optional<int64_t> divisor_override);
// output_size: 2 non-negative values (the Python layer turns None into the input's size).
Tensor adaptive_avg_pool2d(const Tensor& input, const DimVector& output_size);
Tensor adaptive_avg_pool2d_backward(const Tensor& grad_output, const Tensor& input);

// ---- softmax (ops/nn_softmax.cpp) ----
// dtype: the input is cast to it first (PyTorch's dtype= argument; integer inputs need it).
Tensor softmax(const Tensor& input, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor log_softmax(const Tensor& input, int64_t dim, std::optional<DType> dtype = std::nullopt);
// grad_input = output * (grad - sum(grad * output, dim))
Tensor softmax_backward(const Tensor& grad_output, const Tensor& output, int64_t dim);
// grad_input = grad - exp(output) * sum(grad, dim)
Tensor log_softmax_backward(const Tensor& grad_output, const Tensor& output, int64_t dim);

// ---- losses (ops/nn_loss.cpp) ----
// input: log-probabilities (C), (N, C) or (N, C, d1, ...); target int64 (or uint8) class indices of
// shape (), (N) or (N, d1, ...). Returns (loss, total_weight) like PyTorch's nll_loss_forward.
std::tuple<Tensor, Tensor> nll_loss_forward(const Tensor& input, const Tensor& target, const Tensor& weight,
                                            Reduction reduction, int64_t ignore_index);
Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction,
                int64_t ignore_index);
Tensor nll_loss_backward(const Tensor& grad_output, const Tensor& input, const Tensor& target,
                         const Tensor& weight, Reduction reduction, int64_t ignore_index,
                         const Tensor& total_weight);
// The label-smoothing term of cross_entropy with class-index targets: per sample
// -sum_c weight[c] * input[n, c], 0 where target == ignore_index; 'mean' divides by the summed
// weight[target] (or the count) of the non-ignored samples, as PyTorch does.
Tensor nll_loss_smooth(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction,
                       int64_t ignore_index);
Tensor nll_loss_smooth_backward(const Tensor& grad_output, const Tensor& input, const Tensor& target,
                                const Tensor& weight, Reduction reduction, int64_t ignore_index);
// Class-probability targets: per sample -sum_c weight[c] * target[n, c] * input[n, c]; 'mean'
// divides by the number of samples (N * d1 * ...). Both gradients: (grad_input, grad_target).
Tensor soft_nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction);
std::tuple<Tensor, Tensor> soft_nll_loss_backward(const Tensor& grad_output, const Tensor& input,
                                                  const Tensor& target, const Tensor& weight,
                                                  Reduction reduction);
// log_softmax over dim 1 (dim 0 for a 1-D input) followed by nll_loss / soft_nll_loss, with label
// smoothing as PyTorch composes it.
Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction,
                     int64_t ignore_index, double label_smoothing);

// Elementwise losses. input and target broadcast; weight / pos_weight (bce) broadcast to the input.
// The backward ops return the gradient w.r.t. input in the broadcast shape.
// mse/l1 weight (PyTorch 2.13's F.mse_loss(weight=)): the input's size; 'mean' is then
// sum(weight * loss) / sum(weight).
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction, const Tensor& weight = Tensor());
Tensor mse_loss_backward(const Tensor& grad_output, const Tensor& input, const Tensor& target, Reduction reduction,
                         const Tensor& weight = Tensor());
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, const Tensor& weight = Tensor());
Tensor l1_loss_backward(const Tensor& grad_output, const Tensor& input, const Tensor& target, Reduction reduction,
                        const Tensor& weight = Tensor());
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, double beta);
Tensor smooth_l1_loss_backward(const Tensor& grad_output, const Tensor& input, const Tensor& target,
                               Reduction reduction, double beta);
// log clamped at -100 as PyTorch; input must lie in [0, 1].
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction);
Tensor binary_cross_entropy_backward(const Tensor& grad_output, const Tensor& input, const Tensor& target,
                                     const Tensor& weight, Reduction reduction);
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        const Tensor& pos_weight, Reduction reduction);
Tensor binary_cross_entropy_with_logits_backward(const Tensor& grad_output, const Tensor& input,
                                                 const Tensor& target, const Tensor& weight,
                                                 const Tensor& pos_weight, Reduction reduction);

// ---- normalization (ops/nn_norm.cpp) ----
// input (N, C, *). Returns (output, save_mean, save_invstd); in training the batch statistics are
// used and running_mean/var (when given) are updated in place with momentum and the unbiased
// variance; in evaluation the running statistics are used and save_mean/save_invstd are empty.
std::tuple<Tensor, Tensor, Tensor> native_batch_norm(const Tensor& input, const Tensor& weight, const Tensor& bias,
                                                     const Tensor& running_mean, const Tensor& running_var,
                                                     bool training, double momentum, double eps);
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps);
// (grad_input, grad_weight, grad_bias); output_mask picks which are computed (others undefined).
std::tuple<Tensor, Tensor, Tensor> native_batch_norm_backward(
    const Tensor& grad_output, const Tensor& input, const Tensor& weight, const Tensor& running_mean,
    const Tensor& running_var, const Tensor& save_mean, const Tensor& save_invstd, bool training, double eps,
    std::array<bool, 3> output_mask);
// Normalizes over the trailing dims given by normalized_shape. Returns (output, mean, rstd) with
// mean/rstd of shape input.shape[:-len(normalized_shape)] + (1,) * len(normalized_shape).
std::tuple<Tensor, Tensor, Tensor> native_layer_norm(const Tensor& input, const DimVector& normalized_shape,
                                                     const Tensor& weight, const Tensor& bias, double eps);
Tensor layer_norm(const Tensor& input, const DimVector& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps);
std::tuple<Tensor, Tensor, Tensor> native_layer_norm_backward(
    const Tensor& grad_output, const Tensor& input, const DimVector& normalized_shape, const Tensor& mean,
    const Tensor& rstd, const Tensor& weight, const Tensor& bias, std::array<bool, 3> output_mask);

// ---- dropout and bernoulli (ops/nn_dropout.cpp) ----
// (output, mask): mask is bool, output = input * mask / (1 - p). Random numbers from the Philox
// generator (Note [Random number layout]): element i is kept when its uniform is < 1 - p.
std::tuple<Tensor, Tensor> native_dropout(const Tensor& input, double p, bool train);
Tensor native_dropout_backward(const Tensor& grad_output, const Tensor& mask, double scale);
// Not training, p == 0 or an empty input: returns `input` itself (PyTorch's aliasing).
Tensor dropout(const Tensor& input, double p, bool train);
Tensor& dropout_(Tensor& input, double p, bool train);
// t[i] = 1 with probability p, else 0 (any dtype); probs: a tensor of probabilities.
Tensor& bernoulli_(Tensor& t, double p, Generator* gen = nullptr);
Tensor& bernoulli_(Tensor& t, const Tensor& p, Generator* gen = nullptr);
Tensor bernoulli(const Tensor& probs, Generator* gen = nullptr);

}  // namespace pe
