// Elementwise losses (mse, l1, smooth_l1, binary_cross_entropy[_with_logits]) and their backward
// ops. Operands are promoted to one float dtype, broadcast together (PyTorch warns but allows it for
// mse/l1/smooth_l1; the BCE ops demand equal sizes) and made contiguous, so one kernel per loss
// serves every layout.
#include "ops/nn.h"
#include "ops/nn_stubs.h"
#include "ops/nn_util.h"
#include "ops/ops.h"

namespace pe {

namespace {

const char* kernel_name(PointLoss k) {
  switch (k) {
    case PointLoss::Mse: return "mse_cpu";
    case PointLoss::L1: return "l1_loss";
    case PointLoss::SmoothL1: return "smooth_l1_cpu";
    case PointLoss::Bce: return "binary_cross_entropy";
    case PointLoss::BceLogits: return "binary_cross_entropy_with_logits";
  }
  return "loss";
}

struct Prepared {
  PointLossArgs args;
  Tensor x, y;
  DimVector shape;
};

Prepared prepare(PointLoss kind, const Tensor& input, const Tensor& target, const Tensor& weight,
                 const Tensor& pos_weight, Reduction reduction, double beta) {
  nn::check_same_device(input, target, kernel_name(kind));
  nn::check_same_device(input, weight, kernel_name(kind));
  nn::check_same_device(input, pos_weight, kernel_name(kind));
  if (kind == PointLoss::Bce)
    PE_CHECK_VALUE(input.sizes() == target.sizes(), "Using a target size (torch.Size(", target.sizes(),
                   ")) that is different to the input size (torch.Size(", input.sizes(),
                   ")) is deprecated. Please ensure they have the same size.");
  if (kind == PointLoss::BceLogits)
    PE_CHECK_VALUE(input.sizes() == target.sizes(), "Target size (torch.Size(", target.sizes(),
                   ")) must be the same as input size (torch.Size(", input.sizes(), "))");
  if (weight.defined() && (kind == PointLoss::Mse || kind == PointLoss::L1))
    PE_CHECK_VALUE(weight.sizes() == input.sizes(), "Weights and input must have the same size.");
  if (kind == PointLoss::SmoothL1)
    PE_CHECK(beta >= 0, "smooth_l1_loss does not support negative values for beta.");
  DType dt = result_type(input, target);
  PE_CHECK_T(NotImplementedError, dt == DType::Float32 || dt == DType::Float64, "\"", kernel_name(kind),
             "\" not implemented for '", nn::type_name(dt), "'");
  Prepared p;
  p.shape = broadcast_shapes(input.sizes(), target.sizes());
  p.x = nn::dense(expand(input, p.shape), dt);
  p.y = nn::dense(expand(target, p.shape), dt);
  p.args.kind = kind;
  p.args.reduction = reduction;
  p.args.beta = beta;
  if (weight.defined()) p.args.weight = nn::dense(expand(weight, p.shape), dt);
  p.args.weight_mean = weight.defined() && (kind == PointLoss::Mse || kind == PointLoss::L1);
  if (pos_weight.defined()) p.args.pos_weight = nn::dense(expand(pos_weight, p.shape), dt);
  return p;
}

Tensor loss_forward(PointLoss kind, const Tensor& input, const Tensor& target, const Tensor& weight,
                    const Tensor& pos_weight, Reduction reduction, double beta) {
  Prepared p = prepare(kind, input, target, weight, pos_weight, reduction, beta);
  Tensor out = make_empty(reduction == Reduction::None ? p.shape : DimVector{}, p.x.dtype(), p.x.device());
  point_loss_stub(p.x.device())(p.args, out, p.x, p.y);
  return out;
}

Tensor loss_backward(PointLoss kind, const Tensor& grad_output, const Tensor& input, const Tensor& target,
                     const Tensor& weight, const Tensor& pos_weight, Reduction reduction, double beta) {
  Prepared p = prepare(kind, input, target, weight, pos_weight, reduction, beta);
  Tensor go;
  if (reduction == Reduction::None) {
    go = nn::dense(expand(grad_output, p.shape), p.x.dtype());
  } else {
    PE_CHECK(grad_output.numel() == 1, kernel_name(kind), " backward: expected a single element grad_output, got ",
             grad_output.sizes());
    go = nn::dense(grad_output, p.x.dtype());
  }
  Tensor gi = make_empty(p.shape, p.x.dtype(), p.x.device());
  if (gi.numel() > 0) point_loss_backward_stub(p.x.device())(p.args, gi, go, p.x, p.y);
  return gi;
}

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction, const Tensor& weight) {
  return loss_forward(PointLoss::Mse, input, target, weight, Tensor(), reduction, 0.0);
}
Tensor mse_loss_backward(const Tensor& grad_output, const Tensor& input, const Tensor& target, Reduction reduction,
                         const Tensor& weight) {
  return loss_backward(PointLoss::Mse, grad_output, input, target, weight, Tensor(), reduction, 0.0);
}
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, const Tensor& weight) {
  return loss_forward(PointLoss::L1, input, target, weight, Tensor(), reduction, 0.0);
}
Tensor l1_loss_backward(const Tensor& grad_output, const Tensor& input, const Tensor& target, Reduction reduction,
                        const Tensor& weight) {
  return loss_backward(PointLoss::L1, grad_output, input, target, weight, Tensor(), reduction, 0.0);
}
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, double beta) {
  return loss_forward(PointLoss::SmoothL1, input, target, Tensor(), Tensor(), reduction, beta);
}
Tensor smooth_l1_loss_backward(const Tensor& grad_output, const Tensor& input, const Tensor& target,
                               Reduction reduction, double beta) {
  return loss_backward(PointLoss::SmoothL1, grad_output, input, target, Tensor(), Tensor(), reduction, beta);
}
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction) {
  return loss_forward(PointLoss::Bce, input, target, weight, Tensor(), reduction, 0.0);
}
Tensor binary_cross_entropy_backward(const Tensor& grad_output, const Tensor& input, const Tensor& target,
                                     const Tensor& weight, Reduction reduction) {
  return loss_backward(PointLoss::Bce, grad_output, input, target, weight, Tensor(), reduction, 0.0);
}
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        const Tensor& pos_weight, Reduction reduction) {
  return loss_forward(PointLoss::BceLogits, input, target, weight, pos_weight, reduction, 0.0);
}
Tensor binary_cross_entropy_with_logits_backward(const Tensor& grad_output, const Tensor& input,
                                                 const Tensor& target, const Tensor& weight,
                                                 const Tensor& pos_weight, Reduction reduction) {
  return loss_backward(PointLoss::BceLogits, grad_output, input, target, weight, pos_weight, reduction, 0.0);
}

}  // namespace pe
