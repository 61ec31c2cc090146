// conv2d (numeric and "same"/"valid" padding), its backward ops (input, weight, bias) and linear.
// Checks and messages follow PyTorch's convolution front end; the kernels (cpu/nn_conv_kernel.cpp)
// are im2col/col2im around our GEMM.
#include "ops/linalg.h"
#include "ops/nn.h"
#include "ops/nn_stubs.h"
#include "ops/nn_util.h"
#include "ops/ops.h"

namespace pe {

namespace {

std::string cpp_type(DType t) {
  return t == DType::Float64 ? "double" : t == DType::Float32 ? "float" : nn::type_name(t);
}

void check_param(const DimVector& v, const char* name) {
  PE_CHECK(v.size() == 2, "expected ", name, " to be a single integer value or a list of 2 values to match the "
           "convolution dimensions, but got ", name, "=", v);
}

// Checks as PyTorch's convolution front end (check_shape_forward) for a 4-D input and returns the
// geometry. weight_sizes stands for the weight (the backward ops only know its shape).
Conv2dGeom conv_geom(const DimVector& in, const DimVector& w, const DimVector& stride, const DimVector& padding,
                     const DimVector& dilation, int64_t groups) {
  check_param(stride, "stride");
  check_param(padding, "padding");
  check_param(dilation, "dilation");
  PE_CHECK(w.size() == 4, "Expected 4-dimensional input for 4-dimensional weight ", w, ", but got ", in.size(),
           "-dimensional input of size ", in, " instead");
  for (int64_t s : stride) PE_CHECK(s > 0, "non-positive stride is not supported");
  for (int64_t p : padding) PE_CHECK(p >= 0, "negative padding is not supported");
  for (int64_t d : dilation) PE_CHECK(d > 0, "non-positive dilation is not supported");
  PE_CHECK(groups > 0, "non-positive groups is not supported");
  PE_CHECK(w[0] >= groups && w[0] % groups == 0, "Given groups=", groups, ", expected weight to be divisible by ",
           groups, " at dimension 0, but got weight of size [", w, "] instead");
  PE_CHECK(in[1] == w[1] * groups, "Given groups=", groups, ", weight of size ", w, ", expected input", in,
           " to have ", w[1] * groups, " channels, but got ", in[1], " channels instead");
  Conv2dGeom g{in[0], in[1], in[2], in[3], w[0], w[2], w[3], 0, 0, stride[0], stride[1], padding[0], padding[1],
               dilation[0], dilation[1], groups};
  int64_t eh = g.dh * (g.kh - 1) + 1, ew = g.dw * (g.kw - 1) + 1;
  PE_CHECK(in[2] + 2 * g.ph >= eh && in[3] + 2 * g.pw >= ew, "Calculated padded input size per channel: (",
           in[2] + 2 * g.ph, " x ", in[3] + 2 * g.pw, "). Kernel size: (", eh, " x ", ew,
           "). Kernel size can't be greater than actual input size");
  g.oh = (in[2] + 2 * g.ph - eh) / g.sh + 1;
  g.ow = (in[3] + 2 * g.pw - ew) / g.sw + 1;
  return g;
}

void check_input_dim(int64_t dim, const DimVector& sizes) {
  PE_CHECK(dim == 3 || dim == 4, "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: ",
           sizes);
}

DimVector batched(const DimVector& s) {
  if (s.size() != 3) return s;
  DimVector b{1};
  b.insert(b.end(), s.begin(), s.end());
  return b;
}

Tensor unbatch(const Tensor& t, bool unbatched) { return unbatched ? select(t, 0, 0) : t; }

// Integer convolution (PyTorch's slow_conv2d computes integers in their own type, wrapping): every
// window of the padded input as one strided view, gathered into columns, then an integer matmul
// per group. The float kernels' GEMM has no integer form.
Tensor conv2d_integer(const Conv2dGeom& g, const Tensor& x, const Tensor& w, const Tensor& b) {
  Tensor xp = contiguous(constant_pad_nd(x, {g.pw, g.pw, g.ph, g.ph}, Scalar(int64_t(0))));
  const int64_t hp = xp.size(2), wp = xp.size(3);
  Tensor windows = as_strided(xp, {g.n, g.c, g.kh, g.kw, g.oh, g.ow},
                              {g.c * hp * wp, hp * wp, g.dh * wp, g.dw, g.sh * wp, g.sw}, xp.storage_offset());
  const int64_t cg = g.c / g.groups, og = g.o / g.groups, k = cg * g.kh * g.kw;
  Tensor cols = reshape(windows, {g.n, g.groups, k, g.oh * g.ow});
  Tensor r = reshape(matmul(reshape(w, {g.groups, og, k}), cols), {g.n, g.o, g.oh, g.ow});
  return b.defined() ? add(r, view(b, {g.o, 1, 1})) : r;
}

}  // namespace

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const DimVector& stride,
              const DimVector& padding, const DimVector& dilation, int64_t groups) {
  check_input_dim(input.dim(), input.sizes());
  const bool unbatched = input.dim() == 3;
  Conv2dGeom g = conv_geom(batched(input.sizes()), weight.sizes(), stride, padding, dilation, groups);
  if (bias.defined())
    PE_CHECK(bias.dim() == 1 && bias.size(0) == g.o, "Given weight of size ", weight.sizes(),
             ", expected bias to be 1-dimensional with ", g.o, " elements, but got bias of size ", bias.sizes(),
             " instead");
  nn::check_same_device(input, weight, "conv2d");
  nn::check_same_device(input, bias, "conv2d");
  PE_CHECK(input.dtype() == weight.dtype(), "Input type (torch.", nn::type_name(input.dtype()),
           "Tensor) and weight type (torch.", nn::type_name(weight.dtype()), "Tensor) should be the same or input "
           "should be a MKLDNN tensor and weight is a dense tensor");
  PE_CHECK(!bias.defined() || bias.dtype() == input.dtype(), "Input type (", cpp_type(input.dtype()),
           ") and bias type (", cpp_type(bias.dtype()), ") should be the same");
  if (input.dtype() == DType::Bool) nn::check_float(input, "slow_conv2d_cpu");
  if (input.dtype() == DType::Float16 || input.dtype() == DType::BFloat16) {  // computed in float32
    auto f32 = [](const Tensor& t) { return t.defined() ? to(t, DType::Float32, std::nullopt) : t; };
    return to(conv2d(f32(input), f32(weight), f32(bias), stride, padding, dilation, groups), input.dtype(),
              std::nullopt);
  }
  Tensor x = contiguous(input), w = contiguous(weight), b = bias.defined() ? contiguous(bias) : bias;
  if (unbatched) x = unsqueeze(x, 0);
  Tensor out = make_empty({g.n, g.o, g.oh, g.ow}, x.dtype(), x.device());
  if (out.numel() == 0) return unbatch(out, unbatched);
  if (!is_floating(x.dtype()) && x.numel() > 0 && w.numel() > 0)
    return unbatch(conv2d_integer(g, x, w, b), unbatched);
  if (x.numel() == 0 || w.numel() == 0) {  // no input channels: the output is the bias
    fill_(out, Scalar(0.0));
    if (b.defined()) add_(out, view(b, {g.o, 1, 1}));
    return unbatch(out, unbatched);
  }
  conv2d_stub(x.device())(g, out, x, w, b);
  return unbatch(out, unbatched);
}

Tensor conv2d_padding(const Tensor& input, const Tensor& weight, const Tensor& bias, const DimVector& stride,
                      const std::string& padding, const DimVector& dilation, int64_t groups) {
  if (padding == "valid") return conv2d(input, weight, bias, stride, DimVector{0, 0}, dilation, groups);
  PE_CHECK(padding == "same", "Invalid padding string: '", padding, "'");
  check_param(stride, "stride");
  check_param(dilation, "dilation");
  for (int64_t s : stride) PE_CHECK(s == 1, "padding='same' is not supported for strided convolutions");
  PE_CHECK(weight.dim() == 4, "Expected 4-dimensional weight for padding='same', but got weight of size ",
           weight.sizes());
  // Total padding d * (k - 1) per dim; when it is odd PyTorch puts the extra element at the end.
  DimVector left(2), extra(2);
  for (int i = 0; i < 2; ++i) {
    int64_t total = dilation[i] * (weight.size(2 + i) - 1);
    left[i] = total / 2;
    extra[i] = total - 2 * left[i];
  }
  Tensor x = input;
  if (extra[0] || extra[1]) x = constant_pad_nd(input, {0, extra[1], 0, extra[0]}, Scalar(0.0));
  return conv2d(x, weight, bias, stride, left, dilation, groups);
}

Tensor conv2d_backward_input(const Tensor& grad_output, const Tensor& weight, const DimVector& input_sizes,
                             const DimVector& stride, const DimVector& padding, const DimVector& dilation,
                             int64_t groups) {
  check_input_dim((int64_t)input_sizes.size(), input_sizes);
  const bool unbatched = input_sizes.size() == 3;
  Conv2dGeom g = conv_geom(batched(input_sizes), weight.sizes(), stride, padding, dilation, groups);
  DimVector expected = {g.n, g.o, g.oh, g.ow};
  PE_CHECK(batched(grad_output.sizes()) == expected && grad_output.dim() == (int64_t)input_sizes.size(),
           "conv2d_backward_input: expected grad_output of size ", unbatched ? DimVector{g.o, g.oh, g.ow} : expected,
           ", but got ", grad_output.sizes());
  nn::check_same_device(weight, grad_output, "conv2d_backward_input");
  nn::check_float(weight, "slow_conv2d_cpu");
  Tensor go = nn::dense(grad_output, weight.dtype());
  if (unbatched) go = unsqueeze(go, 0);
  Tensor gi = make_empty(batched(input_sizes), weight.dtype(), weight.device());
  if (gi.numel() == 0) return unbatch(gi, unbatched);
  if (go.numel() == 0 || weight.numel() == 0) {
    fill_(gi, Scalar(0.0));
    return unbatch(gi, unbatched);
  }
  conv2d_backward_input_stub(weight.device())(g, gi, go, contiguous(weight));
  return unbatch(gi, unbatched);
}

Tensor conv2d_backward_weight(const Tensor& grad_output, const Tensor& input, const DimVector& weight_sizes,
                              const DimVector& stride, const DimVector& padding, const DimVector& dilation,
                              int64_t groups) {
  check_input_dim(input.dim(), input.sizes());
  const bool unbatched = input.dim() == 3;
  Conv2dGeom g = conv_geom(batched(input.sizes()), weight_sizes, stride, padding, dilation, groups);
  DimVector expected = {g.n, g.o, g.oh, g.ow};
  PE_CHECK(batched(grad_output.sizes()) == expected && grad_output.dim() == input.dim(),
           "conv2d_backward_weight: expected grad_output of size ",
           unbatched ? DimVector{g.o, g.oh, g.ow} : expected, ", but got ", grad_output.sizes());
  nn::check_same_device(input, grad_output, "conv2d_backward_weight");
  nn::check_float(input, "slow_conv2d_cpu");
  Tensor go = nn::dense(grad_output, input.dtype());
  Tensor x = contiguous(input);
  if (unbatched) go = unsqueeze(go, 0), x = unsqueeze(x, 0);
  Tensor gw = make_empty(weight_sizes, input.dtype(), input.device());
  if (gw.numel() == 0) return gw;
  if (go.numel() == 0 || x.numel() == 0) return fill_(gw, Scalar(0.0));
  conv2d_backward_weight_stub(x.device())(g, gw, go, x);
  return gw;
}

Tensor conv2d_backward_bias(const Tensor& grad_output) {
  PE_CHECK(grad_output.dim() == 3 || grad_output.dim() == 4,
           "conv2d_backward_bias: expected a 3D or 4D grad_output, but got size ", grad_output.sizes());
  nn::check_float(grad_output, "slow_conv2d_cpu");
  Tensor go = contiguous(grad_output);
  const bool unbatched = go.dim() == 3;
  int64_t n = unbatched ? 1 : go.size(0), c = go.size(-3), l = go.size(-1) * go.size(-2);
  Tensor gb = make_empty({c}, go.dtype(), go.device());
  if (c > 0) channel_sum_stub(go.device())(gb, go, n, c, l);
  return gb;
}

Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  PE_CHECK(input.dim() >= 1, "linear: input must have at least 1 dimension, got a 0-d tensor");
  PE_CHECK(weight.dim() == 1 || weight.dim() == 2, "linear: weight must be 1-D or 2-D, but got size ",
           weight.sizes());
  nn::check_same_device(input, weight, "linear");
  nn::check_same_device(input, bias, "linear");
  const int64_t k = input.size(-1);
  const int64_t n = weight.dim() == 2 ? weight.size(0) : 1;
  const int64_t wk = weight.size(-1);
  if (input.dim() == 1)
    PE_CHECK(k == wk, "size mismatch, got input (", k, "), mat (", weight.dim() == 2 ? str(n, "x", wk) : str(wk),
             "), vec (", k, ")");
  else
    PE_CHECK(k == wk, "mat1 and mat2 shapes cannot be multiplied (", input.numel() / std::max<int64_t>(k, 1), "x", k,
             " and ", wk, "x", n, ")");
  PE_CHECK(input.dtype() == weight.dtype(), "expected m1 and m2 to have the same dtype, but got: ",
           cpp_type(input.dtype()), " != ", cpp_type(weight.dtype()));
  if (input.dtype() == DType::Float16 || input.dtype() == DType::BFloat16 || is_integral(input.dtype(), false)) {
    // The fused GEMM stub is float32/float64 only; matmul takes 16-bit floats (float accumulation, one rounding)
    // and integers (exact, as PyTorch's integer addmm).
    Tensor y = matmul(input, weight.dim() == 2 ? t(weight) : weight);
    return bias.defined() ? add(y, bias) : y;
  }
  nn::check_float(input, "addmm_impl_cpu_");
  DimVector out_sizes(input.sizes().begin(), input.sizes().end() - 1);
  if (weight.dim() == 2) out_sizes.push_back(n);
  const int64_t m = input.numel() / std::max<int64_t>(k, 1);
  Tensor x = contiguous(input), w = contiguous(weight);
  Tensor out = make_empty({m, n}, x.dtype(), x.device());
  // A bias that is exactly (n) goes into the GEMM; any other broadcastable bias is added after.
  bool fused = bias.defined() && bias.dim() == 1 && bias.size(0) == n && bias.dtype() == x.dtype();
  if (out.numel() > 0) {
    if (k == 0) fill_(out, Scalar(0.0));
    if (k == 0 && fused) add_(out, bias);
    if (k > 0) linear_stub(x.device())(out, x, w, fused ? contiguous(bias) : Tensor(), m, n, k);
  }
  Tensor y = view(out, out_sizes);
  if (bias.defined() && !fused) y = add(y, bias);
  return y;
}

}  // namespace pe
