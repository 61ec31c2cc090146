// Backward nodes and differentiable wrappers of gather/scatter, the index_* family and take: the
// gradient of a gather is a scatter-add and vice versa (PyTorch's derivatives.yaml formulas),
// written with differentiable wrappers only so create_graph works.
#include "autograd/functions/basic_nodes.h"
#include "autograd/ops_basic.h"
#include "autograd/ops_index.h"
#include "autograd/ops_select.h"

namespace pe::autograd {

namespace {

TensorOptions like(const Tensor& g) { return TensorOptions{g.dtype(), g.device()}; }

// scatter reads only the part of src that index covers; its gradient (index-shaped) is padded with
// zeros up to src's shape. (PyTorch raises "invalid gradient" here instead.)
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

// gather(g, dim, index) reshaped/padded into an input described by `info`.
Tensor gathered_grad(const Tensor& g, int64_t dim, const Tensor& index, const InputMeta& info) {
  return reduce_grad(pad_to(autograd::gather(g, dim, index), info.sizes), info);
}

struct GatherBackward0 : Node {
  DimVector self_sizes;
  int64_t dim = 0;
  Tensor index;
  std::string name() const override { return "GatherBackward0"; }
  variable_list apply(variable_list&& g) override {
    if (!should_compute_output(0)) return {Tensor()};
    // An empty index (of any dtype or rank, which gather accepts) gathered nothing: a zero gradient.
    if (index.numel() == 0) return {::pe::zeros(self_sizes, like(g[0]))};
    return {autograd::scatter_add(::pe::zeros(self_sizes, like(g[0])), dim, index, g[0])};
  }
};

// ScatterBackward0 (src tensor, edges self and src) and ScatterBackward1 (value, edge self).
struct ScatterBackward : Node {
  int64_t dim = 0;
  Tensor index;
  InputMeta src_info;
  bool has_src = false;
  std::string name() const override { return has_src ? "ScatterBackward0" : "ScatterBackward1"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(num_outputs());
    if (should_compute_output(0)) r[0] = autograd::scatter(g[0], dim, index, Scalar(0.0));
    if (has_src && should_compute_output(1)) r[1] = gathered_grad(g[0], dim, index, src_info);
    return r;
  }
};

struct ScatterAddBackward0 : Node {
  int64_t dim = 0;
  Tensor index;
  InputMeta src_info;
  std::string name() const override { return "ScatterAddBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    if (should_compute_output(0)) r[0] = g[0];
    if (should_compute_output(1)) r[1] = gathered_grad(g[0], dim, index, src_info);
    return r;
  }
};

struct IndexSelectBackward0 : Node {
  DimVector self_sizes;
  int64_t dim = 0;
  Tensor index;
  std::string name() const override { return "IndexSelectBackward0"; }
  variable_list apply(variable_list&& g) override {
    if (!should_compute_output(0)) return {Tensor()};
    Tensor z = ::pe::zeros(self_sizes, like(g[0]));
    return {autograd::index_add(z, dim, index, g[0], Scalar(int64_t(1)))};
  }
};

// index_select(g, dim, index) for a source of shape `info` (a 0-d source takes a 1-element slice).
Tensor selected_grad(const Tensor& g, int64_t dim, const Tensor& index, const InputMeta& info) {
  Tensor s = autograd::index_select(g, dim, index);
  if (s.sizes() != info.sizes) s = autograd::reshape(s, info.sizes);
  return reduce_grad(s, info);
}

struct IndexAddBackward0 : Node {
  int64_t dim = 0;
  Tensor index;
  Scalar alpha;
  InputMeta source_info;
  std::string name() const override { return "IndexAddBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    if (should_compute_output(0)) r[0] = g[0];
    if (should_compute_output(1)) {
      Tensor s = selected_grad(g[0], dim, index, source_info);
      bool one = alpha.is_integral() ? alpha.to_int64() == 1 : alpha.to_double() == 1.0;
      r[1] = one ? s : reduce_grad(autograd::mul(s, alpha), source_info);
    }
    return r;
  }
};

struct IndexCopyBackward0 : Node {
  int64_t dim = 0;
  Tensor index;
  InputMeta source_info;
  std::string name() const override { return "IndexCopyBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    if (should_compute_output(0)) r[0] = autograd::index_fill(g[0], dim, index, Scalar(0.0));
    if (should_compute_output(1)) r[1] = selected_grad(g[0], dim, index, source_info);
    return r;
  }
};

// IndexFillBackward0 (number value, edge self) and IndexFillBackward1 (0-d tensor value, edges
// self and value). The value's gradient sums g over the filled places, each counted once even when
// the index repeats it (PyTorch sums over the unique indices).
struct IndexFillBackward : Node {
  int64_t dim = 0;
  Tensor index;
  InputMeta value_info;
  bool has_value = false;
  std::string name() const override { return has_value ? "IndexFillBackward1" : "IndexFillBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(num_outputs());
    Tensor kept = autograd::index_fill(g[0], dim, index, Scalar(0.0));
    if (should_compute_output(0)) r[0] = kept;
    if (has_value && should_compute_output(1))
      r[1] = reduce_grad(autograd::sum(autograd::sub(g[0], kept)), value_info);
    return r;
  }
};

struct TakeBackward0 : Node {
  DimVector self_sizes;
  Tensor index;
  std::string name() const override { return "TakeBackward0"; }
  variable_list apply(variable_list&& g) override {
    if (!should_compute_output(0)) return {Tensor()};
    int64_t n = 1;
    for (int64_t s : self_sizes) n *= s;
    Tensor flat = autograd::index_put(::pe::zeros({n}, like(g[0])), {index}, g[0], /*accumulate=*/true);
    return {autograd::view(flat, self_sizes)};
  }
};

// scatter's node: NotImplemented when reduce is given (PyTorch has no derivative for it), else
// ScatterBackward0 (edges self, src) or ScatterBackward1 (edge self). Null when nothing requires grad.
std::shared_ptr<Node> scatter_node(const Tensor& self, const Tensor* src, const std::string& reduce, int64_t dim,
                                   const Tensor& index) {
  std::shared_ptr<Node> node;
  if (!reduce.empty()) {
    return src ? make_node<NotImplementedBackward>({&self, src}, "scatter")
               : make_node<NotImplementedBackward>({&self}, "scatter");
  }
  auto n = src ? make_node<ScatterBackward>({&self, src}) : make_node<ScatterBackward>({&self});
  if (n) {
    n->has_src = src != nullptr;
    if (src) n->src_info = input_info(*src);
    n->dim = wrap_dim(dim, self.dim());
    n->index = index;
  }
  return n;
}

}  // namespace

Tensor gather(const Tensor& self, int64_t dim, const Tensor& index) {
  Tensor r = ::pe::gather(self, dim, index);
  if (auto n = make_node<GatherBackward0>({&self})) {
    n->self_sizes = self.sizes();
    n->dim = wrap_dim(dim, self.dim());
    n->index = index;
    set_history(r, n);
  }
  return r;
}

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce) {
  Tensor r = ::pe::scatter(self, dim, index, src, reduce);
  if (auto n = scatter_node(self, &src, reduce, dim, index)) set_history(r, n);
  return r;
}

Tensor scatter(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value, const std::string& reduce) {
  Tensor r = ::pe::scatter(self, dim, index, value, reduce);
  if (auto n = scatter_node(self, nullptr, reduce, dim, index)) set_history(r, n);
  return r;
}

Tensor& scatter_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, const std::string& reduce) {
  check_inplace(self);
  auto n = scatter_node(self, &src, reduce, dim, index);
  ::pe::scatter_(self, dim, index, src, reduce);
  if (n) rebase_history(self, n);
  return self;
}

Tensor& scatter_(Tensor& self, int64_t dim, const Tensor& index, const Scalar& value, const std::string& reduce) {
  check_inplace(self);
  auto n = scatter_node(self, nullptr, reduce, dim, index);
  ::pe::scatter_(self, dim, index, value, reduce);
  if (n) rebase_history(self, n);
  return self;
}

Tensor scatter_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor r = ::pe::scatter_add(self, dim, index, src);
  if (auto n = make_node<ScatterAddBackward0>({&self, &src})) {
    n->dim = wrap_dim(dim, self.dim());
    n->index = index;
    n->src_info = input_info(src);
    set_history(r, n);
  }
  return r;
}

Tensor& scatter_add_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& src) {
  check_inplace(self);
  auto n = make_node<ScatterAddBackward0>({&self, &src});
  ::pe::scatter_add_(self, dim, index, src);
  if (n) {
    n->dim = wrap_dim(dim, self.dim());
    n->index = index;
    n->src_info = input_info(src);
    rebase_history(self, n);
  }
  return self;
}

Tensor index_select(const Tensor& self, int64_t dim, const Tensor& index) {
  Tensor r = ::pe::index_select(self, dim, index);
  if (auto n = make_node<IndexSelectBackward0>({&self})) {
    n->self_sizes = self.sizes();
    n->dim = wrap_dim(dim, self.dim());
    n->index = index;
    set_history(r, n);
  }
  return r;
}

Tensor index_add(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha) {
  Tensor r = ::pe::index_add(self, dim, index, source, alpha);
  if (auto n = make_node<IndexAddBackward0>({&self, &source})) {
    n->dim = wrap_dim(dim, self.dim());
    n->index = index;
    n->alpha = alpha;
    n->source_info = input_info(source);
    set_history(r, n);
  }
  return r;
}

Tensor& index_add_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& source, const Scalar& alpha) {
  check_inplace(self);
  auto n = make_node<IndexAddBackward0>({&self, &source});
  ::pe::index_add_(self, dim, index, source, alpha);
  if (n) {
    n->dim = wrap_dim(dim, self.dim());
    n->index = index;
    n->alpha = alpha;
    n->source_info = input_info(source);
    rebase_history(self, n);
  }
  return self;
}

Tensor index_copy(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  Tensor r = ::pe::index_copy(self, dim, index, source);
  if (auto n = make_node<IndexCopyBackward0>({&self, &source})) {
    n->dim = wrap_dim(dim, self.dim());
    n->index = index;
    n->source_info = input_info(source);
    set_history(r, n);
  }
  return r;
}

Tensor& index_copy_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& source) {
  check_inplace(self);
  auto n = make_node<IndexCopyBackward0>({&self, &source});
  ::pe::index_copy_(self, dim, index, source);
  if (n) {
    n->dim = wrap_dim(dim, self.dim());
    n->index = index;
    n->source_info = input_info(source);
    rebase_history(self, n);
  }
  return self;
}

Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Scalar& value) {
  Tensor r = ::pe::index_fill(self, dim, index, value);
  if (auto n = make_node<IndexFillBackward>({&self})) {
    n->dim = wrap_dim(dim, self.dim());
    n->index = index;
    set_history(r, n);
  }
  return r;
}

Tensor index_fill(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& value) {
  Tensor r = ::pe::index_fill(self, dim, index, value);
  if (auto n = make_node<IndexFillBackward>({&self, &value})) {
    n->dim = wrap_dim(dim, self.dim());
    n->index = index;
    n->has_value = true;
    n->value_info = input_info(value);
    set_history(r, n);
  }
  return r;
}

Tensor& index_fill_(Tensor& self, int64_t dim, const Tensor& index, const Scalar& value) {
  check_inplace(self);
  auto n = make_node<IndexFillBackward>({&self});
  ::pe::index_fill_(self, dim, index, value);
  if (n) {
    n->dim = wrap_dim(dim, self.dim());
    n->index = index;
    rebase_history(self, n);
  }
  return self;
}

Tensor& index_fill_(Tensor& self, int64_t dim, const Tensor& index, const Tensor& value) {
  check_inplace(self);
  auto n = make_node<IndexFillBackward>({&self, &value});
  ::pe::index_fill_(self, dim, index, value);
  if (n) {
    n->dim = wrap_dim(dim, self.dim());
    n->index = index;
    n->has_value = true;
    n->value_info = input_info(value);
    rebase_history(self, n);
  }
  return self;
}

Tensor take(const Tensor& self, const Tensor& index) {
  Tensor r = ::pe::take(self, index);
  if (auto n = make_node<TakeBackward0>({&self})) {
    n->self_sizes = self.sizes();
    n->index = index;
    set_history(r, n);
  }
  return r;
}

// PyTorch's composite: broadcast self and indices (except along dim), then gather; without dim,
// gather from the flattened self.
Tensor take_along_dim(const Tensor& self, const Tensor& indices, std::optional<int64_t> dim) {
  if (!compute_requires_grad({&self})) return ::pe::take_along_dim(self, indices, dim);
  PE_CHECK(is_integral(indices.dtype(), false) && indices.dtype() == DType::Int64,
           "torch.take_along_dim(): dtype of indices should be Long but got ", scalar_type_name(indices.dtype()));
  if (!dim) return autograd::gather(autograd::reshape(self, {self.numel()}), 0, ::pe::reshape(indices, {-1}));
  PE_CHECK(self.dim() == indices.dim(), "torch.take_along_dim(): input and indices should have the same number of "
           "dimensions, but got ", self.dim(), " dimensions for input, and ", indices.dim(), " dimensions for indices");
  int64_t d = wrap_dim(*dim, self.dim());
  DimVector ss = self.sizes(), is = indices.sizes();
  if (self.dim() > 0) {
    ss[d] = indices.sizes()[d];
    is[d] = self.sizes()[d];
  }
  Tensor ib = ::pe::expand(indices, broadcast_shapes(ss, indices.sizes()));
  Tensor sb = autograd::expand(self, broadcast_shapes(is, self.sizes()));
  // Indices along dim wrap modulo its size, as PyTorch's take_along_dim (-1 is the last, n + 1 the second).
  if (self.dim() > 0 && sb.sizes()[d] > 0) ib = ::pe::remainder(ib, Scalar(sb.sizes()[d]));
  return autograd::gather(sb, d, ib);
}

}  // namespace pe::autograd
