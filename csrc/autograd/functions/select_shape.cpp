// Backward nodes and differentiable wrappers of the shape ops that copy: cat, stack, repeat, flip,
// roll, tril/triu, diag, trace, diag_embed, narrow_copy, repeat_interleave. The formulas are
// PyTorch's (derivatives.yaml), written with differentiable wrappers only so create_graph works.
#include "autograd/ops_basic.h"
#include "autograd/ops_select.h"
#include "ops/linalg.h"

namespace pe::autograd {

namespace {

TensorOptions like(const Tensor& g) { return TensorOptions{g.dtype(), g.device()}; }

// ---- cat / stack ----
struct CatBackward0 : Node {
  std::vector<InputMeta> infos;
  int64_t dim = 0;
  std::string name() const override { return "CatBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(infos.size());
    int64_t offset = 0;
    for (size_t i = 0; i < infos.size(); ++i) {
      const DimVector& s = infos[i].sizes;
      // A 1-d empty input was skipped by cat (the legacy rule): its gradient is empty too.
      if (s.size() == 1 && s[0] == 0) {
        if (should_compute_output(i)) r[i] = ::pe::zeros({0}, TensorOptions{infos[i].dtype, infos[i].device});
        continue;
      }
      if (should_compute_output(i)) r[i] = reduce_grad(autograd::narrow(g[0], dim, offset, s[dim]), infos[i]);
      offset += s[dim];
    }
    return r;
  }
};

struct StackBackward0 : Node {
  std::vector<InputMeta> infos;
  int64_t dim = 0;
  std::string name() const override { return "StackBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(infos.size());
    TensorList parts = autograd::unbind(g[0], dim);
    for (size_t i = 0; i < infos.size(); ++i)
      if (should_compute_output(i)) r[i] = reduce_grad(parts[i], infos[i]);
    return r;
  }
};

// ---- repeat ----
struct RepeatBackward0 : Node {
  DimVector self_sizes, repeats;
  std::string name() const override { return "RepeatBackward0"; }
  variable_list apply(variable_list&& g) override {
    if (!should_compute_output(0)) return {Tensor()};
    for (int64_t r : repeats)
      if (r == 0) return {::pe::zeros(self_sizes, like(g[0]))};
    Tensor grad = g[0];
    int64_t pad = (int64_t)repeats.size() - (int64_t)self_sizes.size();
    // (r0*s0, r1*s1, ...) seen as (r0, s0, r1, s1, ...); the r dims (and the padded leading dims)
    // are summed away.
    DimVector shape, sum_dims;
    for (int64_t i = 0; i < (int64_t)repeats.size(); ++i) {
      if (i < pad) {
        shape.push_back(repeats[i]);
        sum_dims.push_back((int64_t)shape.size() - 1);
        continue;
      }
      if (repeats[i] != 1) {
        shape.push_back(repeats[i]);
        sum_dims.push_back((int64_t)shape.size() - 1);
      }
      shape.push_back(self_sizes[i - pad]);
    }
    grad = autograd::reshape(grad, shape);
    if (!sum_dims.empty()) grad = autograd::sum(grad, sum_dims);
    return {grad};
  }
};

// ---- flip / roll ----
struct FlipBackward0 : Node {
  DimVector dims;
  std::string name() const override { return "FlipBackward0"; }
  variable_list apply(variable_list&& g) override {
    return {should_compute_output(0) ? autograd::flip(g[0], dims) : Tensor()};
  }
};

struct RollBackward0 : Node {
  DimVector shifts, dims;
  std::string name() const override { return "RollBackward0"; }
  variable_list apply(variable_list&& g) override {
    if (!should_compute_output(0)) return {Tensor()};
    DimVector back;
    for (int64_t s : shifts) back.push_back(-s);
    return {autograd::roll(g[0], back, dims)};
  }
};

// ---- tril / triu ----
struct TriBackward : Node {
  int64_t diagonal = 0;
  bool upper = false;
  std::string name() const override { return upper ? "TriuBackward0" : "TrilBackward0"; }
  variable_list apply(variable_list&& g) override {
    if (!should_compute_output(0)) return {Tensor()};
    return {upper ? autograd::triu(g[0], diagonal) : autograd::tril(g[0], diagonal)};
  }
};

// ---- diag / trace / diag_embed / narrow_copy ----
// Backward of diag_embed (and of diag of a vector, which PyTorch records as DiagEmbedBackward0).
struct DiagEmbedBackward0 : Node {
  int64_t offset = 0, dim1 = 0, dim2 = 0;
  std::string name() const override { return "DiagEmbedBackward0"; }
  variable_list apply(variable_list&& g) override {
    return {should_compute_output(0) ? autograd::diagonal(g[0], offset, dim1, dim2) : Tensor()};
  }
};

// diag of a matrix: PyTorch records diagonal_copy's node, named "DiagonalBackward0_copy".
struct DiagonalCopyBackward : Node {
  DimVector self_sizes;
  int64_t offset = 0;
  std::string name() const override { return "DiagonalBackward0_copy"; }
  variable_list apply(variable_list&& g) override {
    if (!should_compute_output(0)) return {Tensor()};
    return {autograd::diagonal_backward(g[0], self_sizes, offset, 0, 1)};
  }
};

struct TraceBackward0 : Node {
  DimVector self_sizes;
  std::string name() const override { return "TraceBackward0"; }
  variable_list apply(variable_list&& g) override {
    if (!should_compute_output(0)) return {Tensor()};
    int64_t n = std::min(self_sizes[0], self_sizes[1]);
    return {autograd::diagonal_backward(autograd::expand(g[0], {n}), self_sizes, 0, 0, 1)};
  }
};

struct NarrowCopyBackward0 : Node {
  DimVector self_sizes;
  int64_t dim = 0, start = 0, length = 0;
  std::string name() const override { return "NarrowCopyBackward0"; }
  variable_list apply(variable_list&& g) override {
    if (!should_compute_output(0)) return {Tensor()};
    return {autograd::slice_backward(g[0], self_sizes, dim, start, start + length, 1)};
  }
};

std::vector<InputMeta> infos_of(const TensorList& ts) {
  std::vector<InputMeta> out;
  for (const Tensor& t : ts) out.push_back(input_info(t));
  return out;
}

}  // namespace

Tensor cat(const TensorList& tensors, int64_t dim) {
  Tensor r = ::pe::cat(tensors, dim);
  if (auto n = make_node_list<CatBackward0>(tensors)) {
    n->infos = infos_of(tensors);
    n->dim = wrap_dim(dim, r.dim());
    set_history(r, n);
  }
  return r;
}

Tensor stack(const TensorList& tensors, int64_t dim) {
  Tensor r = ::pe::stack(tensors, dim);
  if (auto n = make_node_list<StackBackward0>(tensors)) {
    n->infos = infos_of(tensors);
    n->dim = wrap_dim(dim, r.dim());
    set_history(r, n);
  }
  return r;
}

Tensor repeat(const Tensor& self, const DimVector& repeats) {
  Tensor r = ::pe::repeat(self, repeats);
  if (auto n = make_node<RepeatBackward0>({&self})) {
    n->self_sizes = self.sizes();
    n->repeats = repeats;
    set_history(r, n);
  }
  return r;
}

Tensor flip(const Tensor& self, const DimVector& dims) {
  Tensor r = ::pe::flip(self, dims);
  if (auto n = make_node<FlipBackward0>({&self})) {
    n->dims = dims;
    set_history(r, n);
  }
  return r;
}

Tensor roll(const Tensor& self, const DimVector& shifts, const DimVector& dims) {
  Tensor r = ::pe::roll(self, shifts, dims);
  if (auto n = make_node<RollBackward0>({&self})) {
    n->shifts = shifts;
    n->dims = dims;
    set_history(r, n);
  }
  return r;
}

namespace {
Tensor tri(const Tensor& self, int64_t diagonal, bool upper) {
  Tensor r = upper ? ::pe::triu(self, diagonal) : ::pe::tril(self, diagonal);
  if (auto n = make_node<TriBackward>({&self})) {
    n->diagonal = diagonal;
    n->upper = upper;
    set_history(r, n);
  }
  return r;
}
Tensor& tri_(Tensor& self, int64_t diagonal, bool upper) {
  check_inplace(self);
  auto n = make_node<TriBackward>({&self});
  if (upper) ::pe::triu_(self, diagonal);
  else ::pe::tril_(self, diagonal);
  if (n) {
    n->diagonal = diagonal;
    n->upper = upper;
    rebase_history(self, n);
  }
  return self;
}
}  // namespace

Tensor tril(const Tensor& self, int64_t diagonal) { return tri(self, diagonal, false); }
Tensor triu(const Tensor& self, int64_t diagonal) { return tri(self, diagonal, true); }
Tensor& tril_(Tensor& self, int64_t diagonal) { return tri_(self, diagonal, false); }
Tensor& triu_(Tensor& self, int64_t diagonal) { return tri_(self, diagonal, true); }

Tensor diag(const Tensor& self, int64_t diagonal) {
  Tensor r = ::pe::diag(self, diagonal);
  if (!compute_requires_grad({&self})) return r;
  if (self.dim() == 1) {
    auto n = make_node<DiagEmbedBackward0>({&self});
    n->offset = diagonal;
    n->dim1 = 0;
    n->dim2 = 1;
    set_history(r, n);
  } else {
    auto n = make_node<DiagonalCopyBackward>({&self});
    n->self_sizes = self.sizes();
    n->offset = diagonal;
    set_history(r, n);
  }
  return r;
}

Tensor trace(const Tensor& self) {
  Tensor r = ::pe::trace(self);
  if (auto n = make_node<TraceBackward0>({&self})) {
    n->self_sizes = self.sizes();
    set_history(r, n);
  }
  return r;
}

Tensor diag_embed(const Tensor& self, int64_t offset, int64_t dim1, int64_t dim2) {
  Tensor r = ::pe::diag_embed(self, offset, dim1, dim2);
  if (auto n = make_node<DiagEmbedBackward0>({&self})) {
    n->offset = offset;
    n->dim1 = wrap_dim(dim1, r.dim());
    n->dim2 = wrap_dim(dim2, r.dim());
    set_history(r, n);
  }
  return r;
}

Tensor narrow_copy(const Tensor& self, int64_t dim, int64_t start, int64_t length) {
  Tensor r = ::pe::narrow_copy(self, dim, start, length);
  if (auto n = make_node<NarrowCopyBackward0>({&self})) {
    n->self_sizes = self.sizes();
    n->dim = wrap_dim(dim, self.dim());
    n->start = start < 0 ? start + self.sizes()[n->dim] : start;
    n->length = length;
    set_history(r, n);
  }
  return r;
}

// PyTorch's composite: x.unsqueeze(d + 1).expand(..., repeats, ...).clone().view(...) (flattened
// first when dim is None), so the graph and gradient are those of the view ops.
Tensor repeat_interleave(const Tensor& self, int64_t repeats, std::optional<int64_t> dim,
                         std::optional<int64_t> output_size) {
  if (!compute_requires_grad({&self})) return ::pe::repeat_interleave(self, repeats, dim, output_size);
  PE_CHECK(repeats >= 0, "Repeats must be non-negative");
  Tensor input = dim ? self : autograd::reshape(self, {self.numel()});
  if (input.dim() == 0) input = autograd::reshape(input, {1});
  int64_t d = dim ? wrap_dim(*dim, input.dim()) : 0;
  int64_t total = input.sizes()[d] * repeats;
  PE_CHECK(!output_size || *output_size == total, "repeat_interleave: Invalid output_size, expected ", total,
           " but got ", *output_size);
  Tensor u = autograd::unsqueeze(input, d + 1);
  DimVector esz = u.sizes();
  esz[d + 1] = repeats;
  DimVector out = input.sizes();
  out[d] = total;
  return autograd::view(autograd::clone(autograd::expand(u, esz)), out);
}

// With a tensor of repeats: index_select with the repeated indices (IndexSelectBackward0).
Tensor repeat_interleave(const Tensor& self, const Tensor& repeats, std::optional<int64_t> dim,
                         std::optional<int64_t> output_size) {
  if (!compute_requires_grad({&self})) return ::pe::repeat_interleave(self, repeats, dim, output_size);
  Tensor input = dim ? self : autograd::reshape(self, {self.numel()});
  if (input.dim() == 0) input = autograd::reshape(input, {1});
  int64_t d = dim ? wrap_dim(*dim, input.dim()) : 0;
  int64_t n = input.sizes()[d];
  PE_CHECK(repeats.dim() <= 1, "repeats must be 0-dim or 1-dim tensor");
  Tensor counts = repeats.numel() == 1 ? ::pe::expand(::pe::reshape(repeats, {1}), {n}) : repeats;
  PE_CHECK(counts.sizes()[0] == n, "repeats must have the same size as input along dim, but got repeats.size(0) = ",
           counts.sizes()[0], " and input.size(", d, ") = ", n);
  Tensor idx = ::pe::repeat_interleave(counts, output_size);  // checks repeats' dtype and values
  return autograd::index_select(input, d, idx);
}

}  // namespace pe::autograd
