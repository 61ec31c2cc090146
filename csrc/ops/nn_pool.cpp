// 2-D pooling ops (max with indices, average, adaptive average) and their backward ops, with
// PyTorch's output-size rule (ceil_mode keeps the last window starting inside the padded input)
// and its argument checks. Inputs are (N, C, H, W) or unbatched (C, H, W).
#include "ops/nn.h"
#include "ops/nn_stubs.h"
#include "ops/nn_util.h"
#include "ops/ops.h"

namespace pe {

namespace {

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// PyTorch's pooling_output_shape_pad_lr with equal left/right padding.
int64_t pooling_output_size(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dilation, bool ceil_mode) {
  PE_CHECK(stride != 0, "stride should not be zero");
  PE_CHECK(pad >= 0, "pad must be non-negative, but got pad: ", pad);
  PE_CHECK(pad <= ((k - 1) * dilation + 1) / 2, "pad should be at most half of effective kernel size, but got pad=",
           pad, ", kernel_size=", k, " and dilation=", dilation);
  int64_t out = floor_div(in + 2 * pad - dilation * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0), stride) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

void check_pair(const DimVector& v, const char* op, const char* what, bool allow_empty) {
  PE_CHECK(v.size() == 2 || (allow_empty && v.empty()), op, ": ", what, " must be ",
           allow_empty ? "either omitted, a single int, or a tuple of two ints" : "a tuple of two ints");
}

// Geometry of a max/avg pool; checks as PyTorch's pool2d_shape_check.
Pool2dGeom pool_geom(const Tensor& input, const char* op, const DimVector& kernel, const DimVector& stride_in,
                     const DimVector& padding, const DimVector& dilation, bool ceil_mode) {
  check_pair(kernel, op, "kernel_size", false);
  check_pair(stride_in, op, "stride", true);
  check_pair(padding, op, "padding", false);
  check_pair(dilation, op, "dilation", false);
  DimVector stride = stride_in.empty() ? kernel : stride_in;
  PE_CHECK(input.dim() == 3 || input.dim() == 4, "non-empty 3D or 4D (batch mode) tensor expected for input");
  Pool2dGeom g;
  g.ih = input.size(-2);
  g.iw = input.size(-1);
  g.planes = input.dim() == 4 ? input.size(0) * input.size(1) : input.size(0);
  g.kh = kernel[0], g.kw = kernel[1], g.sh = stride[0], g.sw = stride[1];
  g.ph = padding[0], g.pw = padding[1], g.dh = dilation[0], g.dw = dilation[1];
  g.oh = pooling_output_size(g.ih, g.kh, g.ph, g.sh, g.dh, ceil_mode);
  g.ow = pooling_output_size(g.iw, g.kw, g.pw, g.sw, g.dw, ceil_mode);
  PE_CHECK(g.kw > 0 && g.kh > 0, "kernel size should be greater than zero, but got kH: ", g.kh, " kW: ", g.kw);
  PE_CHECK(g.sw > 0 && g.sh > 0, "stride should be greater than zero, but got dH: ", g.sh, " dW: ", g.sw);
  PE_CHECK(g.dh > 0 && g.dw > 0, "dilation should be greater than zero, but got dilationH: ", g.dh,
           " dilationW: ", g.dw);
  bool valid = input.size(-3) != 0 && g.ih != 0 && g.iw != 0;
  PE_CHECK(valid && (input.dim() == 4 || input.size(0) != 0),
           "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:", input.sizes());
  PE_CHECK(g.ow >= 1 && g.oh >= 1, "Given input size: (", input.size(-3), "x", g.ih, "x", g.iw,
           "). Calculated output size: (", input.size(-3), "x", g.oh, "x", g.ow, "). Output size is too small");
  return g;
}

DimVector out_sizes(const Tensor& input, int64_t oh, int64_t ow) {
  DimVector s = input.sizes();
  s[s.size() - 2] = oh;
  s[s.size() - 1] = ow;
  return s;
}

void check_grad_shape(const Tensor& grad_output, const DimVector& expected, const char* op) {
  PE_CHECK(grad_output.sizes() == expected, op, ": expected grad_output of size ", expected, " but got ",
           grad_output.sizes());
}

}  // namespace

std::tuple<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, const DimVector& kernel_size,
                                                   const DimVector& stride, const DimVector& padding,
                                                   const DimVector& dilation, bool ceil_mode) {
  Pool2dGeom g = pool_geom(input, "max_pool2d", kernel_size, stride, padding, dilation, ceil_mode);
  if (input.dtype() == DType::Bool) nn::check_float(input, "max_pool2d");
  if (input.dtype() == DType::Float16 || input.dtype() == DType::BFloat16) {  // exact through float32
    auto r = max_pool2d_with_indices(to(input, DType::Float32, std::nullopt), kernel_size, stride, padding, dilation,
                                     ceil_mode);
    return {to(std::get<0>(r), input.dtype(), std::nullopt), std::get<1>(r)};
  }
  Tensor x = contiguous(input);
  Tensor out = make_empty(out_sizes(input, g.oh, g.ow), x.dtype(), x.device());
  Tensor idx = make_empty(out.sizes(), DType::Int64, x.device());
  if (out.numel() > 0) max_pool2d_stub(x.device())(g, out, idx, x);
  return {out, idx};
}

Tensor max_pool2d(const Tensor& input, const DimVector& kernel_size, const DimVector& stride,
                  const DimVector& padding, const DimVector& dilation, bool ceil_mode) {
  return std::get<0>(max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode));
}

Tensor max_pool2d_backward(const Tensor& grad_output, const Tensor& input, const Tensor& indices) {
  PE_CHECK(input.dim() == 3 || input.dim() == 4, "non-empty 3D or 4D (batch mode) tensor expected for input");
  nn::check_float(input, "max_pool2d_backward");
  PE_CHECK(indices.dtype() == DType::Int64, "max_pool2d_backward: expected indices of dtype Long, got ",
           nn::type_name(indices.dtype()));
  check_grad_shape(grad_output, indices.sizes(), "max_pool2d_backward");
  PE_CHECK(grad_output.dim() == input.dim() && grad_output.size(0) == input.size(0) &&
               (input.dim() == 3 || grad_output.size(1) == input.size(1)),
           "max_pool2d_backward: grad_output of size ", grad_output.sizes(), " does not match input of size ",
           input.sizes());
  nn::check_same_device(input, grad_output, "max_pool2d_backward");
  Pool2dGeom g;
  g.planes = input.dim() == 4 ? input.size(0) * input.size(1) : input.size(0);
  g.ih = input.size(-2), g.iw = input.size(-1), g.oh = grad_output.size(-2), g.ow = grad_output.size(-1);
  Tensor go = nn::dense(grad_output, input.dtype());
  Tensor gi = zeros(input.sizes(), TensorOptions{input.dtype(), input.device()});
  if (go.numel() > 0) max_pool2d_backward_stub(input.device())(g, gi, go, contiguous(indices));
  return gi;
}

namespace {
Pool2dGeom avg_geom(const Tensor& input, const DimVector& kernel_size, const DimVector& stride,
                    const DimVector& padding, bool ceil_mode, bool count_include_pad,
                    std::optional<int64_t> divisor_override) {
  // PyTorch reads input.size(-3) first, so a 2-D input is an IndexError there.
  PE_CHECK_INDEX(input.dim() >= 3, "Dimension out of range (expected to be in range of [",
                 -std::max<int64_t>(input.dim(), 1),
                 ", ", std::max<int64_t>(input.dim(), 1) - 1, "], but got -3)");
  PE_CHECK(!divisor_override || *divisor_override != 0, "divisor must be not zero");
  Pool2dGeom g = pool_geom(input, "avg_pool2d", kernel_size, stride, padding, {1, 1}, ceil_mode);
  g.count_include_pad = count_include_pad;
  g.divisor = divisor_override ? *divisor_override : 0;
  return g;
}
}  // namespace

Tensor avg_pool2d(const Tensor& input, const DimVector& kernel_size, const DimVector& stride,
                  const DimVector& padding, bool ceil_mode, bool count_include_pad,
                  std::optional<int64_t> divisor_override) {
  Pool2dGeom g = avg_geom(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override);
  nn::check_float(input, "avg_pool2d");
  Tensor x = contiguous(input);
  Tensor out = make_empty(out_sizes(input, g.oh, g.ow), x.dtype(), x.device());
  if (out.numel() > 0) avg_pool2d_stub(x.device())(g, out, x);
  return out;
}

Tensor avg_pool2d_backward(const Tensor& grad_output, const Tensor& input, const DimVector& kernel_size,
                           const DimVector& stride, const DimVector& padding, bool ceil_mode,
                           bool count_include_pad, std::optional<int64_t> divisor_override) {
  Pool2dGeom g = avg_geom(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override);
  nn::check_float(input, "avg_pool2d_backward");
  check_grad_shape(grad_output, out_sizes(input, g.oh, g.ow), "avg_pool2d_backward");
  nn::check_same_device(input, grad_output, "avg_pool2d_backward");
  Tensor go = nn::dense(grad_output, input.dtype());
  Tensor gi = zeros(input.sizes(), TensorOptions{input.dtype(), input.device()});
  if (go.numel() > 0) avg_pool2d_backward_stub(input.device())(g, gi, go);
  return gi;
}

namespace {
Pool2dGeom adaptive_geom(const Tensor& input, int64_t oh, int64_t ow) {
  PE_CHECK(input.dim() == 3 || input.dim() == 4, "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got ",
           input.sizes());
  for (int64_t d = input.dim() - 2; d < input.dim(); ++d)
    PE_CHECK(input.size(d) > 0, "adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch "
             "dimensions, but input has sizes ", input.sizes(), " with dimension ", d, " being empty");
  Pool2dGeom g;
  g.planes = input.dim() == 4 ? input.size(0) * input.size(1) : input.size(0);
  g.ih = input.size(-2), g.iw = input.size(-1), g.oh = oh, g.ow = ow;
  return g;
}
}  // namespace

Tensor adaptive_avg_pool2d(const Tensor& input, const DimVector& output_size) {
  PE_CHECK(output_size.size() == 2, "adaptive_avg_pool2d: output_size must be 2");
  PE_CHECK(output_size[0] >= 0 && output_size[1] >= 0, "adaptive_avg_pool2d: elements of output_size must be "
           "greater than or equal to 0 but received {", output_size[0], ", ", output_size[1], "}");
  Pool2dGeom g = adaptive_geom(input, output_size[0], output_size[1]);
  nn::check_float(input, "adaptive_avg_pool2d");
  Tensor x = contiguous(input);
  Tensor out = make_empty(out_sizes(input, g.oh, g.ow), x.dtype(), x.device());
  if (out.numel() > 0) adaptive_avg_pool2d_stub(x.device())(g, out, x);
  return out;
}

Tensor adaptive_avg_pool2d_backward(const Tensor& grad_output, const Tensor& input) {
  PE_CHECK(grad_output.dim() == input.dim(), "adaptive_avg_pool2d_backward: grad_output of size ",
           grad_output.sizes(), " does not match input of size ", input.sizes());
  Pool2dGeom g = adaptive_geom(input, grad_output.size(-2), grad_output.size(-1));
  nn::check_float(input, "adaptive_avg_pool2d_backward");
  check_grad_shape(grad_output, out_sizes(input, g.oh, g.ow), "adaptive_avg_pool2d_backward");
  nn::check_same_device(input, grad_output, "adaptive_avg_pool2d_backward");
  Tensor go = nn::dense(grad_output, input.dtype());
  Tensor gi = zeros(input.sizes(), TensorOptions{input.dtype(), input.device()});
  if (go.numel() > 0) adaptive_avg_pool2d_backward_stub(input.device())(g, gi, go);
  return gi;
}

}  // namespace pe
