// Differentiable sum and mean (ops_basic.h), and the helper that re-inserts reduced dims.
#include "autograd/ops_basic.h"
#include "core/profiler_hook.h"

namespace pe::autograd {

Tensor unsqueeze_reduced(const Tensor& g, int64_t input_dim, const OptDims& dim, bool keepdim) {
  if (keepdim || input_dim == 0) return g;
  std::vector<bool> reduced(input_dim, !dim || dim->empty());
  if (dim)
    for (int64_t d : *dim) reduced[wrap_dim(d, input_dim)] = true;
  Tensor r = g;
  for (int64_t d = 0; d < input_dim; ++d)
    if (reduced[d]) r = autograd::unsqueeze(r, d);
  return r;
}

namespace {

// sum/mean: the gradient spread back over the reduced elements (divided by their count for mean).
struct SumMeanBackward : Node {
  std::string name_;
  InputMeta self_;
  OptDims dim_;
  bool keepdim_ = false;
  double count_ = 0;  // mean: number of elements averaged (0: sum)
  std::string name() const override { return name_; }
  variable_list apply(variable_list&& g) override {
    Tensor r = autograd::expand(unsqueeze_reduced(g[0], (int64_t)self_.sizes.size(), dim_, keepdim_), self_.sizes);
    if (count_ > 0) r = autograd::div(r, Scalar(count_));
    if (r.dtype() != self_.dtype) r = autograd::to(r, self_.dtype, std::nullopt);
    return {r};
  }
};

double reduced_count(const Tensor& x, const OptDims& dim) {
  if (!dim || dim->empty()) return (double)x.numel();
  double n = 1;
  std::vector<bool> seen(std::max<int64_t>(x.dim(), 1), false);
  for (int64_t d : *dim) {
    int64_t w = wrap_dim(d, x.dim());
    if (x.dim() == 0 || seen[w]) continue;
    seen[w] = true;
    n *= (double)x.size(w);
  }
  return n;
}

Tensor record(Tensor r, const Tensor& x, const OptDims& dim, bool keepdim, bool mean) {
  const char* name = mean ? (dim ? "MeanBackward1" : "MeanBackward0") : (dim ? "SumBackward1" : "SumBackward0");
  if (auto n = make_node<SumMeanBackward>({&x})) {
    n->name_ = name;
    n->self_ = input_info(x);
    n->dim_ = dim;
    n->keepdim_ = keepdim;
    n->count_ = mean ? reduced_count(x, dim) : 0;
    set_history(r, n);
  }
  return r;
}

}  // namespace

Tensor sum(const Tensor& x, const OptDims& dim, bool keepdim, OptDType dtype) {
  // PyTorch's shapes: sum(x, dtype) or sum.dim_IntList(x, dim, keepdim, dtype), the numbers as []
  profiler::RecordScope scope("aten::sum", dim ? std::initializer_list<const Tensor*>{&x, nullptr, nullptr, nullptr}
                                               : std::initializer_list<const Tensor*>{&x, nullptr});
  return record(::pe::sum(x, dim, keepdim, dtype), x, dim, keepdim, false);
}

Tensor mean(const Tensor& x, const OptDims& dim, bool keepdim, OptDType dtype) {
  return record(::pe::mean(x, dim, keepdim, dtype), x, dim, keepdim, true);
}

}  // namespace pe::autograd
