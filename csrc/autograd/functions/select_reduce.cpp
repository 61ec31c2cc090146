// Backward nodes and differentiable wrappers of scatter_reduce and of the sorting ops (sort, topk,
// kthvalue, msort): sorted values send their gradient back through the returned indices; the
// scatter_reduce formulas are PyTorch's scatter_reduce_backward (ties of amax/amin share evenly).
#include "autograd/ops_basic.h"
#include "autograd/ops_select.h"
#include "autograd/saved_variable.h"

namespace pe::autograd {

namespace {

TensorOptions like(const Tensor& g) { return TensorOptions{g.dtype(), g.device()}; }

// zeros(sizes).scatter(dim, indices, g): the gradient of values taken at `indices` along dim.
Tensor value_selecting_backward(const Tensor& g, int64_t dim, const Tensor& indices, const DimVector& sizes,
                                bool keepdim) {
  if (sizes.empty()) return g;  // 0-d input: the value is the input
  Tensor grad = g, idx = indices;
  if (!keepdim) {
    grad = autograd::unsqueeze(grad, dim);
    idx = ::pe::unsqueeze(idx, dim);
  }
  return autograd::scatter(::pe::zeros(sizes, like(g)), dim, idx, grad);
}

// SortBackward0, TopkBackward0, KthvalueBackward0: one formula, three names.
struct ValueSelectingBackward : Node {
  const char* node_name = "SortBackward0";
  DimVector self_sizes;
  int64_t dim = 0;
  bool keepdim = true;
  Tensor indices;
  std::string name() const override { return node_name; }
  variable_list apply(variable_list&& g) override {
    if (!should_compute_output(0)) return {Tensor()};
    return {value_selecting_backward(g[0], dim, indices, self_sizes, keepdim)};
  }
};

// The leading part of t (per dim) that index covers: scatter reads src only there.
Tensor covered_part(Tensor t, const Tensor& index) {
  for (int64_t d = 0; d < t.dim(); ++d)
    if (t.sizes()[d] != index.sizes()[d]) t = autograd::narrow(t, d, 0, index.sizes()[d]);
  return t;
}

// index-shaped gradient zero-padded to `sizes`.
Tensor pad_to(Tensor grad, const DimVector& sizes) {
  for (size_t d = 0; d < sizes.size(); ++d) {
    int64_t have = grad.sizes()[d];
    if (have == sizes[d]) continue;
    DimVector s = grad.sizes();
    s[d] = sizes[d];
    grad = autograd::slice_backward(grad, s, (int64_t)d, 0, have, 1);
  }
  return grad;
}

Tensor as_dtype(const Tensor& t, DType dt) { return ::pe::to(t, dt, std::nullopt); }

// where(m, a, b) for a bool mask m, differentiable in a and b, without 0 * inf.
Tensor select_where(const Tensor& m, const Tensor& a, const Tensor& b) {
  return autograd::add(autograd::masked_fill(a, ::pe::logical_not(m), Scalar(0.0)),
                       autograd::masked_fill(b, m, Scalar(0.0)));
}

struct ScatterReduceBackward0 : Node {
  int64_t dim = 0;
  Tensor index;
  std::string reduce;
  bool include_self = true;
  SavedVariable self_, src_, result_;
  InputMeta self_info, src_info;
  std::string name() const override { return "ScatterReduceBackward0"; }
  void release_variables() override {
    self_.reset_data();
    src_.reset_data();
    result_.reset_data();
  }
  variable_list apply(variable_list&& gs) override {
    const Tensor& grad = gs[0];
    Tensor grad_self, grad_src;
    if (reduce == "sum") {
      grad_self = grad;
      grad_src = autograd::gather(grad, dim, index);
    } else if (reduce == "mean") {
      DType dt = grad.dtype();
      Tensor n = include_self ? ::pe::ones(grad.sizes(), like(grad)) : ::pe::zeros(grad.sizes(), like(grad));
      n = ::pe::scatter_add(n, dim, index, ::pe::ones(index.sizes(), TensorOptions{dt, grad.device()}));
      n = ::pe::masked_fill(n, ::pe::eq(n, Scalar(int64_t(0))), Scalar(int64_t(1)));
      grad_self = autograd::div(grad, n);
      grad_src = autograd::div(autograd::gather(grad, dim, index), ::pe::gather(n, dim, index));
    } else if (reduce == "prod") {
      Tensor self = self_.unpack(), result = result_.unpack();
      Tensor src = covered_part(src_.unpack(), index);
      Tensor masked_self = autograd::masked_fill(self, ::pe::eq(self, Scalar(int64_t(0))), Scalar(int64_t(1)));
      Tensor masked_self_result = autograd::scatter_reduce(masked_self, dim, index, src, reduce, include_self);
      grad_self = autograd::div(autograd::mul(grad, masked_self_result), masked_self);
      Tensor src_zero = ::pe::eq(src, Scalar(int64_t(0)));
      Tensor num_zeros = ::pe::gather(
          ::pe::scatter_add(::pe::zeros(self.sizes(), like(self)), dim, index, as_dtype(src_zero, self.dtype())), dim,
          index);
      Tensor single_zero = ::pe::logical_and(src_zero, ::pe::eq(num_zeros, Scalar(int64_t(1))));
      Tensor masked_src = autograd::masked_fill(src, single_zero, Scalar(int64_t(1)));
      Tensor masked_src_result = autograd::scatter_reduce(self, dim, index, masked_src, reduce, include_self);
      Tensor a = autograd::gather(autograd::mul(grad, masked_src_result), dim, index);
      Tensor b = autograd::div(autograd::gather(autograd::mul(grad, result), dim, index),
                               autograd::masked_fill(src, src_zero, Scalar(int64_t(1))));
      grad_src = select_where(single_zero, a, b);
    } else {  // amax / amin: the gradient is shared evenly by the elements equal to the result
      Tensor self = self_.unpack(), result = result_.unpack();
      Tensor src = covered_part(src_.unpack(), index);
      Tensor value = ::pe::gather(result, dim, index);
      Tensor self_is = ::pe::eq(self, result), src_is = ::pe::eq(src, value);
      Tensor count = ::pe::scatter_add(as_dtype(self_is, grad.dtype()), dim, index, as_dtype(src_is, grad.dtype()));
      Tensor shared = autograd::div(grad, count);
      grad_self = autograd::mul(shared, as_dtype(self_is, grad.dtype()));
      grad_src = autograd::mul(autograd::gather(shared, dim, index), as_dtype(src_is, grad.dtype()));
    }
    if (!include_self) grad_self = autograd::scatter(grad_self, dim, index, Scalar(0.0));
    variable_list r(2);
    if (should_compute_output(0)) r[0] = reduce_grad(grad_self, self_info);
    if (should_compute_output(1)) r[1] = reduce_grad(pad_to(grad_src, src_info.sizes), src_info);
    return r;
  }
};

std::string canonical_reduce(const std::string& r) { return r == "max" ? "amax" : (r == "min" ? "amin" : r); }

void fill_scatter_reduce(ScatterReduceBackward0& n, const Tensor& self, int64_t dim, const Tensor& index,
                         const Tensor& src, const std::string& reduce, bool include_self) {
  n.dim = wrap_dim(dim, self.dim());
  n.index = index;
  n.reduce = canonical_reduce(reduce);
  n.include_self = include_self;
  n.self_info = input_info(self);
  n.src_info = input_info(src);
}

bool needs_values(const std::string& reduce) { return reduce != "sum" && reduce != "mean"; }

}  // namespace

Tensor scatter_reduce(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src,
                      const std::string& reduce, bool include_self) {
  Tensor r = ::pe::scatter_reduce(self, dim, index, src, reduce, include_self);
  if (auto n = make_node<ScatterReduceBackward0>({&self, &src})) {
    fill_scatter_reduce(*n, self, dim, index, src, reduce, include_self);
    if (needs_values(n->reduce)) {
      n->self_ = SavedVariable(self, false);
      n->src_ = SavedVariable(src, false);
    }
    set_history(r, n);
    if (needs_values(n->reduce)) n->result_ = SavedVariable(r, true);
  }
  return r;
}

Tensor& scatter_reduce_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce,
                        bool include_self) {
  check_inplace(self);
  auto n = make_node<ScatterReduceBackward0>({&self, &src});
  // The formula needs self's old value: a differentiable copy, so create_graph still reaches self.
  Tensor old = n && needs_values(canonical_reduce(reduce)) ? autograd::clone(self) : Tensor();
  ::pe::scatter_reduce_(self, dim, index, src, reduce, include_self);
  if (n) {
    fill_scatter_reduce(*n, self, dim, index, src, reduce, include_self);
    if (old.defined()) {
      n->self_ = SavedVariable(old, false);
      n->src_ = SavedVariable(src, false);
    }
    rebase_history(self, n);
    if (old.defined()) n->result_ = SavedVariable(self, true);
  }
  return self;
}

namespace {
ValuesIndices record_selecting(ValuesIndices r, const Tensor& self, const char* name, int64_t dim, bool keepdim) {
  if (auto n = make_node<ValueSelectingBackward>({&self})) {
    n->node_name = name;
    n->self_sizes = self.sizes();
    n->dim = wrap_dim(dim, self.dim());
    n->keepdim = keepdim;
    n->indices = r.indices;
    set_history(r.values, n);
  }
  return r;
}
}  // namespace

ValuesIndices sort(const Tensor& self, int64_t dim, bool descending, bool stable, bool stable_overload) {
  return record_selecting(::pe::sort(self, dim, descending, stable), self,
                          stable_overload ? "SortBackward1" : "SortBackward0", dim, true);
}

ValuesIndices topk(const Tensor& self, int64_t k, int64_t dim, bool largest, bool sorted) {
  return record_selecting(::pe::topk(self, k, dim, largest, sorted), self, "TopkBackward0", dim, true);
}

ValuesIndices kthvalue(const Tensor& self, int64_t k, int64_t dim, bool keepdim) {
  return record_selecting(::pe::kthvalue(self, k, dim, keepdim), self, "KthvalueBackward0", dim, keepdim);
}

Tensor msort(const Tensor& self) { return autograd::sort(self, 0, false, false).values; }

}  // namespace pe::autograd
