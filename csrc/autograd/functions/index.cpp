// Differentiable indexing: Tensor.__getitem__ / __setitem__ build PyTorch's graph (basic indices
// are view ops through the differentiable view wrappers, advanced indices one IndexBackward0 /
// IndexPutBackward0), plus the index / index_put / alias / fill_(Tensor) nodes they need.
#include "autograd/ops_basic.h"
#include "autograd/ops_index.h"

namespace pe::autograd {

// Note [Differentiable indexing]
// As PyTorch's applySlicing (TensorIndexing.h): walk the indices left to right over the dims of a
// running view: an int selects (the dim goes away), a slice slices, None unsqueezes, Ellipsis skips
// the unnamed dims, a Python bool (or 0-d bool tensor) unsqueezes and records the index tensor [0]
// (True) or [] (False) on the new dim, a 0-d integer tensor selects, any other tensor is recorded as
// an advanced index on its dim (a k-d mask covers k dims). In a tuple, a slice taking the whole dim
// (start 0 or None, stop None or >= size, step 1) makes no view. The view ops record their own
// nodes; the recorded tensors then go to one `index` (IndexBackward0) or `index_put_`
// (IndexPutBackward0). An index that makes no view at all gives alias(self) (AliasBackward0) for
// getitem and writes into self itself for setitem.

namespace {

TensorOptions like(const Tensor& g) { return TensorOptions{g.dtype(), g.device()}; }

struct IndexBackward0 : Node {
  InputMeta self_info;
  TensorList indices;
  std::string name() const override { return "IndexBackward0"; }
  variable_list apply(variable_list&& g) override {
    if (!should_compute_output(0)) return {Tensor()};
    Tensor z = ::pe::zeros(self_info.sizes, like(g[0]));
    return {autograd::index_put(z, indices, g[0], /*accumulate=*/true)};
  }
};

struct IndexPutBackward0 : Node {
  TensorList indices;
  InputMeta values_info;
  bool accumulate = false;
  std::string name() const override { return "IndexPutBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    if (should_compute_output(0)) {
      // Overwritten places get no gradient; accumulated ones pass it through.
      r[0] = accumulate ? g[0]
                        : autograd::index_put(g[0], indices, ::pe::scalar_tensor(Scalar(0.0), g[0].dtype(),
                                                                                 g[0].device()), false);
    }
    if (should_compute_output(1)) r[1] = reduce_grad(autograd::index(g[0], indices), values_info);
    return r;
  }
};

struct AliasBackward0 : Node {
  std::string name() const override { return "AliasBackward0"; }
  variable_list apply(variable_list&& g) override { return {should_compute_output(0) ? g[0] : Tensor()}; }
};

struct FillBackward3 : Node {
  InputMeta value_info;
  std::string name() const override { return "FillBackward3"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    if (should_compute_output(0)) r[0] = ::pe::zeros(g[0].sizes(), like(g[0]));
    if (should_compute_output(1)) r[1] = reduce_grad(autograd::sum(g[0]), value_info);
    return r;
  }
};

bool is_mask(const Tensor& t) { return t.dtype() == DType::Bool || t.dtype() == DType::UInt8; }

// The running state of Note [Differentiable indexing].
struct Sliced {
  Tensor view;
  bool is_self = true;     // no view op made yet
  TensorList indices;      // advanced indices, one entry per covered dim (a mask covers several)
  int64_t covered = 0;     // dims of view covered by `indices`
  bool has_tensor = false;

  void record(const Tensor& t, int64_t d) {
    while (covered < d) {
      indices.emplace_back();
      ++covered;
    }
    indices.push_back(t);
    covered += (is_mask(t) && t.dim() > 0) ? t.dim() : 1;
    has_tensor = true;
  }
  void set(Tensor v) {
    view = std::move(v);
    is_self = false;
  }
};

Tensor bool_index(bool b, Device device) {
  Tensor t = ::pe::zeros({b ? int64_t(1) : int64_t(0)}, TensorOptions{DType::Int64, device});
  return t;
}

Sliced apply_slicing(const Tensor& self, const std::vector<TensorIndex>& indices, bool elide_full_slices) {
  int64_t specified = 0;
  bool seen_ellipsis = false;
  for (const auto& ix : indices) {
    switch (ix.kind) {
      case TensorIndex::Kind::Int:
      case TensorIndex::Kind::Slice: specified += 1; break;
      case TensorIndex::Kind::Tensor: specified += is_mask(ix.tensor) ? ix.tensor.dim() : 1; break;
      case TensorIndex::Kind::Ellipsis:
        PE_CHECK_INDEX(!seen_ellipsis, "an index can only have a single ellipsis ('...')");
        seen_ellipsis = true;
        break;
      default: break;
    }
  }
  PE_CHECK_INDEX(specified <= self.dim(), "too many indices for tensor of dimension ", self.dim());

  Sliced s;
  s.view = self;
  int64_t d = 0;
  for (const auto& ix : indices) {
    switch (ix.kind) {
      case TensorIndex::Kind::Int: s.set(autograd::select(s.view, d, ix.integer)); break;
      case TensorIndex::Kind::Slice: {
        int64_t size = s.view.dim() > d ? s.view.sizes()[d] : 1;
        bool whole = ix.step == 1 && (!ix.start || *ix.start == 0) && (!ix.stop || *ix.stop >= size);
        if (!(elide_full_slices && whole)) s.set(autograd::slice(s.view, d, ix.start, ix.stop, ix.step));
        ++d;
        break;
      }
      case TensorIndex::Kind::None:
        s.set(autograd::unsqueeze(s.view, d));
        ++d;
        break;
      case TensorIndex::Kind::Bool:
        s.set(autograd::unsqueeze(s.view, d));
        s.record(bool_index(ix.boolean, self.device()), d);
        ++d;
        break;
      case TensorIndex::Kind::Ellipsis: d += self.dim() - specified; break;
      case TensorIndex::Kind::Tensor: {
        const Tensor& t = ix.tensor;
        if (t.dim() == 0 && is_integral(t.dtype(), true)) {
          if (!is_mask(t)) {
            s.set(autograd::select(s.view, d, item(t).to_int64()));
          } else {
            s.set(autograd::unsqueeze(s.view, d));
            s.record(bool_index(item(t).to_bool(), self.device()), d);
            ++d;
          }
          break;
        }
        s.record(t, d);
        d += is_mask(t) ? t.dim() : 1;
        break;
      }
    }
  }
  return s;
}

// value with its leading size-1 dims dropped (PyTorch's slicePrefix1sDims), as a view.
Tensor strip_leading_ones(const Tensor& value) {
  int64_t k = 0;
  while (k < value.dim() && value.sizes()[k] == 1) ++k;
  if (k == 0) return value;
  DimVector rest(value.sizes().begin() + k, value.sizes().end());
  return autograd::view(value, rest);
}

// PyTorch's copy_to: equal shapes copy, a 0-d source fills, anything else broadcasts then copies.
void copy_to(Tensor& dst, const Tensor& src) {
  if (dst.sizes() == src.sizes()) {
    autograd::copy_(dst, src);
  } else if (src.dim() == 0 && src.device().is_cpu()) {
    autograd::fill_(dst, src);
  } else {
    Tensor s = autograd::expand(strip_leading_ones(src), dst.sizes());
    autograd::copy_(dst, s);
  }
}

}  // namespace

Tensor index(const Tensor& self, const TensorList& indices) {
  Tensor r = ::pe::index_tensors(self, indices);
  if (auto n = make_node<IndexBackward0>({&self})) {
    n->self_info = input_info(self);
    n->indices = indices;
    set_history(r, n);
  }
  return r;
}

Tensor index_put(const Tensor& self, const TensorList& indices, const Tensor& values, bool accumulate) {
  Tensor r = ::pe::clone(self);
  ::pe::index_put_tensors_(r, indices, values, accumulate);
  if (auto n = make_node<IndexPutBackward0>({&self, &values})) {
    n->indices = indices;
    n->values_info = input_info(values);
    n->accumulate = accumulate;
    set_history(r, n);
  }
  return r;
}

Tensor& index_put_(Tensor& self, const TensorList& indices, const Tensor& values, bool accumulate) {
  check_inplace(self);
  auto n = make_node<IndexPutBackward0>({&self, &values});
  ::pe::index_put_tensors_(self, indices, values, accumulate);
  if (n) {
    n->indices = indices;
    n->values_info = input_info(values);
    n->accumulate = accumulate;
    rebase_history(self, n);
  }
  return self;
}

Tensor alias(const Tensor& self) {
  Tensor r = make_view(self, self.sizes(), self.strides(), self.storage_offset());
  if (auto n = make_node<AliasBackward0>({&self})) set_history(r, n);
  mark_view(r, self);
  return r;
}

Tensor& fill_(Tensor& self, const Tensor& value) {
  PE_CHECK(value.dim() == 0, "fill_ only supports 0-dimension value tensor but got tensor with ", value.dim(),
           " dimensions.");
  check_inplace(self);
  auto n = make_node<FillBackward3>({&self, &value});
  ::pe::fill_(self, item(value));
  if (n) {
    n->value_info = input_info(value);
    rebase_history(self, n);
  }
  return self;
}

Tensor getitem(const Tensor& self, const std::vector<TensorIndex>& indices, bool single) {
  if (single && indices.size() == 1) {
    const TensorIndex& ix = indices[0];
    switch (ix.kind) {
      case TensorIndex::Kind::Int: return autograd::select(self, 0, ix.integer);
      case TensorIndex::Kind::None: return autograd::unsqueeze(self, 0);
      case TensorIndex::Kind::Ellipsis: return autograd::alias(self);
      case TensorIndex::Kind::Slice:
        PE_CHECK_INDEX(self.dim() > 0, "too many indices for tensor of dimension 0");
        return autograd::slice(self, 0, ix.start, ix.stop, ix.step);
      default: break;
    }
  }
  Sliced s = apply_slicing(self, indices, /*elide_full_slices=*/true);
  if (s.has_tensor) return autograd::index(s.view, s.indices);
  return s.is_self ? autograd::alias(self) : s.view;
}

void setitem(Tensor& self, const std::vector<TensorIndex>& indices, const Tensor& value) {
  Sliced s = apply_slicing(self, indices, /*elide_full_slices=*/true);
  Tensor& dst = s.is_self ? self : s.view;
  if (!s.has_tensor) {
    copy_to(dst, value);
    return;
  }
  autograd::index_put_(dst, s.indices, strip_leading_ones(value), /*accumulate=*/false);
}

void setitem(Tensor& self, const std::vector<TensorIndex>& indices, const Scalar& value) {
  // PyTorch makes the value a one-element tensor first, which for the 16-bit floats converts
  // unchecked (x[...] = 1e6 stores inf on float16); the other dtypes check the value's range.
  if (self.dtype() != DType::Float16 && self.dtype() != DType::BFloat16) check_scalar_fits(value, self.dtype());
  setitem(self, indices, ::pe::scalar_tensor(value, self.dtype(), self.device()));
}

}  // namespace pe::autograd
