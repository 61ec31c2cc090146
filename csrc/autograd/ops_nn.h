// Differentiable wrappers (Note [Recording] in autograd/variable.h) of the nn ops in ops/nn.h, with
// PyTorch's node names (ConvolutionBackward0, MaxPool2DWithIndicesBackward0, NllLossBackward0, ...).
// The nodes reuse the backward kernels of ops/nn.h; where a backward kernel is needed
// differentiably (create_graph=True), it has its own wrapper here (conv2d_backward, the pooling
// backwards, nll_loss_backward), so higher-order gradients work.
#pragma once
#include <array>
#include <optional>
#include <string>
#include <tuple>

#include "autograd/ops_basic.h"
#include "ops/nn.h"

namespace pe::autograd {

// ---- convolution, linear, pad (autograd/functions/nn_conv.cpp) ----
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const DimVector& stride,
              const DimVector& padding, const DimVector& dilation, int64_t groups);
Tensor conv2d_padding(const Tensor& input, const Tensor& weight, const Tensor& bias, const DimVector& stride,
                      const std::string& padding, const DimVector& dilation, int64_t groups);
// (grad_input, grad_weight, grad_bias) of a batched conv2d, each only where output_mask says;
// differentiable in grad_output, input and weight (ConvolutionBackwardBackward0).
std::tuple<Tensor, Tensor, Tensor> conv2d_backward(const Tensor& grad_output, const Tensor& input,
                                                   const Tensor& weight, const DimVector& stride,
                                                   const DimVector& padding, const DimVector& dilation,
                                                   int64_t groups, std::array<bool, 3> output_mask);
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias);
Tensor constant_pad_nd(const Tensor& input, const DimVector& pad, const Scalar& value);
Tensor pad(const Tensor& input, const DimVector& pad, const std::string& mode, std::optional<double> value);

// ---- pooling and softmax (autograd/functions/nn_pool.cpp) ----
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
Tensor adaptive_avg_pool2d(const Tensor& input, const DimVector& output_size);
Tensor adaptive_avg_pool2d_backward(const Tensor& grad_output, const Tensor& input);
Tensor softmax(const Tensor& input, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor log_softmax(const Tensor& input, int64_t dim, std::optional<DType> dtype = std::nullopt);
Tensor softmax_backward(const Tensor& grad_output, const Tensor& output, int64_t dim);
Tensor log_softmax_backward(const Tensor& grad_output, const Tensor& output, int64_t dim);

// ---- losses (autograd/functions/nn_loss*.cpp) ----
std::tuple<Tensor, Tensor> nll_loss_forward(const Tensor& input, const Tensor& target, const Tensor& weight,
                                            Reduction reduction, int64_t ignore_index);
Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction,
                int64_t ignore_index);
Tensor nll_loss_backward(const Tensor& grad_output, const Tensor& input, const Tensor& target,
                         const Tensor& weight, Reduction reduction, int64_t ignore_index,
                         const Tensor& total_weight);
Tensor nll_loss_smooth(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction,
                       int64_t ignore_index);
Tensor soft_nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction);
Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction,
                     int64_t ignore_index, double label_smoothing);
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction, const Tensor& weight = Tensor());
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, const Tensor& weight = Tensor());
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, double beta);
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction);
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        const Tensor& pos_weight, Reduction reduction);

// ---- normalization and dropout (autograd/functions/nn_norm.cpp) ----
std::tuple<Tensor, Tensor, Tensor> native_batch_norm(const Tensor& input, const Tensor& weight, const Tensor& bias,
                                                     const Tensor& running_mean, const Tensor& running_var,
                                                     bool training, double momentum, double eps);
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps);
std::tuple<Tensor, Tensor, Tensor> native_layer_norm(const Tensor& input, const DimVector& normalized_shape,
                                                     const Tensor& weight, const Tensor& bias, double eps);
Tensor layer_norm(const Tensor& input, const DimVector& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps);
std::tuple<Tensor, Tensor> native_dropout(const Tensor& input, double p, bool train);
Tensor dropout(const Tensor& input, double p, bool train);
Tensor& dropout_(Tensor& input, double p, bool train);

}  // namespace pe::autograd
