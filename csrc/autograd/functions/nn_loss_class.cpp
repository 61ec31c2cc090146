// Backward nodes and differentiable wrappers of the class losses: nll_loss (NllLossBackward0, or
// NllLoss2DBackward0 for inputs of 3+ dims as PyTorch's nll_loss2d), the label-smoothing term, and
// cross_entropy composed as PyTorch composes it (log_softmax + nll_loss, plus the smoothing term;
// class-probability targets as -(input * target [* weight]).sum() with its reduction).
//
// nll_loss and its smoothing term are linear in the input, so each backward kernel's own derivative
// with respect to grad_output is the forward loss applied to the upstream gradient (Note [Linear
// loss double backward]); that makes every order differentiable from the same two kernels.
#include "autograd/functions/nn_common.h"

namespace pe::autograd {
namespace {

using nn_detail::shape_proxy;

// Everything but the input of nll_loss / nll_loss_smooth; none of it is differentiable.
struct NllArgs {
  Tensor target, weight, total_weight;
  Reduction reduction = Reduction::Mean;
  int64_t ignore_index = -100;
};

Tensor nll_backward_kernel(bool smooth, const Tensor& g, const Tensor& input, const NllArgs& a) {
  return smooth ? ::pe::nll_loss_smooth_backward(g, input, a.target, a.weight, a.reduction, a.ignore_index)
                : ::pe::nll_loss_backward(g, input, a.target, a.weight, a.reduction, a.ignore_index,
                                          a.total_weight);
}

Tensor nll_backward_differentiable(bool smooth, const Tensor& g, const Tensor& input_proxy, const NllArgs& a);

struct NllBackward : Node {
  Tensor input_proxy_;
  NllArgs args_;
  bool smooth_, two_d_;
  NllBackward(bool smooth, bool two_d) : smooth_(smooth), two_d_(two_d) {}
  std::string name() const override {
    return smooth_ ? "NllLossSmoothBackward0" : (two_d_ ? "NllLoss2DBackward0" : "NllLossBackward0");
  }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (should_compute_output(0)) r[0] = nll_backward_differentiable(smooth_, g[0], input_proxy_, args_);
    return r;
  }
  void release_variables() override { args_ = NllArgs{}; }
};

// Note [Linear loss double backward]: the backward is g -> J^T g for the fixed matrix J of the
// (linear) loss, so d<J^T g, gg>/dg = J gg = the loss of gg.
struct NllBackwardBackward : Node {
  NllArgs args_;
  bool smooth_;
  explicit NllBackwardBackward(bool smooth) : smooth_(smooth) {}
  std::string name() const override {
    return smooth_ ? "NllLossSmoothBackwardBackward0" : "NllLossBackwardBackward0";
  }
  variable_list apply(variable_list&& gg) override {
    variable_list r(1);
    if (!should_compute_output(0)) return r;
    r[0] = smooth_ ? autograd::nll_loss_smooth(gg[0], args_.target, args_.weight, args_.reduction, args_.ignore_index)
                   : autograd::nll_loss(gg[0], args_.target, args_.weight, args_.reduction, args_.ignore_index);
    return r;
  }
};

Tensor nll_backward_differentiable(bool smooth, const Tensor& g, const Tensor& input_proxy, const NllArgs& a) {
  Tensor r = nll_backward_kernel(smooth, g, input_proxy, a);
  if (auto n = make_node<NllBackwardBackward>({&g}, smooth)) {
    n->args_ = a;
    set_history(r, n);
  }
  return r;
}

std::shared_ptr<NllBackward> make_nll_node(bool smooth, const Tensor& input, const Tensor& target,
                                           const Tensor& weight, Reduction reduction, int64_t ignore_index,
                                           const Tensor& total_weight) {
  auto n = make_node<NllBackward>({&input}, smooth, input.dim() >= 3);
  if (n) {
    n->input_proxy_ = shape_proxy(input);
    n->args_ = NllArgs{target, weight, total_weight, reduction, ignore_index};
  }
  return n;
}

// x / c for a C++ scalar c (ATen's div.Scalar, DivBackward1: what PyTorch's composite records).
struct DivBackward1 : Node {
  double other_ = 1.0;
  std::string name() const override { return "DivBackward1"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (should_compute_output(0)) r[0] = autograd::div(g[0], Scalar(other_));
    return r;
  }
};

Tensor div_scalar(const Tensor& x, double c) {
  Tensor r = ::pe::div(x, Scalar(c));
  if (auto n = make_node<DivBackward1>({&x})) {
    n->other_ = c;
    set_history(r, n);
  }
  return r;
}

// -(input * target [* weight]).sum(...) with cross_entropy's reduction (class-probability targets).
Tensor soft_nll_composite(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction) {
  const int64_t class_dim = input.dim() == 1 ? 0 : 1;
  Tensor prod = autograd::mul(input, target);
  if (weight.defined()) {
    DimVector wshape(input.dim() - class_dim, 1);
    wshape[0] = weight.numel();
    prod = autograd::mul(prod, autograd::view(weight, wshape));
  }
  switch (reduction) {
    case Reduction::None: return autograd::neg(autograd::sum(prod, DimVector{class_dim}));
    case Reduction::Sum: return autograd::neg(autograd::sum(prod));
    case Reduction::Mean: {
      const int64_t c = input.size(class_dim);
      const double count = c == 0 ? 0.0 : (double)(input.numel() / c);
      Tensor s = autograd::neg(autograd::sum(prod));
      return div_scalar(s, count);  // 0 / 0 = NaN for an empty input, as PyTorch
    }
  }
  return Tensor();
}

}  // namespace

std::tuple<Tensor, Tensor> nll_loss_forward(const Tensor& input, const Tensor& target, const Tensor& weight,
                                            Reduction reduction, int64_t ignore_index) {
  auto [loss, total_weight] = ::pe::nll_loss_forward(input, target, weight, reduction, ignore_index);
  if (auto n = make_nll_node(false, input, target, weight, reduction, ignore_index, total_weight))
    set_history(loss, n);
  return {loss, total_weight};
}

Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction,
                int64_t ignore_index) {
  if (!compute_requires_grad({&input})) return ::pe::nll_loss(input, target, weight, reduction, ignore_index);
  const int64_t d = input.dim();
  bool shapes_ok = (d == 3 || d > 4) && target.dim() == d - 1 && target.size(0) == input.size(0);
  for (int64_t i = 2; shapes_ok && i < d; ++i) shapes_ok = target.size(i - 1) == input.size(i);
  if (shapes_ok) {
    // PyTorch's nll_loss_nd: (N, C, d1, ...) is viewed as (N, C, 1, d1*...) for nll_loss2d, and a
    // 'none' result viewed back to (N, d1, ...).
    const int64_t n = input.size(0), c = input.size(1), rest = input.numel() / std::max<int64_t>(n * c, 1);
    Tensor x4 = autograd::view(autograd::contiguous(input), {n, c, 1, input.numel() == 0 ? 0 : rest});
    Tensor t3 = ::pe::reshape(::pe::contiguous(target), {n, 1, input.numel() == 0 ? 0 : rest});
    Tensor r = std::get<0>(autograd::nll_loss_forward(x4, t3, weight, reduction, ignore_index));
    if (reduction != Reduction::None || input.numel() == 0) return r;
    DimVector out_size(target.sizes().begin(), target.sizes().end());
    return autograd::view(r, out_size);
  }
  return std::get<0>(autograd::nll_loss_forward(input, target, weight, reduction, ignore_index));
}

Tensor nll_loss_backward(const Tensor& grad_output, const Tensor& input, const Tensor& target,
                         const Tensor& weight, Reduction reduction, int64_t ignore_index,
                         const Tensor& total_weight) {
  return nll_backward_differentiable(false, grad_output, input, NllArgs{target, weight, total_weight, reduction,
                                                                         ignore_index});
}

Tensor nll_loss_smooth(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction,
                       int64_t ignore_index) {
  Tensor r = ::pe::nll_loss_smooth(input, target, weight, reduction, ignore_index);
  if (auto n = make_nll_node(true, input, target, weight, reduction, ignore_index, Tensor())) set_history(r, n);
  return r;
}

Tensor soft_nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction) {
  if (!compute_requires_grad({&input, &target})) return ::pe::soft_nll_loss(input, target, weight, reduction);
  // The plain op's argument checks (and messages) on an empty stand-in.
  ::pe::soft_nll_loss(shape_proxy(input), shape_proxy(target), weight, reduction);
  return soft_nll_composite(input, target, weight, reduction);
}

Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction,
                     int64_t ignore_index, double label_smoothing) {
  if (!compute_requires_grad({&input, &target}))
    return ::pe::cross_entropy(input, target, weight, reduction, ignore_index, label_smoothing);
  PE_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0,
           "label_smoothing must be between 0.0 and 1.0. Got: ", label_smoothing);
  const int64_t class_dim = input.dim() == 1 ? 0 : 1;
  if (input.sizes() == target.sizes() && input.dim() >= 1) {  // class probabilities
    if (!is_floating(target.dtype()) || ignore_index >= 0)  // the plain op raises PyTorch's errors
      return ::pe::cross_entropy(input, target, weight, reduction, ignore_index, label_smoothing);
    Tensor logp = autograd::log_softmax(input, class_dim);
    Tensor t = target;
    if (label_smoothing > 0.0)
      t = autograd::add(autograd::mul(target, Scalar(1.0 - label_smoothing)),
                        Scalar(label_smoothing / (double)input.size(class_dim)));
    return autograd::soft_nll_loss(logp, t, weight, reduction);
  }
  Tensor logp = autograd::log_softmax(input, class_dim);
  Tensor nll = autograd::nll_loss(logp, target, weight, reduction, ignore_index);
  if (label_smoothing <= 0.0) return nll;
  Tensor smooth = autograd::nll_loss_smooth(logp, target, weight, reduction, ignore_index);
  return autograd::add(autograd::mul(nll, Scalar(1.0 - label_smoothing)),
                       autograd::mul(smooth, Scalar(label_smoothing / (double)input.size(class_dim))));
}

}  // namespace pe::autograd
