// Tensor indexing: basic indices (ints, slices, None, Ellipsis) make a view; index tensors (integer
// or boolean masks) gather or scatter through the index kernels (see Note [Advanced indexing]).
#include <algorithm>
#include "core/tensor_iter.h"
#include "ops/ops.h"
#include "ops/stubs.h"

namespace pe {

// Note [Advanced indexing]
// After the basic indices are applied, the remaining index tensors I_1..I_k (on dims d_1..d_k of the
// view) broadcast to a shape B. The result has B in place of the indexed dims when those are
// adjacent, else B first, then the other dims R in order (NumPy's rule). Both gather and scatter run
// over that result shape with: the view restrided to stride 0 along B, and a byte-offset tensor
// (sum_j I_j * stride(d_j)) broadcast along R.

namespace {

struct Advanced {
  Tensor view;                       // the tensor after basic indexing
  std::vector<int64_t> dims;         // indexed dims of view
  TensorList index;                  // one integer tensor per indexed dim
};

bool is_mask(const Tensor& t) { return t.dtype() == DType::Bool || t.dtype() == DType::UInt8; }

Advanced apply_basic(const Tensor& self, const std::vector<TensorIndex>& indices) {
  // Dims consumed by the indices, to size the Ellipsis.
  int64_t consumed = 0;
  bool seen_ellipsis = false;
  for (auto& ix : indices) {
    switch (ix.kind) {
      case TensorIndex::Kind::Int:
      case TensorIndex::Kind::Slice: consumed += 1; break;
      case TensorIndex::Kind::Tensor: consumed += is_mask(ix.tensor) ? ix.tensor.dim() : 1; break;
      case TensorIndex::Kind::Ellipsis:
        PE_CHECK_INDEX(!seen_ellipsis, "an index can only have a single ellipsis ('...')");
        seen_ellipsis = true;
        break;
      default: break;
    }
  }
  PE_CHECK_INDEX(consumed <= self.dim(), "too many indices for tensor of dimension ", self.dim());

  Advanced a;
  a.view = make_view(self, self.sizes(), self.strides(), self.storage_offset());
  int64_t d = 0;
  for (auto& ix : indices) {
    switch (ix.kind) {
      case TensorIndex::Kind::Int:
        a.view = select(a.view, d, ix.integer);
        break;
      case TensorIndex::Kind::Slice:
        a.view = slice(a.view, d, ix.start, ix.stop, ix.step);
        ++d;
        break;
      case TensorIndex::Kind::None:
        a.view = unsqueeze(a.view, d);
        ++d;
        break;
      case TensorIndex::Kind::Bool:
        a.view = unsqueeze(a.view, d);
        if (!ix.boolean) a.view = slice(a.view, d, 0, 0, 1);
        ++d;
        break;
      case TensorIndex::Kind::Ellipsis:
        d += self.dim() - consumed;
        break;
      case TensorIndex::Kind::Tensor: {
        const Tensor& it = ix.tensor;
        if (is_mask(it)) {
          if (it.dim() == 0) {  // a 0-d mask adds a dim of size 1 or 0
            a.view = unsqueeze(a.view, d);
            if (!item(it).to_bool()) a.view = slice(a.view, d, 0, 0, 1);
            ++d;
            break;
          }
          for (int64_t j = 0; j < it.dim(); ++j) {
            PE_CHECK_INDEX(it.sizes()[j] == a.view.sizes()[d + j], "The shape of the mask ", it.sizes(),
                           " at index ", j, " does not match the shape of the indexed tensor ", a.view.sizes(),
                           " at index ", d + j);
          }
          Tensor nz = nonzero(it);  // (n, k)
          for (int64_t j = 0; j < it.dim(); ++j) {
            a.dims.push_back(d + j);
            a.index.push_back(select(nz, 1, j));
          }
          d += it.dim();
        } else {
          PE_CHECK_INDEX(it.dtype() == DType::Int64 || it.dtype() == DType::Int32,
                         "tensors used as indices must be long, int, byte or bool tensors");
          a.dims.push_back(d);
          a.index.push_back(it);
          ++d;
        }
        break;
      }
    }
  }
  return a;
}

struct Geometry {
  DimVector out_sizes;
  Tensor src;      // view restrided over out_sizes
  Tensor offsets;  // int64 bytes, over out_sizes
};

Geometry advanced_geometry(const Advanced& a) {
  const Tensor& v = a.view;
  DimVector bshape;
  for (auto& ix : a.index) {
    try {
      bshape = broadcast_shapes(bshape, ix.sizes());
    } catch (const Error&) {
      std::string shapes;
      for (auto& t : a.index) shapes += (shapes.empty() ? "" : ", ") + str(t.sizes());
      throw IndexError("shape mismatch: indexing tensors could not be broadcast together with shapes " + shapes);
    }
  }
  int64_t p = checked_numel(bshape);
  // Byte offsets for every position of B.
  Tensor offs = make_empty(bshape, DType::Int64, Device());
  int64_t* o = offs.data_ptr<int64_t>();
  std::fill(o, o + p, int64_t(0));
  // PyTorch checks bounds as its kernel reads the indices: when a dim that is not indexed is empty,
  // nothing is read and no index is out of bounds.
  bool reads = true;
  for (int64_t d = 0; d < v.dim(); ++d)
    if (v.sizes()[d] == 0 && std::find(a.dims.begin(), a.dims.end(), d) == a.dims.end()) reads = false;
  for (size_t j = 0; j < a.index.size(); ++j) {
    int64_t dim = a.dims[j];
    int64_t size = v.sizes()[dim];
    int64_t stride = v.strides()[dim] * v->itemsize();
    Tensor ij = contiguous(to(expand(a.index[j], bshape), DType::Int64, Device()));
    const int64_t* ip = ij.data_ptr<int64_t>();
    // ... except that indexing an empty dim is refused up front (PyTorch's index setup)
    PE_CHECK_INDEX(size > 0 || p == 0, "index is out of bounds for dimension with size 0");
    for (int64_t i = 0; i < p; ++i) {
      int64_t x = ip[i];
      if (!reads) continue;
      PE_CHECK_INDEX(x >= -size && x < size, "index ", x, " is out of bounds for dimension ", dim, " with size ", size);
      o[i] += (x < 0 ? x + size : x) * stride;
    }
  }
  bool adjacent = true;
  for (size_t j = 1; j < a.dims.size(); ++j) adjacent = adjacent && a.dims[j] == a.dims[j - 1] + 1;
  int64_t insert_at = adjacent ? a.dims[0] : 0;

  // Final order: R dims before insert_at, then B, then the remaining R dims.
  Geometry g;
  DimVector src_strides, off_strides;
  std::vector<bool> indexed(v.dim(), false);
  for (int64_t d : a.dims) indexed[d] = true;
  DimVector bstrides = contiguous_strides(bshape);
  int64_t r_seen = 0;
  auto push_b = [&] {
    for (size_t k = 0; k < bshape.size(); ++k) {
      g.out_sizes.push_back(bshape[k]);
      src_strides.push_back(0);
      off_strides.push_back(bstrides[k]);
    }
  };
  bool b_done = false;
  for (int64_t d = 0; d < v.dim(); ++d) {
    if (indexed[d]) continue;
    if (!b_done && r_seen == insert_at) {
      push_b();
      b_done = true;
    }
    g.out_sizes.push_back(v.sizes()[d]);
    src_strides.push_back(v.strides()[d]);
    off_strides.push_back(0);
    ++r_seen;
  }
  if (!b_done) push_b();
  g.src = make_view(v, g.out_sizes, src_strides, v.storage_offset());
  // Offsets are computed on the host (bounds are checked there) and live on the tensor's device.
  Tensor offs_dev = to(offs, std::nullopt, v.device());
  g.offsets = make_view(offs_dev, g.out_sizes, off_strides, 0);
  return g;
}

}  // namespace

Tensor index(const Tensor& self, const std::vector<TensorIndex>& indices) {
  Advanced a = apply_basic(self, indices);
  if (a.index.empty()) return a.view;
  Geometry g = advanced_geometry(a);
  Tensor out = make_empty(g.out_sizes, self.dtype(), self.device());
  if (out.numel() > 0) index_stub(self.device())(TensorIter({out}, {g.src, g.offsets}));
  return out;
}

namespace {
void put_advanced(Tensor& self, const Advanced& a, const Tensor& value, bool accumulate) {
  Geometry g = advanced_geometry(a);
  DimVector vshape = value.sizes();
  bool ok = vshape.size() <= g.out_sizes.size();
  for (size_t i = 0; ok && i < vshape.size(); ++i) {
    int64_t o = g.out_sizes[g.out_sizes.size() - vshape.size() + i];
    ok = vshape[i] == 1 || vshape[i] == o;
  }
  PE_CHECK(ok, "shape mismatch: value tensor of shape ", vshape, " cannot be broadcast to indexing result of shape ",
           g.out_sizes);
  Tensor v = expand(to(value, self.dtype(), self.device()), g.out_sizes);
  if (v.numel() > 0) index_put_stub(self.device())(TensorIter({g.src}, {v, g.offsets}), accumulate);
  self->bump_version();
}
}  // namespace

void index_put_(Tensor& self, const std::vector<TensorIndex>& indices, const Tensor& value) {
  Advanced a = apply_basic(self, indices);
  if (a.index.empty()) {
    copy_(a.view, value);
    self->bump_version();
    return;
  }
  put_advanced(self, a, value, false);
}

void index_put_(Tensor& self, const std::vector<TensorIndex>& indices, const Scalar& value) {
  check_scalar_fits(value, self.dtype());
  Advanced a = apply_basic(self, indices);
  if (a.index.empty()) {
    fill_(a.view, value);
    self->bump_version();
    return;
  }
  put_advanced(self, a, scalar_tensor(value, self.dtype(), self.device()), false);
}

namespace {
std::vector<TensorIndex> as_indices(const TensorList& indices) {
  std::vector<TensorIndex> out;
  for (auto& t : indices)
    out.push_back(t.defined() ? TensorIndex::make_tensor(t) : TensorIndex::make_slice(std::nullopt, std::nullopt, 1));
  return out;
}
}  // namespace

Tensor index_tensors(const Tensor& self, const TensorList& indices) { return index(self, as_indices(indices)); }

Tensor& index_put_tensors_(Tensor& self, const TensorList& indices, const Tensor& value, bool accumulate) {
  Advanced a = apply_basic(self, as_indices(indices));
  if (a.index.empty()) {
    Tensor v = a.view;
    if (accumulate) add_(v, value);
    else copy_(v, value);
    self->bump_version();
    return self;
  }
  put_advanced(self, a, value, accumulate);
  return self;
}

Tensor nonzero(const Tensor& t) {
  Tensor c = contiguous(to(t, DType::Bool, Device()));
  const bool* p = c.data_ptr<bool>();
  int64_t n = c.numel(), count = 0;
  for (int64_t i = 0; i < n; ++i) count += p[i];
  int64_t nd = t.dim();
  Tensor out = make_empty({count, nd}, DType::Int64, Device());
  int64_t* o = out.data_ptr<int64_t>();
  DimVector idx(nd, 0);
  for (int64_t i = 0; i < n; ++i) {
    if (p[i]) {
      for (int64_t d = 0; d < nd; ++d) *o++ = idx[d];
    }
    for (int64_t d = nd - 1; d >= 0; --d) {
      if (++idx[d] < t.sizes()[d]) break;
      idx[d] = 0;
    }
  }
  return to(out, std::nullopt, t.device());
}

}  // namespace pe
