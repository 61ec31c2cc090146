// softmax / log_softmax and their backward ops. The input is viewed as (outer, dim, inner) so one
// kernel serves every dim; a 0-d input counts as one element along dim 0 (PyTorch's rule).
#include "ops/nn.h"
#include "ops/nn_stubs.h"
#include "ops/nn_util.h"
#include "ops/ops.h"

namespace pe {

namespace {

struct Split {
  int64_t outer = 1, dim = 1, inner = 1;
};

Split split_at(const DimVector& sizes, int64_t d) {
  Split s;
  if (sizes.empty()) return s;
  for (int64_t i = 0; i < d; ++i) s.outer *= sizes[i];
  s.dim = sizes[d];
  for (size_t i = d + 1; i < sizes.size(); ++i) s.inner *= sizes[i];
  return s;
}

Tensor softmax_impl(const Tensor& input, int64_t dim, std::optional<DType> dtype, bool log) {
  Tensor x = dtype ? to(input, *dtype, std::nullopt) : input;
  // PyTorch's order: the dim, then an empty input returned as it is (any dtype), then the dtype.
  int64_t d = wrap_dim(dim, x.dim());
  if (x.numel() == 0) return make_empty(x.sizes(), x.dtype(), x.device());
  if (x.dtype() == DType::Float16 || x.dtype() == DType::BFloat16)  // computed in float32, as PyTorch's CPU
    return to(softmax_impl(to(x, DType::Float32, std::nullopt), d, std::nullopt, log), x.dtype(), std::nullopt);
  nn::check_float(x, log ? "log_softmax_lastdim_kernel_impl" : "softmax_lastdim_kernel_impl");
  x = contiguous(x);
  Tensor out = make_empty(x.sizes(), x.dtype(), x.device());
  Split s = split_at(x.sizes(), d);
  softmax_stub(x.device())(out, x, s.outer, s.dim, s.inner, log);
  return out;
}

Tensor softmax_backward_impl(const Tensor& grad_output, const Tensor& output, int64_t dim, bool log) {
  const char* name = log ? "log_softmax_backward" : "softmax_backward";
  nn::check_float(output, name);
  PE_CHECK(grad_output.sizes() == output.sizes(), name, ": grad_output of size ", grad_output.sizes(),
           " does not match output of size ", output.sizes());
  nn::check_same_device(output, grad_output, name);
  int64_t d = wrap_dim(dim, output.dim());
  Tensor y = contiguous(output);
  Tensor g = nn::dense(grad_output, output.dtype());
  Tensor gi = make_empty(y.sizes(), y.dtype(), y.device());
  if (y.numel() == 0) return gi;
  Split s = split_at(y.sizes(), d);
  softmax_backward_stub(y.device())(gi, g, y, s.outer, s.dim, s.inner, log);
  return gi;
}

}  // namespace

Tensor softmax(const Tensor& input, int64_t dim, std::optional<DType> dtype) {
  return softmax_impl(input, dim, dtype, false);
}
Tensor log_softmax(const Tensor& input, int64_t dim, std::optional<DType> dtype) {
  return softmax_impl(input, dim, dtype, true);
}
Tensor softmax_backward(const Tensor& grad_output, const Tensor& output, int64_t dim) {
  return softmax_backward_impl(grad_output, output, dim, false);
}
Tensor log_softmax_backward(const Tensor& grad_output, const Tensor& output, int64_t dim) {
  return softmax_backward_impl(grad_output, output, dim, true);
}

}  // namespace pe
