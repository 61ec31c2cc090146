// Backward nodes and differentiable wrappers of batch_norm / layer_norm (NativeBatchNormBackward0,
// NativeLayerNormBackward0, on the native_*_backward kernels; the running statistics are updated by
// the plain op and never recorded) and dropout, which PyTorch records as input * noise
// (MulBackward0) with noise = mask / (1 - p). A recorded backward (create_graph) of the
// normalizations is composed of differentiable ops (Note [Normalization double backward]).
#include "autograd/functions/nn_common.h"

namespace pe::autograd {
namespace {

// rsqrt with its own node (RsqrtBackward0): d/dx x^(-1/2) = -1/2 r^3, written with the saved result
// so that it is differentiable again.
struct RsqrtBackward0 : Node {
  SavedVariable result_;
  std::string name() const override { return "RsqrtBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (!should_compute_output(0)) return r;
    const Tensor res = result_.unpack();
    r[0] = autograd::mul(g[0], autograd::mul(autograd::mul(res, autograd::mul(res, res)), Scalar(-0.5)));
    return r;
  }
  void release_variables() override { result_.reset_data(); }
};

Tensor rsqrt_differentiable(const Tensor& x) {
  Tensor r = ::pe::rsqrt(x);
  if (auto n = make_node<RsqrtBackward0>({&x})) {
    n->result_ = SavedVariable(r, true);
    set_history(r, n);
  }
  return r;
}

// Note [Normalization double backward]: when the backward itself is recorded (create_graph), the
// gradients are composed of differentiable ops from the saved input, with the statistics recomputed
// from it (they depend on x):
//   xhat = (x - mean) * invstd,  g' = g * weight,
//   gi = invstd * (g' - mean(g') - xhat * mean(g' * xhat))   (statistics of the batch)
//   gi = g' * invstd                                          (fixed running statistics)
//   gw = sum(g * xhat),  gb = sum(g)
// with the means over the normalized dims R (batch norm: all but the channel dim; layer norm: the
// trailing normalized dims) and the parameter sums over the other dims.
std::tuple<Tensor, Tensor, Tensor> norm_backward_composed(const Tensor& g, const Tensor& x, const Tensor& w_view,
                                                          const DimVector& R, const DimVector& P,
                                                          const Tensor& fixed_mean, const Tensor& fixed_invstd,
                                                          double eps, std::array<bool, 3> mask) {
  Tensor mean = fixed_mean, invstd = fixed_invstd;
  const bool batch_stats = !fixed_mean.defined();
  if (batch_stats) mean = autograd::mean(x, R, true);
  const Tensor xc = autograd::sub(x, mean);
  if (batch_stats) invstd = rsqrt_differentiable(autograd::add(autograd::mean(autograd::mul(xc, xc), R, true), Scalar(eps)));
  const Tensor xhat = autograd::mul(xc, invstd);
  Tensor gi, gw, gb;
  auto param_sum = [&P](const Tensor& t) { return P.empty() ? t : autograd::sum(t, P); };
  if (mask[0]) {
    const Tensor gp = w_view.defined() ? autograd::mul(g, w_view) : g;
    if (batch_stats) {
      Tensor inner = autograd::sub(autograd::sub(gp, autograd::mean(gp, R, true)),
                                   autograd::mul(xhat, autograd::mean(autograd::mul(gp, xhat), R, true)));
      gi = autograd::mul(invstd, inner);
    } else {
      gi = autograd::mul(gp, invstd);
    }
  }
  if (mask[1]) gw = param_sum(autograd::mul(g, xhat));
  if (mask[2]) gb = param_sum(g);
  return {gi, gw, gb};
}

struct NativeBatchNormBackward0 : Node {
  SavedVariable input_, weight_;
  Tensor running_mean_, running_var_, save_mean_, save_invstd_;
  bool training_ = true;
  double eps_ = 1e-5;
  std::string name() const override { return "NativeBatchNormBackward0"; }
  variable_list apply(variable_list&& g) override {
    const Tensor x = input_.unpack(), w = weight_.unpack();
    const std::array<bool, 3> mask{should_compute_output(0), should_compute_output(1) && w.defined(),
                                   should_compute_output(2)};
    if (GradMode::is_enabled() && x.dim() >= 2) {  // Note [Normalization double backward]
      DimVector R{0}, pshape(x.dim(), 1);
      for (int64_t d = 2; d < x.dim(); ++d) R.push_back(d);
      pshape[1] = x.size(1);
      Tensor fm, fi;
      if (!training_ && running_mean_.defined()) {
        fm = ::pe::view(running_mean_, pshape);
        fi = ::pe::view(::pe::rsqrt(::pe::add(running_var_, Scalar(eps_))), pshape);
      }
      auto [gi, gw, gb] = norm_backward_composed(g[0], x, w.defined() ? autograd::view(w, pshape) : Tensor(), R,
                                                 R, fm, fi, eps_, mask);
      return {gi, gw, gb};
    }
    auto [gi, gw, gb] = ::pe::native_batch_norm_backward(g[0], x, w, running_mean_, running_var_, save_mean_,
                                                         save_invstd_, training_, eps_, mask);
    return {gi, gw, gb};
  }
  void release_variables() override {
    input_.reset_data();
    weight_.reset_data();
    save_mean_ = save_invstd_ = Tensor();
  }
};

struct NativeLayerNormBackward0 : Node {
  SavedVariable input_, weight_, bias_;
  Tensor mean_, rstd_;
  DimVector normalized_shape_;
  double eps_ = 1e-5;
  std::string name() const override { return "NativeLayerNormBackward0"; }
  variable_list apply(variable_list&& g) override {
    const Tensor x = input_.unpack(), w = weight_.unpack(), b = bias_.unpack();
    const std::array<bool, 3> mask{should_compute_output(0), should_compute_output(1) && w.defined(),
                                   should_compute_output(2) && b.defined()};
    if (GradMode::is_enabled()) {  // Note [Normalization double backward]
      const int64_t k = (int64_t)normalized_shape_.size(), lead = x.dim() - k;
      DimVector R, P;
      for (int64_t d = 0; d < x.dim(); ++d) (d < lead ? P : R).push_back(d);
      auto [gi, gw, gb] = norm_backward_composed(g[0], x, w, R, P, Tensor(), Tensor(), eps_, mask);
      return {gi, gw, gb};
    }
    auto [gi, gw, gb] = ::pe::native_layer_norm_backward(g[0], x, normalized_shape_, mean_, rstd_, w, b, mask);
    return {gi, gw, gb};
  }
  void release_variables() override {
    input_.reset_data();
    weight_.reset_data();
    bias_.reset_data();
    mean_ = rstd_ = Tensor();
  }
};

// The dropout noise: mask / (1 - p) in the input's dtype (all zeros for p == 1).
Tensor dropout_noise(const Tensor& input, double p) {
  if (p >= 1.0) return ::pe::zeros(input.sizes(), TensorOptions{input.dtype(), input.device()});
  Tensor mask = std::get<1>(::pe::native_dropout(input, p, true));
  return ::pe::mul(::pe::to(mask, input.dtype(), std::nullopt), Scalar(1.0 / (1.0 - p)));
}

}  // namespace

std::tuple<Tensor, Tensor, Tensor> native_batch_norm(const Tensor& input, const Tensor& weight, const Tensor& bias,
                                                     const Tensor& running_mean, const Tensor& running_var,
                                                     bool training, double momentum, double eps) {
  auto [out, save_mean, save_invstd] =
      ::pe::native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps);
  if (auto n = make_node<NativeBatchNormBackward0>({&input, nn_detail::opt_ptr(weight), nn_detail::opt_ptr(bias)})) {
    n->input_ = SavedVariable(input, false);
    n->weight_ = SavedVariable(weight, false);
    // Eval mode normalizes with the running statistics as they are now: keep a copy, since a later
    // training-mode call updates them in place.
    n->running_mean_ = training || !running_mean.defined() ? running_mean : ::pe::clone(running_mean);
    n->running_var_ = training || !running_var.defined() ? running_var : ::pe::clone(running_var);
    n->save_mean_ = save_mean;
    n->save_invstd_ = save_invstd;
    n->training_ = training;
    n->eps_ = eps;
    set_history(out, n);
  }
  return {out, save_mean, save_invstd};
}

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
  if (!compute_requires_grad({&input, &weight, &bias}))
    return ::pe::batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps);
  return std::get<0>(
      autograd::native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps));
}

std::tuple<Tensor, Tensor, Tensor> native_layer_norm(const Tensor& input, const DimVector& normalized_shape,
                                                     const Tensor& weight, const Tensor& bias, double eps) {
  auto [out, mean, rstd] = ::pe::native_layer_norm(input, normalized_shape, weight, bias, eps);
  if (auto n = make_node<NativeLayerNormBackward0>({&input, nn_detail::opt_ptr(weight), nn_detail::opt_ptr(bias)})) {
    n->input_ = SavedVariable(input, false);
    n->weight_ = SavedVariable(weight, false);
    n->bias_ = SavedVariable(bias, false);
    n->mean_ = mean;
    n->rstd_ = rstd;
    n->normalized_shape_ = normalized_shape;
    n->eps_ = eps;
    set_history(out, n);
  }
  return {out, mean, rstd};
}

Tensor layer_norm(const Tensor& input, const DimVector& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps) {
  if (!compute_requires_grad({&input, &weight, &bias}))
    return ::pe::layer_norm(input, normalized_shape, weight, bias, eps);
  return std::get<0>(autograd::native_layer_norm(input, normalized_shape, weight, bias, eps));
}

// native_dropout records input * noise too (its mask output is not differentiable).
std::tuple<Tensor, Tensor> native_dropout(const Tensor& input, double p, bool train) {
  if (!compute_requires_grad({&input})) return ::pe::native_dropout(input, p, train);
  auto [out, mask] = ::pe::native_dropout(input, p, train);
  if (!train) return {autograd::clone(input), mask};
  Tensor noise = p >= 1.0 ? ::pe::zeros(input.sizes(), TensorOptions{input.dtype(), input.device()})
                          : ::pe::mul(::pe::to(mask, input.dtype(), std::nullopt), Scalar(1.0 / (1.0 - p)));
  return {autograd::mul(input, noise), mask};
}

Tensor dropout(const Tensor& input, double p, bool train) {
  if (!train || p == 0.0 || input.numel() == 0 || !compute_requires_grad({&input}))
    return ::pe::dropout(input, p, train);  // the input itself when there is nothing to drop
  ::pe::dropout(nn_detail::shape_proxy(DimVector{0}, input.dtype(), input.device()), p, train);  // p checks
  return autograd::mul(input, dropout_noise(input, p));
}

Tensor& dropout_(Tensor& input, double p, bool train) {
  if (!train || p == 0.0 || input.numel() == 0 || !compute_requires_grad({&input}))
    return ::pe::dropout_(input, p, train);
  ::pe::dropout(nn_detail::shape_proxy(DimVector{0}, input.dtype(), input.device()), p, train);
  return autograd::mul_(input, dropout_noise(input, p));
}

}  // namespace pe::autograd
