// Class losses: nll_loss (+ backward), the label-smoothing and class-probability terms of
// cross_entropy (+ backward), and cross_entropy composed from log_softmax and those ops as
// PyTorch composes it. Inputs (C), (N, C) or (N, C, d1, ...) are viewed as (n, c, s).
#include "ops/nn.h"
#include "ops/nn_stubs.h"
#include "ops/nn_util.h"
#include "ops/ops.h"

namespace pe {

namespace {

int64_t prod(const DimVector& v, size_t from) {
  int64_t p = 1;
  for (size_t i = from; i < v.size(); ++i) p *= v[i];
  return p;
}

// Checks input/target/weight as PyTorch's nll_loss_nd and returns the (n, c, s) geometry.
ClassLossGeom nll_geom(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction,
                       int64_t ignore_index) {
  PE_CHECK_VALUE(input.dim() >= 1, "Expected 1 or more dimensions (got ", input.dim(), ")");
  if (input.dim() != 1)
    PE_CHECK_VALUE(target.dim() >= 1 && input.size(0) == target.size(0), "Expected input batch_size (",
                   input.size(0), ") to match target batch_size (", target.dim() >= 1 ? target.size(0) : 0, ").");
  ClassLossGeom g{1, 1, 1, reduction, ignore_index};
  if (input.dim() <= 2) {
    PE_CHECK(target.dim() <= 1, "0D or 1D target tensor expected, multi-target not supported");
    bool no_batch = input.dim() == 1 && target.dim() == 0;
    PE_CHECK(no_batch || input.size(0) == target.size(0), "size mismatch (got input: ", input.sizes(),
             ", target: ", target.sizes(), ")");
    g.n = input.dim() == 1 ? 1 : input.size(0);
    g.c = input.size(-1);
  } else {
    DimVector expected{input.size(0)};
    for (int64_t d = 2; d < input.dim(); ++d) expected.push_back(input.size(d));
    PE_CHECK(target.sizes() == expected, "Expected target size ", expected, ", got ", target.sizes());
    g.n = input.size(0);
    g.c = input.size(1);
    g.s = prod(input.sizes(), 2);
  }
  PE_CHECK(!weight.defined() || (weight.dim() == 1 && weight.numel() == g.c), "weight tensor should be defined "
           "either for all ", g.c, " classes or no classes but got weight tensor of shape: ",
           weight.defined() ? weight.sizes() : DimVector{});
  nn::check_same_device(input, target, "nll_loss");
  nn::check_same_device(input, weight, "nll_loss");
  // PyTorch checks the target dtype in the kernel, after the shapes.
  PE_CHECK(target.dtype() == DType::Int64 || target.dtype() == DType::UInt8,
           "expected target dtype to be Long or Byte, but got ", nn::type_name(target.dtype()));
  return g;
}

// The shape of a per-sample loss (reduction 'none'): the target's for batched input, () otherwise.
DimVector per_sample_shape(const Tensor& input, const Tensor& target) {
  return input.dim() == 1 ? DimVector{} : target.sizes();
}

Tensor dense_target(const Tensor& target) { return contiguous(to(target, DType::Int64, std::nullopt)); }

Tensor make_loss(const Tensor& input, const Tensor& target, Reduction r) {
  return make_empty(r == Reduction::None ? per_sample_shape(input, target) : DimVector{}, input.dtype(),
                    input.device());
}

void check_grad_output(const Tensor& grad_output, Reduction r, const DimVector& per_sample, const char* op) {
  if (r == Reduction::None)
    PE_CHECK(grad_output.sizes() == per_sample, op, ": Expected a tensor of size ", per_sample,
             " for grad_output but got ", grad_output.sizes());
  else
    PE_CHECK(grad_output.numel() == 1, op, ": Expected a single element grad_output tensor, but got: ",
             grad_output.sizes());
}

}  // namespace

std::tuple<Tensor, Tensor> nll_loss_forward(const Tensor& input, const Tensor& target, const Tensor& weight,
                                            Reduction reduction, int64_t ignore_index) {
  ClassLossGeom g = nll_geom(input, target, weight, reduction, ignore_index);
  nn::check_float(input, "nll_loss_out_frame");
  Tensor x = contiguous(input);
  Tensor out = make_loss(input, target, reduction);
  Tensor total = make_empty({}, x.dtype(), x.device());
  nll_loss_stub(x.device())(g, out, total, x, dense_target(target), nn::dense(weight, x.dtype()));
  return {out, total};
}

Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction,
                int64_t ignore_index) {
  return std::get<0>(nll_loss_forward(input, target, weight, reduction, ignore_index));
}

Tensor nll_loss_backward(const Tensor& grad_output, const Tensor& input, const Tensor& target, const Tensor& weight,
                         Reduction reduction, int64_t ignore_index, const Tensor& total_weight) {
  ClassLossGeom g = nll_geom(input, target, weight, reduction, ignore_index);
  nn::check_float(input, "nll_loss_backward_out_frame");
  check_grad_output(grad_output, reduction, per_sample_shape(input, target), "nll_loss_backward");
  PE_CHECK(total_weight.defined() && total_weight.numel() == 1,
           "nll_loss_backward: expected total_weight to be a single element tensor");
  Tensor gi = zeros(input.sizes(), TensorOptions{input.dtype(), input.device()});
  if (input.numel() == 0) return gi;
  nll_loss_backward_stub(input.device())(g, gi, nn::dense(grad_output, input.dtype()), dense_target(target),
                                         nn::dense(weight, input.dtype()), nn::dense(total_weight, input.dtype()));
  return gi;
}

Tensor nll_loss_smooth(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction,
                       int64_t ignore_index) {
  ClassLossGeom g = nll_geom(input, target, weight, reduction, ignore_index);
  nn::check_float(input, "nll_loss_smooth");
  Tensor x = contiguous(input);
  Tensor out = make_loss(input, target, reduction);
  nll_smooth_stub(x.device())(g, out, x, dense_target(target), nn::dense(weight, x.dtype()));
  return out;
}

Tensor nll_loss_smooth_backward(const Tensor& grad_output, const Tensor& input, const Tensor& target,
                                const Tensor& weight, Reduction reduction, int64_t ignore_index) {
  ClassLossGeom g = nll_geom(input, target, weight, reduction, ignore_index);
  nn::check_float(input, "nll_loss_smooth_backward");
  check_grad_output(grad_output, reduction, per_sample_shape(input, target), "nll_loss_smooth_backward");
  Tensor gi = make_empty(input.sizes(), input.dtype(), input.device());
  if (input.numel() == 0) return gi;
  nll_smooth_backward_stub(input.device())(g, gi, nn::dense(grad_output, input.dtype()), dense_target(target),
                                           nn::dense(weight, input.dtype()));
  return gi;
}

namespace {
ClassLossGeom soft_geom(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction) {
  PE_CHECK_VALUE(input.dim() >= 1, "Expected 1 or more dimensions (got ", input.dim(), ")");
  PE_CHECK(input.sizes() == target.sizes(), "soft_nll_loss: expected target of size ", input.sizes(), ", got ",
           target.sizes());
  PE_CHECK(is_floating(target.dtype()), "Expected floating point type for target with class probabilities, got ",
           nn::type_name(target.dtype()));
  ClassLossGeom g{1, input.dim() == 1 ? input.size(0) : input.size(1), 1, reduction, 0};
  if (input.dim() > 1) g.n = input.size(0), g.s = prod(input.sizes(), 2);
  PE_CHECK(!weight.defined() || (weight.dim() == 1 && weight.numel() == g.c), "weight tensor should be defined "
           "either for all ", g.c, " classes or no classes but got weight tensor of shape: ",
           weight.defined() ? weight.sizes() : DimVector{});
  nn::check_same_device(input, target, "cross_entropy");
  nn::check_same_device(input, weight, "cross_entropy");
  return g;
}
DimVector soft_sample_shape(const Tensor& input) {
  DimVector s;
  if (input.dim() > 1) {
    s.push_back(input.size(0));
    for (int64_t d = 2; d < input.dim(); ++d) s.push_back(input.size(d));
  }
  return s;
}
}  // namespace

Tensor soft_nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction) {
  ClassLossGeom g = soft_geom(input, target, weight, reduction);
  nn::check_float(input, "soft_nll_loss");
  Tensor x = contiguous(input);
  Tensor out = make_empty(reduction == Reduction::None ? soft_sample_shape(input) : DimVector{}, x.dtype(), x.device());
  soft_nll_stub(x.device())(g, out, x, nn::dense(target, x.dtype()), nn::dense(weight, x.dtype()));
  return out;
}

std::tuple<Tensor, Tensor> soft_nll_loss_backward(const Tensor& grad_output, const Tensor& input,
                                                  const Tensor& target, const Tensor& weight, Reduction reduction) {
  ClassLossGeom g = soft_geom(input, target, weight, reduction);
  nn::check_float(input, "soft_nll_loss_backward");
  check_grad_output(grad_output, reduction, soft_sample_shape(input), "soft_nll_loss_backward");
  Tensor gi = make_empty(input.sizes(), input.dtype(), input.device());
  Tensor gt = make_empty(input.sizes(), input.dtype(), input.device());
  if (input.numel() > 0)
    soft_nll_backward_stub(input.device())(g, gi, gt, nn::dense(grad_output, input.dtype()), contiguous(input),
                                           nn::dense(target, input.dtype()), nn::dense(weight, input.dtype()));
  return {gi, to(gt, target.dtype(), std::nullopt)};
}

Tensor cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction,
                     int64_t ignore_index, double label_smoothing) {
  PE_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0,
           "label_smoothing must be between 0.0 and 1.0. Got: ", label_smoothing);
  int64_t class_dim = input.dim() == 1 ? 0 : 1;
  if (input.sizes() == target.sizes() && input.dim() >= 1) {  // class probabilities
    PE_CHECK(is_floating(target.dtype()), "Expected floating point type for target with class probabilities, got ",
             nn::type_name(target.dtype()));
    PE_CHECK(ignore_index < 0, "ignore_index is not supported for floating point target");
    Tensor logp = log_softmax(input, class_dim, std::nullopt);
    Tensor t = target;
    if (label_smoothing > 0.0)
      t = add(mul(target, Scalar(1.0 - label_smoothing)), Scalar(label_smoothing / (double)input.size(class_dim)));
    return soft_nll_loss(logp, t, weight, reduction);
  }
  Tensor logp = log_softmax(input, class_dim, std::nullopt);
  Tensor nll = nll_loss(logp, target, weight, reduction, ignore_index);
  if (label_smoothing <= 0.0) return nll;
  Tensor smooth = nll_loss_smooth(logp, target, weight, reduction, ignore_index);
  return add(mul(nll, Scalar(1.0 - label_smoothing)),
             mul(smooth, Scalar(label_smoothing / (double)input.size(class_dim))));
}

}  // namespace pe
