// batch_norm and layer_norm with their backward ops. Parameters and running statistics are brought
// to the input's dtype and made contiguous for the kernels; running statistics that had to be
// converted are written back with copy_, so user buffers of any layout are updated in place.
#include "ops/nn.h"
#include "ops/nn_stubs.h"
#include "ops/nn_util.h"
#include "ops/ops.h"

namespace pe {

namespace {

void check_features(const char* name, const Tensor& t, int64_t expected) {
  if (!t.defined()) return;
  PE_CHECK(t.numel() == expected, name, " should contain ", expected, " elements not ", t.numel());
}

int64_t spatial(const Tensor& input) {
  int64_t s = 1;
  for (int64_t d = 2; d < input.dim(); ++d) s *= input.size(d);
  return s;
}

}  // namespace

std::tuple<Tensor, Tensor, Tensor> native_batch_norm(const Tensor& input, const Tensor& weight, const Tensor& bias,
                                                     const Tensor& running_mean, const Tensor& running_var,
                                                     bool training, double momentum, double eps) {
  int64_t c = input.dim() > 1 ? input.size(1) : 0;
  check_features("running_mean", running_mean, c);
  check_features("running_var", running_var, c);
  check_features("weight", weight, c);
  check_features("bias", bias, c);
  PE_CHECK(training || (running_mean.defined() && running_var.defined()),
           running_mean.defined() ? "running_var" : "running_mean", " must be defined in evaluation mode");
  PE_CHECK(input.dim() >= 2, "batch_norm: expected input with at least 2 dimensions, got ", input.sizes());
  nn::check_float(input, "batch_norm");
  for (const Tensor* t : {&weight, &bias, &running_mean, &running_var}) nn::check_same_device(input, *t, "batch_norm");
  DType dt = input.dtype();
  Tensor x = contiguous(input);
  Tensor out = make_empty(x.sizes(), dt, x.device());
  Tensor rm = nn::dense(running_mean, dt), rv = nn::dense(running_var, dt);
  Tensor mean = make_empty({training ? c : 0}, dt, x.device());
  Tensor invstd = make_empty({training ? c : 0}, dt, x.device());
  batch_norm_stub(x.device())(out, mean, invstd, x, nn::dense(weight, dt), nn::dense(bias, dt), rm, rv, training,
                              momentum, eps, x.size(0), c, spatial(x));
  if (training) {
    for (auto [user, used] : {std::pair{running_mean, rm}, std::pair{running_var, rv}}) {
      if (!user.defined()) continue;
      Tensor u = user;
      if (!used.is_same(user)) copy_(u, used);
      u->bump_version();
    }
  }
  return {out, mean, invstd};
}

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
  return std::get<0>(native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps));
}

std::tuple<Tensor, Tensor, Tensor> native_batch_norm_backward(
    const Tensor& grad_output, const Tensor& input, const Tensor& weight, const Tensor& running_mean,
    const Tensor& running_var, const Tensor& save_mean, const Tensor& save_invstd, bool training, double eps,
    std::array<bool, 3> output_mask) {
  PE_CHECK(input.dim() >= 2, "batch_norm_backward: expected input with at least 2 dimensions, got ", input.sizes());
  nn::check_float(input, "batch_norm_backward_cpu");
  PE_CHECK(grad_output.sizes() == input.sizes(), "batch_norm_backward: grad_output of size ", grad_output.sizes(),
           " does not match input of size ", input.sizes());
  int64_t c = input.size(1);
  const Tensor& mean = training ? save_mean : running_mean;
  const Tensor& stat = training ? save_invstd : running_var;
  PE_CHECK(mean.defined() && stat.defined(), "batch_norm_backward: ",
           training ? "save_mean and save_invstd" : "running_mean and running_var", " must be defined");
  check_features(training ? "save_mean" : "running_mean", mean, c);
  check_features(training ? "save_invstd" : "running_var", stat, c);
  check_features("weight", weight, c);
  DType dt = input.dtype();
  Tensor gi = output_mask[0] ? make_empty(input.sizes(), dt, input.device()) : Tensor();
  Tensor gw = output_mask[1] ? make_empty({c}, dt, input.device()) : Tensor();
  Tensor gb = output_mask[2] ? make_empty({c}, dt, input.device()) : Tensor();
  Tensor x = contiguous(input);
  batch_norm_backward_stub(x.device())(gi, gw, gb, nn::dense(grad_output, dt), x, nn::dense(weight, dt),
                                       nn::dense(mean, dt), nn::dense(stat, dt), training, eps, x.size(0), c,
                                       spatial(x));
  return {gi, gw, gb};
}

namespace {
// (m, k): k = prod(normalized_shape); checks as PyTorch's _check_layer_norm_inputs.
std::pair<int64_t, int64_t> layer_norm_geom(const Tensor& input, const DimVector& shape, const Tensor& weight,
                                            const Tensor& bias) {
  PE_CHECK(!shape.empty(), "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least "
           "one element, but got normalized_shape = ", shape);
  PE_CHECK(!weight.defined() || weight.sizes() == shape, "Expected weight to be of same shape as normalized_shape, "
           "but got weight of shape ", weight.defined() ? weight.sizes() : DimVector{}, " and normalized_shape = ",
           shape);
  PE_CHECK(!bias.defined() || bias.sizes() == shape, "Expected bias to be of same shape as normalized_shape, but "
           "got bias of shape ", bias.defined() ? bias.sizes() : DimVector{}, " and normalized_shape = ", shape);
  int64_t nd = input.dim(), ns = (int64_t)shape.size();
  bool ok = nd >= ns;
  for (int64_t i = 0; ok && i < ns; ++i) ok = input.size(nd - ns + i) == shape[i];
  PE_CHECK(ok, "Given normalized_shape=", shape, ", expected input with shape [*", [&] {
    std::string s;
    for (int64_t v : shape) s += ", " + std::to_string(v);
    return s;
  }(), "], but got input of size", input.sizes());
  int64_t m = 1, k = 1;
  for (int64_t i = 0; i < nd - ns; ++i) m *= input.size(i);
  for (int64_t v : shape) k *= v;
  return {m, k};
}
DimVector stat_shape(const Tensor& input, size_t ns) {
  DimVector s(input.sizes().begin(), input.sizes().end() - ns);
  s.insert(s.end(), ns, 1);
  return s;
}
}  // namespace

std::tuple<Tensor, Tensor, Tensor> native_layer_norm(const Tensor& input, const DimVector& normalized_shape,
                                                     const Tensor& weight, const Tensor& bias, double eps) {
  auto [m, k] = layer_norm_geom(input, normalized_shape, weight, bias);
  nn::check_float(input, "LayerNormKernelImpl");
  nn::check_same_device(input, weight, "layer_norm");
  nn::check_same_device(input, bias, "layer_norm");
  DType dt = input.dtype();
  Tensor x = contiguous(input);
  Tensor out = make_empty(x.sizes(), dt, x.device());
  Tensor mean = make_empty(stat_shape(x, normalized_shape.size()), dt, x.device());
  Tensor rstd = make_empty(mean.sizes(), dt, x.device());
  if (m > 0) layer_norm_stub(x.device())(out, mean, rstd, x, nn::dense(weight, dt), nn::dense(bias, dt), eps, m, k);
  return {out, mean, rstd};
}

Tensor layer_norm(const Tensor& input, const DimVector& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps) {
  return std::get<0>(native_layer_norm(input, normalized_shape, weight, bias, eps));
}

std::tuple<Tensor, Tensor, Tensor> native_layer_norm_backward(
    const Tensor& grad_output, const Tensor& input, const DimVector& normalized_shape, const Tensor& mean,
    const Tensor& rstd, const Tensor& weight, const Tensor& bias, std::array<bool, 3> output_mask) {
  auto [m, k] = layer_norm_geom(input, normalized_shape, weight, bias);
  nn::check_float(input, "LayerNormBackwardKernelImpl");
  PE_CHECK(grad_output.sizes() == input.sizes(), "layer_norm_backward: grad_output of size ", grad_output.sizes(),
           " does not match input of size ", input.sizes());
  PE_CHECK(mean.defined() && rstd.defined() && mean.numel() == m && rstd.numel() == m,
           "layer_norm_backward: expected mean and rstd with ", m, " elements");
  DType dt = input.dtype();
  Tensor gi = output_mask[0] ? make_empty(input.sizes(), dt, input.device()) : Tensor();
  Tensor gw = output_mask[1] ? make_empty(normalized_shape, dt, input.device()) : Tensor();
  Tensor gb = output_mask[2] ? make_empty(normalized_shape, dt, input.device()) : Tensor();
  layer_norm_backward_stub(input.device())(gi, gw, gb, nn::dense(grad_output, dt), contiguous(input),
                                           nn::dense(mean, dt), nn::dense(rstd, dt), nn::dense(weight, dt), m, k);
  return {gi, gw, gb};
}

}  // namespace pe
