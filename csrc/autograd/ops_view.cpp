// Differentiable view ops, copies and the view backwards (ops_basic.h). Every view op's output is
// marked as a view of its input's base (mark_view), whether or not it requires grad, so an in-place
// op through it later rebases the base's history (Note [Recording] in variable.h).
#include "autograd/functions/basic_nodes.h"
#include "autograd/ops_basic.h"
#include "ops/select.h"
#include "core/profiler_hook.h"

namespace pe::autograd {
namespace {

using Grads = variable_list;

// Records `r` = view_op(t) with backward `fn(grad)`; marks r a view of t's base when `is_view`.
Tensor record(const Tensor& r, const Tensor& t, const char* name, std::function<Tensor(const Tensor&)> fn,
              bool is_view = true) {
  if (is_view) mark_view(r, t);
  if (r.is_same(t)) return r;
  if (compute_requires_grad({&t})) {
    auto n = std::make_shared<LambdaBackward>(name, [fn](const LambdaBackward&, Grads& g) { return Grads{fn(g[0])}; });
    n->set_next_edges({gradient_edge(t)});
    set_history(r, n);
  }
  return r;
}

TensorOptions options(const Tensor& g) {
  TensorOptions o;
  o.dtype = g.dtype();
  o.device = g.device();
  return o;
}

// PyTorch's slice bounds: defaults, negative wrap, clamp to [0, size].
std::pair<int64_t, int64_t> slice_bounds(int64_t size, std::optional<int64_t> start, std::optional<int64_t> stop) {
  int64_t s = start.value_or(0), e = stop.value_or(size);
  if (s < 0) s += size;
  if (e < 0) e += size;
  s = std::min(std::max<int64_t>(s, 0), size);
  e = std::min(std::max<int64_t>(e, s), size);
  return {s, e};
}

// The backward of split/chunk/unbind: the pieces' gradients put back side by side along dim.
Tensor join(const Grads& g, const DimVector& sizes, int64_t dim, bool stacked) {
  if (!GradMode::is_enabled()) return stacked ? ::pe::stack(g, dim) : ::pe::cat(g, dim);
  Tensor r;
  int64_t start = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    Tensor part = stacked ? autograd::select_backward(g[i], sizes, dim, (int64_t)i)
                          : autograd::slice_backward(g[i], sizes, dim, start, start + g[i].size(dim), 1);
    start += stacked ? 1 : g[i].size(dim);
    r = r.defined() ? autograd::add(r, part) : part;
  }
  return r;
}

TensorList record_pieces(TensorList parts, const Tensor& t, const char* name, int64_t dim, bool stacked) {
  for (auto& p : parts) mark_view(p, t);
  if (!compute_requires_grad({&t})) return parts;
  DimVector sizes = t.sizes();
  int64_t d = wrap_dim(dim, t.dim());
  auto n = std::make_shared<LambdaBackward>(name, [sizes, d, stacked](const LambdaBackward&, Grads& g) {
    return Grads{join(g, sizes, d, stacked)};
  });
  n->set_next_edges({gradient_edge(t)});
  set_history(parts, n);
  return parts;
}

}  // namespace

Tensor view(const Tensor& t, const DimVector& shape) {
  DimVector in = t.sizes();
  return record(::pe::view(t, shape), t, "ViewBackward0", [in](const Tensor& g) { return autograd::reshape(g, in); });
}

Tensor reshape(const Tensor& t, const DimVector& shape) {
  Tensor r = ::pe::reshape(t, shape);
  DimVector in = t.sizes();
  bool aliases = r->storage().get() == t->storage().get();
  return record(r, t, aliases ? "ViewBackward0" : "UnsafeViewBackward0",
                [in](const Tensor& g) { return autograd::reshape(g, in); }, aliases);
}

Tensor as_strided(const Tensor& t, const DimVector& sizes, const DimVector& strides,
                  std::optional<int64_t> storage_offset) {
  Tensor r = ::pe::as_strided(t, sizes, strides, storage_offset);
  mark_view(r, t);
  if (compute_requires_grad({&t})) {
    auto n = std::make_shared<AsStridedBackward0>(t, r.sizes(), r.strides(), r.storage_offset());
    n->set_next_edges({gradient_edge(t)});
    set_history(r, n);
  }
  return r;
}

Tensor permute(const Tensor& t, const DimVector& dims) {
  DimVector inv(dims.size());
  for (size_t i = 0; i < dims.size(); ++i) inv[wrap_dim(dims[i], t.dim())] = (int64_t)i;
  return record(::pe::permute(t, dims), t, "PermuteBackward0",
                [inv](const Tensor& g) { return autograd::permute(g, inv); });
}

Tensor transpose(const Tensor& t, int64_t d0, int64_t d1) {
  return record(::pe::transpose(t, d0, d1), t, "TransposeBackward0",
                [d0, d1](const Tensor& g) { return autograd::transpose(g, d0, d1); });
}

Tensor t(const Tensor& x) {
  profiler::RecordScope scope("aten::t", {&x});
  return record(::pe::t(x), x, "TBackward0", [](const Tensor& g) { return autograd::t(g); });
}

Tensor expand(const Tensor& t, const DimVector& sizes) {
  DimVector in = t.sizes();
  return record(::pe::expand(t, sizes), t, "ExpandBackward0", [in](const Tensor& g) { return sum_to(g, in); });
}

Tensor narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length) {
  Tensor r = ::pe::narrow(t, dim, start, length);
  DimVector in = t.sizes();
  int64_t d = wrap_dim(dim, t.dim());
  int64_t s = start < 0 ? start + t.size(d) : start;
  return record(r, t, "SliceBackward0",
                [in, d, s, length](const Tensor& g) { return autograd::slice_backward(g, in, d, s, s + length, 1); });
}

Tensor select(const Tensor& t, int64_t dim, int64_t index) {
  Tensor r = ::pe::select(t, dim, index);
  DimVector in = t.sizes();
  int64_t d = wrap_dim(dim, t.dim());
  int64_t i = index < 0 ? index + t.size(d) : index;
  return record(r, t, "SelectBackward0", [in, d, i](const Tensor& g) { return autograd::select_backward(g, in, d, i); });
}

Tensor slice(const Tensor& t, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> stop, int64_t step) {
  Tensor r = ::pe::slice(t, dim, start, stop, step);
  DimVector in = t.sizes();
  int64_t d = wrap_dim(dim, t.dim());
  auto [s, e] = slice_bounds(t.size(d), start, stop);
  return record(r, t, "SliceBackward0",
                [in, d, s = s, e = e, step](const Tensor& g) { return autograd::slice_backward(g, in, d, s, e, step); });
}

Tensor squeeze(const Tensor& t, std::optional<DimVector> dims) {
  DimVector in = t.sizes();
  const char* name = !dims ? "SqueezeBackward0" : (dims->size() == 1 ? "SqueezeBackward1" : "SqueezeBackward2");
  return record(::pe::squeeze(t, dims), t, name, [in](const Tensor& g) { return autograd::reshape(g, in); });
}

Tensor unsqueeze(const Tensor& t, int64_t dim) {
  int64_t d = wrap_dim(dim, t.dim() + 1);
  return record(::pe::unsqueeze(t, dim), t, "UnsqueezeBackward0",
                [d](const Tensor& g) { return autograd::squeeze(g, DimVector{d}); });
}

Tensor flatten(const Tensor& t, int64_t start_dim, int64_t end_dim) {
  Tensor r = ::pe::flatten(t, start_dim, end_dim);
  if (r.is_same(t)) return r;
  return autograd::reshape(t, r.sizes());
}

Tensor unflatten(const Tensor& t, int64_t dim, const DimVector& sizes) {
  Tensor r = ::pe::unflatten(t, dim, sizes);
  return autograd::view(t, r.sizes());
}

Tensor diagonal(const Tensor& t, int64_t offset, int64_t dim1, int64_t dim2) {
  DimVector in = t.sizes();
  int64_t d1 = wrap_dim(dim1, t.dim()), d2 = wrap_dim(dim2, t.dim());
  return record(::pe::diagonal(t, offset, dim1, dim2), t, "DiagonalBackward0",
                [in, offset, d1, d2](const Tensor& g) { return autograd::diagonal_backward(g, in, offset, d1, d2); });
}

TensorList split(const Tensor& t, int64_t split_size, int64_t dim) {
  return record_pieces(::pe::split(t, split_size, dim), t, "SplitBackward0", dim, false);
}

TensorList split_with_sizes(const Tensor& t, const DimVector& sizes, int64_t dim) {
  return record_pieces(::pe::split_with_sizes(t, sizes, dim), t, "SplitWithSizesBackward0", dim, false);
}

TensorList chunk(const Tensor& t, int64_t chunks, int64_t dim) {
  return record_pieces(::pe::chunk(t, chunks, dim), t, "SplitBackward0", dim, false);
}

TensorList unbind(const Tensor& t, int64_t dim) {
  return record_pieces(::pe::unbind(t, dim), t, "UnbindBackward0", dim, true);
}

// ---- copies ----

Tensor clone(const Tensor& t, MemoryFormat fmt) {
  return record(::pe::clone(t, fmt), t, "CloneBackward0", [](const Tensor& g) { return g; }, false);
}

Tensor contiguous(const Tensor& t, MemoryFormat fmt) {
  Tensor r = ::pe::contiguous(t, fmt);
  if (r.is_same(t)) return r;
  return record(r, t, "CloneBackward0", [](const Tensor& g) { return g; }, false);
}

Tensor to(const Tensor& t, std::optional<DType> dtype, std::optional<Device> device, bool copy, MemoryFormat fmt) {
  Tensor r = ::pe::to(t, dtype, device, copy, fmt);
  if (r.is_same(t)) return r;
  DType dt = t.dtype();
  Device dev = t.device();
  return record(r, t, "ToCopyBackward0", [dt, dev](const Tensor& g) { return autograd::to(g, dt, dev); }, false);
}

Tensor detach(const Tensor& t) { return ::pe::alias(t, /*share_version=*/true); }

namespace {
// copy_/fill_/zero_: the old values of dst get no gradient; src (copy_) gets the gradient.
struct CopyBackwards : Node {
  std::string name_;
  InputMeta dst_, src_;
  std::string name() const override { return name_; }
  variable_list apply(variable_list&& g) override {
    variable_list r(num_outputs());
    if (should_compute_output(0)) r[0] = ::pe::zeros(dst_.sizes, options(g[0]));
    if (num_outputs() > 1 && should_compute_output(1)) r[1] = reduce_grad(g[0], src_);
    return r;
  }
};

Tensor& overwrite(Tensor& dst, const Tensor* src, const char* name, const std::function<void()>& op) {
  check_inplace(dst);
  std::shared_ptr<CopyBackwards> n;
  if (src) {
    n = make_node<CopyBackwards>({&dst, src});
  } else {
    n = make_node<CopyBackwards>({&dst});
  }
  if (n) {
    n->name_ = name;
    n->dst_ = input_info(dst);
    if (src) n->src_ = input_info(*src);
  }
  op();
  if (n) rebase_history(dst, n);
  return dst;
}
}  // namespace

Tensor& copy_(Tensor& dst, const Tensor& src) {
  return overwrite(dst, &src, "CopyBackwards", [&] { ::pe::copy_(dst, src); });
}

Tensor& fill_(Tensor& t, const Scalar& value) {
  return overwrite(t, nullptr, "FillBackward0", [&] { ::pe::fill_(t, value); });
}

Tensor& zero_(Tensor& t) {
  return overwrite(t, nullptr, "ZeroBackward0", [&] { ::pe::zero_(t); });
}

// ---- the view backwards, themselves differentiable (their backward is the view again) ----

Tensor select_backward(const Tensor& g, const DimVector& input_sizes, int64_t dim, int64_t index) {
  Tensor r = ::pe::zeros(input_sizes, options(g));
  Tensor part = ::pe::select(r, dim, index);
  ::pe::copy_(part, g);
  return record(r, g, "SelectBackwardBackward0",
                [dim, index](const Tensor& gg) { return autograd::select(gg, dim, index); }, false);
}

Tensor slice_backward(const Tensor& g, const DimVector& input_sizes, int64_t dim, int64_t start, int64_t end,
                      int64_t step) {
  Tensor r = ::pe::zeros(input_sizes, options(g));
  Tensor part = ::pe::slice(r, dim, start, end, step);
  ::pe::copy_(part, g);
  return record(r, g, "SliceBackwardBackward0",
                [dim, start, end, step](const Tensor& gg) { return autograd::slice(gg, dim, start, end, step); },
                false);
}

Tensor diagonal_backward(const Tensor& g, const DimVector& input_sizes, int64_t offset, int64_t dim1, int64_t dim2) {
  Tensor r = ::pe::zeros(input_sizes, options(g));
  Tensor part = ::pe::diagonal(r, offset, dim1, dim2);
  ::pe::copy_(part, g);
  return record(r, g, "DiagonalBackwardBackward0",
                [offset, dim1, dim2](const Tensor& gg) { return autograd::diagonal(gg, offset, dim1, dim2); }, false);
}

}  // namespace pe::autograd
