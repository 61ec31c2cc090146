// Backward nodes and differentiable wrappers of the elementwise losses: mse_loss (MseLossBackward0),
// smooth_l1_loss (SmoothL1LossBackward0), binary_cross_entropy[_with_logits] (their *Backward0
// nodes, gradients for input and target) and l1_loss / weighted mse, which PyTorch composes from
// elementwise ops (so their grad_fn is MeanBackward0, SumBackward0, DivBackward0, ...). A plain
// backward uses the loss kernels' backward; a recorded one (create_graph) composes the formula of
// differentiable ops (PyTorch's formulas, with the elementwise family's abs/log/sigmoid), so
// higher-order gradients work for every loss.
#include "autograd/functions/nn_common.h"
#include "autograd/ops_elementwise.h"

namespace pe::autograd {
namespace {

Tensor reduce_loss(const Tensor& l, Reduction r) {
  switch (r) {
    case Reduction::None: return l;
    case Reduction::Sum: return autograd::sum(l);
    case Reduction::Mean: return autograd::mean(l);
  }
  return l;
}

Tensor one_minus(const Tensor& x) { return autograd::rsub(x, Scalar(int64_t(1))); }

enum class PointKind { Mse, SmoothL1, Bce, BceLogits };

const char* point_name(PointKind k) {
  switch (k) {
    case PointKind::Mse: return "MseLossBackward0";
    case PointKind::SmoothL1: return "SmoothL1LossBackward0";
    case PointKind::Bce: return "BinaryCrossEntropyBackward0";
    case PointKind::BceLogits: return "BinaryCrossEntropyWithLogitsBackward0";
  }
  return "";
}

struct PointLossBackward : Node {
  PointKind kind_;
  SavedVariable input_, target_;
  Tensor weight_, pos_weight_;
  InputMeta input_info_, target_info_;
  Reduction reduction_ = Reduction::Mean;
  double beta_ = 1.0;
  explicit PointLossBackward(PointKind k) : kind_(k) {}
  std::string name() const override { return point_name(kind_); }

  // d loss / d input in the broadcast shape, already multiplied by g (and 1/numel for 'mean').
  Tensor grad_input(const Tensor& g, const Tensor& x, const Tensor& t) const {
    const bool recorded = GradMode::is_enabled() && compute_requires_grad({&g, &x, &t});
    switch (kind_) {
      case PointKind::Mse:
        if (!recorded) return ::pe::mse_loss_backward(g, x, t, reduction_);
        return scale(autograd::mul(autograd::mul(autograd::sub(x, t), Scalar(2.0)), g));
      case PointKind::SmoothL1: {
        if (!recorded) return ::pe::smooth_l1_loss_backward(g, x, t, reduction_, beta_);
        // d/dd: d / beta inside |d| < beta, sign(d) outside; only the inside part depends on d.
        const Tensor d = autograd::sub(x, t);
        const Tensor inside = ::pe::lt(::pe::abs(d), Scalar(beta_));
        const Tensor lin = beta_ > 0 ? ::pe::div(::pe::to(inside, d.dtype(), std::nullopt), Scalar(beta_))
                                     : ::pe::zeros(d.sizes(), TensorOptions{d.dtype(), d.device()});
        const Tensor outside = ::pe::mul(::pe::sign(d), ::pe::logical_not(inside));
        return scale(autograd::mul(autograd::add(autograd::mul(d, lin), outside), g));
      }
      case PointKind::Bce: {
        if (!recorded) return ::pe::binary_cross_entropy_backward(g, x, t, weight_, reduction_);
        // PyTorch's formula: g * (x - t) / clamp_min((1 - x) * x, 1e-12) [* weight]
        Tensor denom = autograd::mul(one_minus(x), x);
        const Tensor keep = ::pe::ge(denom, Scalar(1e-12));
        denom = autograd::add(autograd::mul(denom, ::pe::to(keep, denom.dtype(), std::nullopt)),
                              ::pe::mul(::pe::to(::pe::logical_not(keep), denom.dtype(), std::nullopt), Scalar(1e-12)));
        Tensor gi = autograd::div(autograd::mul(autograd::sub(x, t), g), denom);
        return scale(weight_.defined() ? autograd::mul(gi, weight_) : gi);
      }
      case PointKind::BceLogits: {
        if (!recorded)
          return ::pe::binary_cross_entropy_with_logits_backward(g, x, t, weight_, pos_weight_, reduction_);
        // (sigmoid(x) * (pos_weight * t + 1 - t) - pos_weight * t) * g, or (sigmoid(x) - t) * g
        const Tensor sg = autograd::sigmoid(x);
        Tensor d;
        if (pos_weight_.defined()) {
          const Tensor pt = autograd::mul(pos_weight_, t);
          d = autograd::sub(autograd::mul(autograd::add(pt, one_minus(t)), sg), pt);
        } else {
          d = autograd::sub(sg, t);
        }
        Tensor gi = autograd::mul(d, g);
        return scale(weight_.defined() ? autograd::mul(gi, weight_) : gi);
      }
    }
    return Tensor();
  }

  // 'mean' divides by the number of (broadcast) elements.
  Tensor scale(const Tensor& gi) const {
    return reduction_ == Reduction::Mean ? autograd::div(gi, Scalar((double)gi.numel())) : gi;
  }

  // d loss / d target for the BCE losses (PyTorch's *_target_backward formulas), broadcast shape:
  // -logit(x) for BCE; -x, or log(1 - sigmoid(x)) - pos_weight * log(sigmoid(x)), with logits.
  Tensor grad_target_bce(const Tensor& g, const Tensor& x, const Tensor& t) const {
    const bool recorded = GradMode::is_enabled() && compute_requires_grad({&g, &x, &t});
    Tensor gt;
    if (recorded) {
      if (kind_ == PointKind::Bce) {
        gt = autograd::sub(autograd::log(one_minus(x)), autograd::log(x));
      } else if (pos_weight_.defined()) {
        const Tensor sg = autograd::sigmoid(x);
        gt = autograd::sub(autograd::log(one_minus(sg)), autograd::mul(pos_weight_, autograd::log(sg)));
      } else {
        gt = autograd::neg(x);
      }
      gt = autograd::mul(gt, g);
      if (weight_.defined()) gt = autograd::mul(gt, weight_);
      return scale(gt);
    }
    if (kind_ == PointKind::Bce) {
      gt = ::pe::neg(::pe::log(::pe::div(x, ::pe::rsub(x, Scalar(int64_t(1)), Scalar(int64_t(1))))));
    } else if (pos_weight_.defined()) {
      const Tensor s = ::pe::sigmoid(x);
      gt = ::pe::sub(::pe::log(::pe::rsub(s, Scalar(int64_t(1)), Scalar(int64_t(1)))),
                     ::pe::mul(pos_weight_, ::pe::log(s)));
    } else {
      gt = ::pe::neg(x);
    }
    gt = ::pe::mul(gt, g);
    if (weight_.defined()) gt = ::pe::mul(gt, weight_);
    if (reduction_ == Reduction::Mean) gt = ::pe::div(gt, Scalar((double)gt.numel()));
    return gt;
  }

  variable_list apply(variable_list&& grads) override {
    variable_list r(2);
    const Tensor x = input_.unpack(), t = target_.unpack();
    const bool bce = kind_ == PointKind::Bce || kind_ == PointKind::BceLogits;
    Tensor gi;
    if (should_compute_output(0) || (!bce && should_compute_output(1))) gi = grad_input(grads[0], x, t);
    if (should_compute_output(0)) r[0] = reduce_grad(gi, input_info_);
    if (should_compute_output(1))
      r[1] = reduce_grad(bce ? grad_target_bce(grads[0], x, t) : autograd::neg(gi), target_info_);
    return r;
  }
  void release_variables() override {
    input_.reset_data();
    target_.reset_data();
  }
};

Tensor record_point(PointKind k, Tensor r, const Tensor& input, const Tensor& target, const Tensor& weight,
                    const Tensor& pos_weight, Reduction reduction, double beta) {
  if (auto n = make_node<PointLossBackward>({&input, &target}, k)) {
    n->input_ = SavedVariable(input, false);
    n->target_ = SavedVariable(target, false);
    n->weight_ = weight;
    n->pos_weight_ = pos_weight;
    n->input_info_ = input_info(input);
    n->target_info_ = input_info(target);
    n->reduction_ = reduction;
    n->beta_ = beta;
    set_history(r, n);
  }
  return r;
}

// weight * loss reduced as PyTorch's weighted mse/l1: 'mean' is sum(weight * loss) / sum(weight).
Tensor weighted_reduce(const Tensor& l, const Tensor& weight, Reduction r) {
  const Tensor wl = autograd::mul(l, weight);
  switch (r) {
    case Reduction::None: return wl;
    case Reduction::Sum: return autograd::sum(wl);
    case Reduction::Mean: return autograd::div(autograd::sum(wl), autograd::sum(weight));
  }
  return wl;
}

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction, const Tensor& weight) {
  if (!compute_requires_grad({&input, &target, &weight})) return ::pe::mse_loss(input, target, reduction, weight);
  if (weight.defined()) {
    ::pe::mse_loss(input, target, reduction, weight);  // argument checks with the plain op's messages
    const Tensor d = autograd::sub(input, target);
    return weighted_reduce(autograd::mul(d, d), weight, reduction);
  }
  return record_point(PointKind::Mse, ::pe::mse_loss(input, target, reduction), input, target, Tensor(), Tensor(),
                      reduction, 0.0);
}

// PyTorch composes l1_loss: (input - target).abs() then mean / sum (or weighted).
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, const Tensor& weight) {
  if (!compute_requires_grad({&input, &target, &weight})) return ::pe::l1_loss(input, target, reduction, weight);
  ::pe::l1_loss(nn_detail::shape_proxy(input), nn_detail::shape_proxy(target), reduction, weight);  // checks
  const Tensor a = autograd::abs(autograd::sub(input, target));
  return weight.defined() ? weighted_reduce(a, weight, reduction) : reduce_loss(a, reduction);
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, double beta) {
  // PyTorch computes beta == 0 as l1_loss (so the graph is l1's composite).
  if (beta == 0.0 && compute_requires_grad({&input, &target})) return autograd::l1_loss(input, target, reduction);
  return record_point(PointKind::SmoothL1, ::pe::smooth_l1_loss(input, target, reduction, beta), input, target,
                      Tensor(), Tensor(), reduction, beta);
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction) {
  return record_point(PointKind::Bce, ::pe::binary_cross_entropy(input, target, weight, reduction), input, target,
                      weight, Tensor(), reduction, 0.0);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        const Tensor& pos_weight, Reduction reduction) {
  return record_point(PointKind::BceLogits,
                      ::pe::binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction), input,
                      target, weight, pos_weight, reduction, 0.0);
}

}  // namespace pe::autograd
