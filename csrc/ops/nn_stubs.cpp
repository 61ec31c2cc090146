// Definitions of the nn kernel tables (declared in ops/nn_stubs.h) and the shared op-layer helpers
// of ops/nn_util.h.
#include "ops/nn_stubs.h"

#include "ops/nn_util.h"
#include "ops/ops.h"

namespace pe {

DispatchStub<Conv2dFn> conv2d_stub("conv2d");
DispatchStub<Conv2dBackwardInputFn> conv2d_backward_input_stub("conv2d_backward_input");
DispatchStub<Conv2dBackwardWeightFn> conv2d_backward_weight_stub("conv2d_backward_weight");
DispatchStub<ChannelSumFn> channel_sum_stub("conv2d_backward_bias");
DispatchStub<LinearFn> linear_stub("linear");
DispatchStub<MaxPool2dFn> max_pool2d_stub("max_pool2d");
DispatchStub<MaxPool2dBackwardFn> max_pool2d_backward_stub("max_pool2d_backward");
DispatchStub<AvgPool2dFn> avg_pool2d_stub("avg_pool2d");
DispatchStub<AvgPool2dBackwardFn> avg_pool2d_backward_stub("avg_pool2d_backward");
DispatchStub<AdaptiveAvgPool2dFn> adaptive_avg_pool2d_stub("adaptive_avg_pool2d");
DispatchStub<AdaptiveAvgPool2dBackwardFn> adaptive_avg_pool2d_backward_stub("adaptive_avg_pool2d_backward");
DispatchStub<SoftmaxFn> softmax_stub("softmax");
DispatchStub<SoftmaxBackwardFn> softmax_backward_stub("softmax_backward");
DispatchStub<NllLossFn> nll_loss_stub("nll_loss");
DispatchStub<NllLossBackwardFn> nll_loss_backward_stub("nll_loss_backward");
DispatchStub<NllSmoothFn> nll_smooth_stub("nll_loss_smooth");
DispatchStub<NllSmoothBackwardFn> nll_smooth_backward_stub("nll_loss_smooth_backward");
DispatchStub<SoftNllFn> soft_nll_stub("soft_nll_loss");
DispatchStub<SoftNllBackwardFn> soft_nll_backward_stub("soft_nll_loss_backward");
DispatchStub<PointLossFn> point_loss_stub("pointwise_loss");
DispatchStub<PointLossBackwardFn> point_loss_backward_stub("pointwise_loss_backward");
DispatchStub<BatchNormFn> batch_norm_stub("batch_norm");
DispatchStub<BatchNormBackwardFn> batch_norm_backward_stub("batch_norm_backward");
DispatchStub<LayerNormFn> layer_norm_stub("layer_norm");
DispatchStub<LayerNormBackwardFn> layer_norm_backward_stub("layer_norm_backward");
DispatchStub<DropoutFn> dropout_stub("dropout");
DispatchStub<BernoulliFn> bernoulli_stub("bernoulli_");

Reduction reduction_from_string(const std::string& s) {
  if (s == "none") return Reduction::None;
  if (s == "mean" || s == "elementwise_mean") return Reduction::Mean;
  if (s == "sum") return Reduction::Sum;
  throw ValueError(str(s, " is not a valid value for reduction"));
}

namespace nn {

std::string type_name(DType t) { return scalar_type_name(t); }

void check_float(const Tensor& t, const char* op) {
  PE_CHECK_T(NotImplementedError, t.dtype() == DType::Float32 || t.dtype() == DType::Float64, "\"", op,
             "\" not implemented for '", type_name(t.dtype()), "'");
}

Tensor dense(const Tensor& t, DType dt) {
  if (!t.defined()) return t;
  return contiguous(to(t, dt, std::nullopt));
}

void check_same_device(const Tensor& a, const Tensor& b, const char* what) {
  if (!b.defined()) return;
  PE_CHECK(a.device() == b.device(), "Expected all tensors to be on the same device, but found at least two "
           "devices, ", a.device().str(), " and ", b.device().str(), "! (", what, ")");
}

}  // namespace nn
}  // namespace pe
