// Advanced indexing (aten::index / index_put_): index tensors (integer or boolean masks) gather or
// scatter through the index kernels (see Note [Advanced indexing]); byte offsets and bounds are
// computed by kernels on the tensor's device. Python's index expressions are parsed in
// autograd/functions/index.cpp.
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

// aten::index's indices: one entry per leading dim of self, undefined for a dim taken whole; a k-d
// mask covers k dims (its nonzero() coordinates index them). The index expressions of Python
// (ints, slices, None, Ellipsis, ...) are parsed once, in autograd/functions/index.cpp.
Advanced advanced_indices(const Tensor& self, const TensorList& indices) {
  int64_t consumed = 0;
  for (const Tensor& it : indices) consumed += it.defined() && is_mask(it) ? it.dim() : 1;
  PE_CHECK_INDEX(consumed <= self.dim(), "too many indices for tensor of dimension ", self.dim());

  Advanced a;
  a.view = make_view(self, self.sizes(), self.strides(), self.storage_offset());
  int64_t d = 0;
  for (const Tensor& it : indices) {
    if (!it.defined()) {
      ++d;
      continue;
    }
    if (!is_mask(it)) {
      PE_CHECK_INDEX(it.dtype() == DType::Int64 || it.dtype() == DType::Int32,
                     "tensors used as indices must be long, int, byte or bool tensors");
      a.dims.push_back(d);
      a.index.push_back(it);
      ++d;
      continue;
    }
    if (it.dim() == 0) {  // a 0-d mask adds a dim of size 1 or 0
      a.view = unsqueeze(a.view, d);
      if (!item(it).to_bool()) a.view = slice(a.view, d, 0, 0, 1);
      ++d;
      continue;
    }
    for (int64_t j = 0; j < it.dim(); ++j) {
      PE_CHECK_INDEX(it.sizes()[j] == a.view.sizes()[d + j], "The shape of the mask ", it.sizes(), " at index ", j,
                     " does not match the shape of the indexed tensor ", a.view.sizes(), " at index ", d + j);
    }
    Tensor nz = nonzero(it);  // (n, k)
    for (int64_t j = 0; j < it.dim(); ++j) {
      a.dims.push_back(d + j);
      a.index.push_back(select(nz, 1, j));
    }
    d += it.dim();
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
  checked_numel(bshape);
  // Byte offsets for every position of B, on the tensor's device.
  Tensor offs = zeros(bshape, TensorOptions{DType::Int64, v.device()});
  // PyTorch checks bounds as its kernel reads the indices: when a dim that is not indexed is empty,
  // nothing is read and no index is out of bounds.
  bool reads = true;
  for (int64_t d = 0; d < v.dim(); ++d)
    if (v.sizes()[d] == 0 && std::find(a.dims.begin(), a.dims.end(), d) == a.dims.end()) reads = false;
  for (size_t j = 0; j < a.index.size(); ++j) {
    int64_t dim = a.dims[j];
    int64_t size = v.sizes()[dim];
    // ... except that indexing an empty dim is refused up front (PyTorch's index setup)
    PE_CHECK_INDEX(size > 0 || offs.numel() == 0, "index is out of bounds for dimension with size 0");
    if (offs.numel() == 0 || !reads) continue;  // nothing is indexed (and nothing checked, as PyTorch)
    Tensor ij = to(a.index[j], DType::Int64, v.device());
    auto bad = eager_out_of_bounds(ij, size, true);
    PE_CHECK_INDEX(!bad, "index ", bad.value_or(0), " is out of bounds for dimension ", dim, " with size ", size);
    index_offsets_stub(v.device())(TensorIter({offs}, {offs, expand(ij, bshape)}), size,
                                   v.strides()[dim] * v->itemsize());
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
  g.offsets = make_view(offs, g.out_sizes, off_strides, 0);
  return g;
}

}  // namespace

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

Tensor index_tensors(const Tensor& self, const TensorList& indices) {
  Advanced a = advanced_indices(self, indices);
  if (a.index.empty()) return a.view;
  Geometry g = advanced_geometry(a);
  Tensor out = make_empty(g.out_sizes, self.dtype(), self.device());
  if (out.numel() > 0) index_stub(self.device())(TensorIter({out}, {g.src, g.offsets}));
  return out;
}

Tensor& index_put_tensors_(Tensor& self, const TensorList& indices, const Tensor& value, bool accumulate) {
  Advanced a = advanced_indices(self, indices);
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

Tensor nonzero(const Tensor& t) { return nonzero_stub(t.device())(t); }

std::optional<int64_t> first_out_of_bounds(const Tensor& index, int64_t size, bool allow_negative) {
  if (index.numel() == 0) return std::nullopt;
  return index_bounds_stub(index.device())(contiguous(to(index, DType::Int64, std::nullopt)), size, allow_negative);
}

std::optional<int64_t> eager_out_of_bounds(const Tensor& index, int64_t size, bool allow_negative) {
  if (index.device().is_cuda()) return std::nullopt;  // the kernel checks (Note [Device asserts])
  return first_out_of_bounds(index, size, allow_negative);
}

}  // namespace pe
