// Backward nodes and differentiable wrappers of conv2d (ConvolutionBackward0 and, for create_graph,
// ConvolutionBackwardBackward0), linear (recorded as PyTorch's composite: addmm / mm / matmul with
// its views) and constant padding (ConstantPadNdBackward0).
//
// Note [Conv double backward]: conv2d is bilinear in (input, weight). With gi = Bin(g, w) (the
// transposed convolution), gw = Bw(g, x) and gb = sum(g), pairing with upstream (ggI, ggW, ggB):
//   d/dg = conv(ggI, w) + conv(x, ggW) + ggB,  d/dx = Bin(g, ggW),  d/dw = Bw(g, ggI),
// because <Bin(g, w), x> = <g, conv(x, w)> = <Bw(g, x), w>. Every term is again a conv2d or a
// conv2d_backward, so gradients of any order compose from the same two wrappers.
#include "autograd/autocast.h"
#include "autograd/functions/nn_common.h"
#include "autograd/ops_linalg.h"
#include "core/profiler_hook.h"

namespace pe::autograd {
namespace {

using nn_detail::set_history_slots;

struct ConvParams {
  DimVector stride, padding, dilation;
  int64_t groups = 1;
};

struct ConvolutionBackward0 : Node {
  SavedVariable input_, weight_;
  ConvParams p_;
  std::string name() const override { return "ConvolutionBackward0"; }
  variable_list apply(variable_list&& g) override {
    auto [gi, gw, gb] = autograd::conv2d_backward(g[0], input_.unpack(), weight_.unpack(), p_.stride, p_.padding,
                                                  p_.dilation, p_.groups,
                                                  {should_compute_output(0), should_compute_output(1),
                                                   should_compute_output(2)});
    return {gi, gw, gb};
  }
  void release_variables() override { input_.reset_data(); weight_.reset_data(); }
};

struct ConvolutionBackwardBackward0 : Node {
  SavedVariable grad_output_, input_, weight_;
  ConvParams p_;
  std::array<bool, 3> mask_{};
  std::string name() const override { return "ConvolutionBackwardBackward0"; }
  variable_list apply(variable_list&& gg) override {
    variable_list r(3);
    const Tensor g = grad_output_.unpack(), x = input_.unpack(), w = weight_.unpack();
    if (should_compute_output(0)) {
      Tensor acc;
      auto accumulate = [&acc](const Tensor& t) { acc = acc.defined() ? autograd::add(acc, t) : t; };
      if (mask_[0]) accumulate(autograd::conv2d(gg[0], w, Tensor(), p_.stride, p_.padding, p_.dilation, p_.groups));
      if (mask_[1]) accumulate(autograd::conv2d(x, gg[1], Tensor(), p_.stride, p_.padding, p_.dilation, p_.groups));
      if (mask_[2])
        accumulate(autograd::expand(autograd::view(gg[2], {gg[2].size(0), 1, 1}), g.sizes()));
      r[0] = acc;
    }
    if (should_compute_output(1) && mask_[1])
      r[1] = std::get<0>(autograd::conv2d_backward(g, x, gg[1], p_.stride, p_.padding, p_.dilation, p_.groups,
                                                   {true, false, false}));
    if (should_compute_output(2) && mask_[0])
      r[2] = std::get<1>(autograd::conv2d_backward(g, gg[0], w, p_.stride, p_.padding, p_.dilation, p_.groups,
                                                   {false, true, false}));
    return r;
  }
  void release_variables() override {
    grad_output_.reset_data();
    input_.reset_data();
    weight_.reset_data();
  }
};

struct ConstantPadNdBackward0 : Node {
  DimVector pad_;
  std::string name() const override { return "ConstantPadNdBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (!should_compute_output(0)) return r;
    DimVector neg(pad_.size());
    for (size_t i = 0; i < pad_.size(); ++i) neg[i] = -pad_[i];
    r[0] = autograd::constant_pad_nd(g[0], neg, Scalar(0.0));
    return r;
  }
};

}  // namespace

std::tuple<Tensor, Tensor, Tensor> conv2d_backward(const Tensor& grad_output, const Tensor& input,
                                                   const Tensor& weight, const DimVector& stride,
                                                   const DimVector& padding, const DimVector& dilation,
                                                   int64_t groups, std::array<bool, 3> output_mask) {
  Tensor gi, gw, gb;
  if (output_mask[0])
    gi = ::pe::conv2d_backward_input(grad_output, weight, input.sizes(), stride, padding, dilation, groups);
  if (output_mask[1])
    gw = ::pe::conv2d_backward_weight(grad_output, input, weight.sizes(), stride, padding, dilation, groups);
  if (output_mask[2]) gb = ::pe::conv2d_backward_bias(grad_output);
  if (auto n = make_node<ConvolutionBackwardBackward0>({&grad_output, &input, &weight})) {
    n->grad_output_ = SavedVariable(grad_output, false);
    n->input_ = SavedVariable(input, false);
    n->weight_ = SavedVariable(weight, false);
    n->p_ = ConvParams{stride, padding, dilation, groups};
    n->mask_ = output_mask;
    set_history_slots({gi, gw, gb}, n);
  }
  return {gi, gw, gb};
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const DimVector& stride,
              const DimVector& padding, const DimVector& dilation, int64_t groups) {
  if (autocast::active())
    return autocast::lower(&autograd::conv2d, input, weight, bias, stride, padding, dilation, groups);
  if (input.dim() == 3 && compute_requires_grad({&input, &weight, &bias})) {
    // Unbatched input: PyTorch records unsqueeze(0) -> convolution -> squeeze(0).
    Tensor r = autograd::conv2d(autograd::unsqueeze(input, 0), weight, bias, stride, padding, dilation, groups);
    return autograd::squeeze(r, DimVector{0});
  }
  Tensor r = ::pe::conv2d(input, weight, bias, stride, padding, dilation, groups);
  if (auto n = make_node<ConvolutionBackward0>({&input, &weight, nn_detail::opt_ptr(bias)})) {
    n->input_ = SavedVariable(input, false);
    n->weight_ = SavedVariable(weight, false);
    n->p_ = ConvParams{stride, padding, dilation, groups};
    set_history(r, n);
  }
  return r;
}

Tensor conv2d_padding(const Tensor& input, const Tensor& weight, const Tensor& bias, const DimVector& stride,
                      const std::string& padding, const DimVector& dilation, int64_t groups) {
  if (autocast::active())
    return autocast::lower(&autograd::conv2d_padding, input, weight, bias, stride, padding, dilation, groups);
  if (!compute_requires_grad({&input, &weight, &bias}) || padding != "same" || weight.dim() != 4 ||
      stride.size() != 2 || dilation.size() != 2)
    return padding == "valid" ? autograd::conv2d(input, weight, bias, stride, {0, 0}, dilation, groups)
                              : ::pe::conv2d_padding(input, weight, bias, stride, padding, dilation, groups);
  for (int64_t s : stride) PE_CHECK(s == 1, "padding='same' is not supported for strided convolutions");
  // As the plain op: total padding d * (k - 1); an odd total puts the extra element at the end.
  DimVector left(2), extra(2);
  for (int i = 0; i < 2; ++i) {
    const int64_t total = dilation[i] * (weight.size(2 + i) - 1);
    left[i] = total / 2;
    extra[i] = total - 2 * left[i];
  }
  Tensor x = input;
  if (extra[0] || extra[1]) x = autograd::constant_pad_nd(input, {0, extra[1], 0, extra[0]}, Scalar(0.0));
  return autograd::conv2d(x, weight, bias, stride, left, dilation, groups);
}

// PyTorch's composite linear: addmm for a 2-D input with bias (a contiguous input of other ranks is
// viewed to 2-D around it), otherwise matmul with weight.t() and an added bias.
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  profiler::RecordScope scope("aten::linear", {&input, &weight, &bias});
  if (autocast::active()) return autocast::lower(&autograd::linear, input, weight, bias);
  if (!compute_requires_grad({&input, &weight, &bias})) return ::pe::linear(input, weight, bias);
  // The plain op's shape and dtype checks (and messages), without running it.
  PE_CHECK(input.dim() >= 1, "linear: input must have at least 1 dimension, got a 0-d tensor");
  PE_CHECK(weight.dim() == 1 || weight.dim() == 2, "linear: weight must be 1-D or 2-D, but got size ",
           weight.sizes());
  const int64_t k = input.size(-1), wk = weight.size(-1), wn = weight.dim() == 2 ? weight.size(0) : 1;
  if (input.dim() == 1)
    PE_CHECK(k == wk, "size mismatch, got input (", k, "), mat (", weight.dim() == 2 ? str(wn, "x", wk) : str(wk),
             "), vec (", k, ")");
  else
    PE_CHECK(k == wk, "mat1 and mat2 shapes cannot be multiplied (", input.numel() / std::max<int64_t>(k, 1), "x",
             k, " and ", wk, "x", wn, ")");
  PE_CHECK(input.dtype() == weight.dtype(), "expected m1 and m2 to have the same dtype, but got: ",
           cpp_type_name(input.dtype()), " != ", cpp_type_name(weight.dtype()));
  if (weight.dim() == 2 && bias.defined()) {
    const Scalar one(int64_t(1));
    if (input.dim() == 2) return autograd::addmm(bias, input, autograd::t(weight), one, one);
    if (input.is_contiguous()) {
      DimVector out_sizes(input.sizes().begin(), input.sizes().end() - 1);
      int64_t m = 1;
      for (int64_t s : out_sizes) m *= s;
      out_sizes.push_back(weight.size(0));
      Tensor r = autograd::addmm(bias, autograd::view(input, {m, k}), autograd::t(weight), one, one);
      return autograd::view(r, out_sizes);
    }
  }
  Tensor out = autograd::matmul(input, weight.dim() == 2 ? autograd::t(weight) : weight);
  return bias.defined() ? autograd::add(out, bias) : out;
}

Tensor constant_pad_nd(const Tensor& input, const DimVector& pad, const Scalar& value) {
  Tensor r = ::pe::constant_pad_nd(input, pad, value);
  if (auto n = make_node<ConstantPadNdBackward0>({&input})) {
    n->pad_ = pad;
    set_history(r, n);
  }
  return r;
}

Tensor pad(const Tensor& input, const DimVector& pad, const std::string& mode, std::optional<double> value) {
  if (mode != "constant" || !compute_requires_grad({&input})) return ::pe::pad(input, pad, mode, value);
  return autograd::constant_pad_nd(input, pad, Scalar(value.value_or(0.0)));
}

}  // namespace pe::autograd
