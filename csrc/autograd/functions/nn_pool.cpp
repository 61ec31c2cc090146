// Backward nodes and differentiable wrappers of pooling (max/avg/adaptive avg) and softmax /
// log_softmax. The pooling backwards are linear in grad_output, so their own derivative (create_graph)
// is the matching forward-direction map: avg_pool2d for avg_pool2d_backward, a gather at the saved
// indices for max_pool2d_backward (and that gather's derivative is max_pool2d_backward again).
// Softmax backwards run the kernels for a plain backward and are composed of differentiable ops
// when the backward itself is recorded.
#include "autograd/functions/nn_common.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_select.h"
#include "ops/select.h"

namespace pe::autograd {
namespace {

using nn_detail::shape_proxy;

struct AvgParams {
  DimVector kernel, stride, padding;
  bool ceil_mode = false, count_include_pad = true;
  std::optional<int64_t> divisor;
};

// ---- max pool ----
// out[p, o] = gg[p, indices[p, o]]: the adjoint of the scatter max_pool2d_backward does, composed of
// differentiable ops as PyTorch's max_pool_double_backward (its own derivative is a scatter-add,
// which is max_pool2d_backward again).
Tensor max_pool2d_gather(const Tensor& gg, const Tensor& indices) {
  const Tensor flat = autograd::flatten(autograd::contiguous(gg), -2, -1);
  const Tensor gathered = autograd::gather(flat, -1, ::pe::flatten(::pe::contiguous(indices), -2, -1));
  return autograd::view(gathered, indices.sizes());
}

struct MaxPool2DWithIndicesBackward0 : Node {
  Tensor input_proxy_, indices_;
  std::string name() const override { return "MaxPool2DWithIndicesBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (should_compute_output(0)) r[0] = autograd::max_pool2d_backward(g[0], input_proxy_, indices_);
    return r;
  }
  void release_variables() override { indices_ = Tensor(); }
};

struct MaxPool2DWithIndicesBackwardBackward0 : Node {
  Tensor input_proxy_, indices_;
  std::string name() const override { return "MaxPool2DWithIndicesBackwardBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);  // (grad_output, input): the result does not depend on input's values
    if (should_compute_output(0)) r[0] = max_pool2d_gather(g[0], indices_);
    return r;
  }
};

// ---- avg pools ----
struct AvgPool2DBackward0 : Node {
  Tensor input_proxy_;
  AvgParams p_;
  std::string name() const override { return "AvgPool2DBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (should_compute_output(0))
      r[0] = autograd::avg_pool2d_backward(g[0], input_proxy_, p_.kernel, p_.stride, p_.padding, p_.ceil_mode,
                                           p_.count_include_pad, p_.divisor);
    return r;
  }
};

struct AvgPool2DBackwardBackward0 : Node {
  AvgParams p_;
  std::string name() const override { return "AvgPool2DBackwardBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    if (should_compute_output(0))
      r[0] = autograd::avg_pool2d(g[0], p_.kernel, p_.stride, p_.padding, p_.ceil_mode, p_.count_include_pad,
                                  p_.divisor);
    return r;
  }
};

struct AdaptiveAvgPool2DBackward0 : Node {
  Tensor input_proxy_;
  std::string name() const override { return "AdaptiveAvgPool2DBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (should_compute_output(0)) r[0] = autograd::adaptive_avg_pool2d_backward(g[0], input_proxy_);
    return r;
  }
};

struct AdaptiveAvgPool2DBackwardBackward0 : Node {
  DimVector out_size_;
  std::string name() const override { return "AdaptiveAvgPool2DBackwardBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    if (should_compute_output(0)) r[0] = autograd::adaptive_avg_pool2d(g[0], out_size_);
    return r;
  }
};

// ---- softmax ----
struct SoftmaxBackward : Node {
  SavedVariable result_;
  int64_t dim_;
  bool log_;
  SoftmaxBackward(int64_t dim, bool log) : dim_(dim), log_(log) {}
  std::string name() const override { return log_ ? "LogSoftmaxBackward0" : "SoftmaxBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(1);
    if (!should_compute_output(0)) return r;
    r[0] = log_ ? autograd::log_softmax_backward(g[0], result_.unpack(), dim_)
                : autograd::softmax_backward(g[0], result_.unpack(), dim_);
    return r;
  }
  void release_variables() override { result_.reset_data(); }
};

Tensor softmax_impl(const Tensor& input, int64_t dim, std::optional<DType> dtype, bool log) {
  if (dtype && *dtype != input.dtype() && compute_requires_grad({&input}))
    return softmax_impl(autograd::to(input, dtype, std::nullopt), dim, std::nullopt, log);  // ToCopyBackward0
  Tensor r = log ? ::pe::log_softmax(input, dim, dtype) : ::pe::softmax(input, dim, dtype);
  if (auto n = make_node<SoftmaxBackward>({&input}, dim, log)) {
    n->result_ = SavedVariable(r, true);
    set_history(r, n);
  }
  return r;
}

}  // namespace

std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, const DimVector& kernel_size,
                                                   const DimVector& stride, const DimVector& padding,
                                                   const DimVector& dilation, bool ceil_mode) {
  auto [out, idx] = ::pe::max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode);
  if (auto n = make_node<MaxPool2DWithIndicesBackward0>({&input})) {
    n->input_proxy_ = shape_proxy(input);
    n->indices_ = idx;
    set_history(out, n);
  }
  return {out, idx};
}

Tensor max_pool2d(const Tensor& input, const DimVector& kernel_size, const DimVector& stride,
                  const DimVector& padding, const DimVector& dilation, bool ceil_mode) {
  if (!compute_requires_grad({&input})) return ::pe::max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode);
  return std::get<0>(autograd::max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode));
}

Tensor max_pool2d_backward(const Tensor& grad_output, const Tensor& input, const Tensor& indices) {
  Tensor r = ::pe::max_pool2d_backward(grad_output, input, indices);
  if (auto n = make_node<MaxPool2DWithIndicesBackwardBackward0>({&grad_output, &input})) {
    n->input_proxy_ = shape_proxy(input);
    n->indices_ = indices;
    set_history(r, n);
  }
  return r;
}

Tensor avg_pool2d(const Tensor& input, const DimVector& kernel_size, const DimVector& stride,
                  const DimVector& padding, bool ceil_mode, bool count_include_pad,
                  std::optional<int64_t> divisor_override) {
  Tensor r = ::pe::avg_pool2d(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override);
  if (auto n = make_node<AvgPool2DBackward0>({&input})) {
    n->input_proxy_ = shape_proxy(input);
    n->p_ = AvgParams{kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override};
    set_history(r, n);
  }
  return r;
}

Tensor avg_pool2d_backward(const Tensor& grad_output, const Tensor& input, const DimVector& kernel_size,
                           const DimVector& stride, const DimVector& padding, bool ceil_mode,
                           bool count_include_pad, std::optional<int64_t> divisor_override) {
  Tensor r = ::pe::avg_pool2d_backward(grad_output, input, kernel_size, stride, padding, ceil_mode,
                                       count_include_pad, divisor_override);
  if (auto n = make_node<AvgPool2DBackwardBackward0>({&grad_output, &input})) {
    n->p_ = AvgParams{kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override};
    set_history(r, n);
  }
  return r;
}

Tensor adaptive_avg_pool2d(const Tensor& input, const DimVector& output_size) {
  // PyTorch takes the mean over H, W for a 1x1 output (MeanBackward1); invalid inputs go to the plain
  // op for its errors.
  if (output_size.size() == 2 && output_size[0] == 1 && output_size[1] == 1 &&
      (input.dim() == 3 || input.dim() == 4) && input.size(-1) > 0 && input.size(-2) > 0 &&
      compute_requires_grad({&input}))
    return autograd::mean(input, DimVector{-1, -2}, true);
  Tensor r = ::pe::adaptive_avg_pool2d(input, output_size);
  if (auto n = make_node<AdaptiveAvgPool2DBackward0>({&input})) {
    n->input_proxy_ = shape_proxy(input);
    set_history(r, n);
  }
  return r;
}

Tensor adaptive_avg_pool2d_backward(const Tensor& grad_output, const Tensor& input) {
  Tensor r = ::pe::adaptive_avg_pool2d_backward(grad_output, input);
  if (auto n = make_node<AdaptiveAvgPool2DBackwardBackward0>({&grad_output, &input})) {
    n->out_size_ = DimVector{grad_output.size(-2), grad_output.size(-1)};
    set_history(r, n);
  }
  return r;
}

Tensor softmax(const Tensor& input, int64_t dim, std::optional<DType> dtype) {
  return softmax_impl(input, dim, dtype, false);
}
Tensor log_softmax(const Tensor& input, int64_t dim, std::optional<DType> dtype) {
  return softmax_impl(input, dim, dtype, true);
}

// grad_input = y * (g - sum(g * y, dim)); composed when recorded (create_graph), the kernel otherwise.
Tensor softmax_backward(const Tensor& grad_output, const Tensor& output, int64_t dim) {
  if (!compute_requires_grad({&grad_output, &output})) return ::pe::softmax_backward(grad_output, output, dim);
  const Tensor gy = autograd::mul(grad_output, output);
  return autograd::sub(gy, autograd::mul(output, autograd::sum(gy, DimVector{dim}, true)));
}

// grad_input = g - exp(y) * sum(g, dim)
Tensor log_softmax_backward(const Tensor& grad_output, const Tensor& output, int64_t dim) {
  if (!compute_requires_grad({&grad_output, &output})) return ::pe::log_softmax_backward(grad_output, output, dim);
  return autograd::sub(grad_output,
                       autograd::mul(autograd::exp(output), autograd::sum(grad_output, DimVector{dim}, true)));
}

}  // namespace pe::autograd
