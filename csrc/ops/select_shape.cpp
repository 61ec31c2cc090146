// Shape ops that copy: cat/stack (strided copies into narrow() views of the output), flip (a copy
// of a negative-stride view), roll (two block copies per dim), repeat_interleave (an index_select
// at indices built by cumsum and index_put_),
// diag_embed and narrow_copy. No kernels of their own: copy_ does the casting and striding.
#include <cstdlib>
#include <limits>

#include "ops/reduce.h"
#include "ops/select.h"

namespace pe {

namespace {

// PyTorch's legacy rule: 1-d empty tensors are skipped by cat's shape checks (but not by its
// dtype promotion).
bool skipped_by_cat(const Tensor& t) { return t.dim() == 1 && t.sizes()[0] == 0; }

struct CatPlan {
  DimVector shape;
  DType dtype;
  int64_t dim = 0;
  TensorList parts;  // the tensors that are copied (non-skipped, non-empty along dim)
};

CatPlan plan_cat(const TensorList& ts, int64_t dim) {
  PE_CHECK_VALUE(!ts.empty(), "torch.cat(): expected a non-empty list of Tensors");
  CatPlan p;
  p.dtype = ts[0].dtype();
  const Tensor* ref = nullptr;
  for (size_t i = 0; i < ts.size(); ++i) {
    PE_CHECK(ts[i].dim() > 0, "zero-dimensional tensor (at position ", i, ") cannot be concatenated");
    PE_CHECK(ts[i].device() == ts[0].device(), "Expected all tensors to be on the same device, but found at least two "
             "devices, ", ts[0].device().str(), " and ", ts[i].device().str(), "!");
    p.dtype = promote_types(p.dtype, ts[i].dtype());
    if (!ref && !skipped_by_cat(ts[i])) ref = &ts[i];
  }
  if (!ref) {  // every input is a 1-d empty tensor: PyTorch does not even look at dim
    p.shape = {0};
    return p;
  }
  p.dim = wrap_dim(dim, ref->dim());
  p.shape = ref->sizes();
  p.shape[p.dim] = 0;
  for (size_t i = 0; i < ts.size(); ++i) {
    const Tensor& t = ts[i];
    if (skipped_by_cat(t)) continue;
    PE_CHECK(t.dim() == ref->dim(), "Tensors must have same number of dimensions: got ", ref->dim(), " and ", t.dim());
    for (int64_t d = 0; d < t.dim(); ++d)
      PE_CHECK(d == p.dim || t.sizes()[d] == ref->sizes()[d], "Sizes of tensors must match except in dimension ", p.dim,
               ". Expected size ", ref->sizes()[d], " but got size ", t.sizes()[d], " for tensor number ", i,
               " in the list.");
    p.shape[p.dim] += t.sizes()[p.dim];
    if (t.sizes()[p.dim] > 0) p.parts.push_back(t);
  }
  return p;
}

void fill_cat(Tensor& out, const CatPlan& p) {
  int64_t off = 0;
  for (const Tensor& t : p.parts) {
    int64_t n = t.sizes()[p.dim];
    Tensor dst = narrow(out, p.dim, off, n);
    copy_(dst, t);
    off += n;
  }
}

}  // namespace

Tensor cat(const TensorList& tensors, int64_t dim) {
  CatPlan p = plan_cat(tensors, dim);
  Tensor out = make_empty(p.shape, p.dtype, tensors[0].device());
  fill_cat(out, p);
  return out;
}

Tensor& cat_out(Tensor& out, const TensorList& tensors, int64_t dim) {
  CatPlan p = plan_cat(tensors, dim);
  PE_CHECK_TYPE(can_cast(p.dtype, out.dtype()), "torch.cat(): input types can't be cast to the desired output type ",
                scalar_type_name(out.dtype()));
  PE_CHECK(out.device() == tensors[0].device(), "torch.cat(): all input tensors and out must be on the same device");
  // out passed as one of the inputs overlaps it once resized, even when both are empty now (PyTorch)
  for (const Tensor& t : tensors)
    PE_CHECK(!out.is_same(t) && (t->storage() != out->storage() || t.numel() == 0 || out.numel() == 0),
             "unsupported operation: some elements of the input tensor and the written-to tensor refer to a single "
             "memory location. Please clone() the tensor before performing the operation.");
  if (out.sizes() != p.shape) resize_(out, p.shape);
  fill_cat(out, p);
  return out;
}

Tensor stack(const TensorList& tensors, int64_t dim) {
  PE_CHECK(!tensors.empty(), "stack expects a non-empty TensorList");
  for (size_t i = 1; i < tensors.size(); ++i)
    PE_CHECK(tensors[i].sizes() == tensors[0].sizes(), "stack expects each tensor to be equal size, but got ",
             tensors[0].sizes(), " at entry 0 and ", tensors[i].sizes(), " at entry ", i);
  dim = wrap_dim(dim, tensors[0].dim() + 1);
  TensorList parts;
  for (const Tensor& t : tensors) parts.push_back(unsqueeze(t, dim));
  return cat(parts, dim);
}

Tensor flip(const Tensor& self, const DimVector& dims) {
  std::vector<bool> flipped(self.dim(), false);
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, self.dim());
    if (self.dim() == 0) continue;
    PE_CHECK(!flipped[w], "dim ", w, " appears multiple times in the list of dims");
    flipped[w] = true;
  }
  if (self.numel() == 0) return contiguous_copy(self);
  // A view walking the flipped dims backwards (negative strides, never handed out), then copied.
  DimVector strides = self.strides();
  int64_t offset = self.storage_offset();
  for (int64_t d = 0; d < self.dim(); ++d) {
    if (!flipped[d]) continue;
    offset += (self.sizes()[d] - 1) * strides[d];
    strides[d] = -strides[d];
  }
  return contiguous_copy(make_view(self, self.sizes(), strides, offset));
}

Tensor roll(const Tensor& self, const DimVector& shifts, const DimVector& dims) {
  PE_CHECK(!shifts.empty(), "`shifts` required");
  if (dims.empty() && shifts.size() == 1) {
    Tensor flat = roll(reshape(self, {self.numel()}), shifts, {0});
    return view(flat, self.sizes());
  }
  PE_CHECK(shifts.size() == dims.size(), "shifts and dimensions must align. shifts: ", shifts.size(), ", dims:",
           dims.size());
  if (self.numel() == 0) return clone(self);  // PyTorch looks at no dim of an empty tensor
  PE_CHECK_INDEX(self.dim() > 0, "Dimension specified as ", dims[0], " but tensor has no dimensions");
  Tensor cur = self;
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = wrap_dim(dims[i], self.dim());
    int64_t n = self.sizes()[d];
    if (n == 0) continue;
    int64_t s = ((shifts[i] % n) + n) % n;
    if (s == 0) continue;
    Tensor next = make_empty(self.sizes(), self.dtype(), self.device());
    Tensor a = narrow(next, d, 0, s), b = narrow(next, d, s, n - s);
    copy_(a, narrow(cur, d, n - s, s));
    copy_(b, narrow(cur, d, 0, n - s));
    cur = next;
  }
  return cur.is_same(self) ? contiguous_copy(self) : cur;
}

namespace {
// The indices 0..n-1, each repeated counts[i] times (counts 1-d), with ops on counts' device: a 1
// at each item's first position (the running sum of the counts before it), summed up.
Tensor repeat_indices(const Tensor& counts, std::optional<int64_t> output_size) {
  Tensor c = to(counts, DType::Int64, std::nullopt);
  PE_CHECK(!first_out_of_bounds(c, std::numeric_limits<int64_t>::max(), false), "repeats can not be negative");
  const int64_t n = c.numel();
  Tensor ends = cumsum(c, 0);
  const int64_t total = n == 0 ? 0 : item(select(ends, 0, n - 1)).to_int64();
  PE_CHECK(!output_size || *output_size == total, "repeat_interleave: Invalid output_size, expected ", total,
           " but got ", *output_size);
  const TensorOptions opt{DType::Int64, counts.device()};
  Tensor marks = zeros({total + 1}, opt);  // + 1: items after the last nonzero count start at `total`
  if (n > 1) index_put_tensors_(marks, {narrow(ends, 0, 0, n - 1)}, ones({n - 1}, opt), /*accumulate=*/true);
  return cumsum(narrow(marks, 0, 0, total), 0);
}

void check_repeats(const Tensor& repeats) {
  PE_CHECK(repeats.dim() <= 1, "repeats must be 0-dim or 1-dim tensor");
  PE_CHECK_T(NotImplementedError, is_integral(repeats.dtype(), false) && repeats.dtype() != DType::UInt8,
             "\"repeat_interleave_cpu\" not implemented for '", scalar_type_name(repeats.dtype()), "'");
}
}  // namespace

Tensor repeat_interleave(const Tensor& self, const Tensor& repeats, std::optional<int64_t> dim,
                         std::optional<int64_t> output_size) {
  check_repeats(repeats);
  Tensor input = dim ? self : reshape(self, {self.numel()});
  int64_t d = dim ? wrap_dim(*dim, self.dim()) : 0;
  if (input.dim() == 0) input = view(input, {1});
  int64_t n = input.sizes()[d];
  Tensor counts = repeats;
  if (repeats.numel() == 1) counts = expand(reshape(repeats, {1}), {n});
  PE_CHECK(counts.dim() == 1 && counts.sizes()[0] == n, "repeats must have the same size as input along dim, but got "
           "repeats.size(0) = ", counts.dim() == 0 ? 1 : counts.sizes()[0], " and input.size(", d, ") = ", n);
  return index_select(input, d, repeat_indices(counts, output_size));
}

Tensor repeat_interleave(const Tensor& self, int64_t repeats, std::optional<int64_t> dim,
                         std::optional<int64_t> output_size) {
  PE_CHECK(repeats >= 0, "Repeats must be non-negative");
  return repeat_interleave(self, scalar_tensor(Scalar(repeats), DType::Int64, self.device()), dim, output_size);
}

Tensor repeat_interleave(const Tensor& repeats, std::optional<int64_t> output_size) {
  check_repeats(repeats);
  Tensor r = repeats.dim() == 0 ? view(repeats, {1}) : repeats;
  return repeat_indices(r, output_size);
}

Tensor diag_embed(const Tensor& self, int64_t offset, int64_t dim1, int64_t dim2) {
  PE_CHECK(self.dim() >= 1, "diag_embed(): input must have at least one dimension");
  int64_t nd = self.dim() + 1;
  int64_t d1 = wrap_dim(dim1, nd), d2 = wrap_dim(dim2, nd);
  PE_CHECK(d1 != d2, "diagonal dimensions cannot be identical ", dim1, ", ", dim2);
  int64_t m = self.sizes().back();
  int64_t n = m + std::llabs(offset);
  DimVector shape;
  int64_t k = 0;
  for (int64_t d = 0; d < nd; ++d) shape.push_back(d == d1 || d == d2 ? n : self.sizes()[k++]);
  Tensor out = zeros(shape, TensorOptions{self.dtype(), self.device()});
  Tensor diag = diagonal(out, offset, d1, d2);
  copy_(diag, self);
  return out;
}

Tensor narrow_copy(const Tensor& self, int64_t dim, int64_t start, int64_t length) {
  // PyTorch's CPU narrow_copy checks a non-negative dim against the rank by an internal assert (RuntimeError,
  // not the IndexError of narrow's dim wrapping, which still handles negative dims).
  PE_CHECK(dim < self.dim() || self.dim() == 0, "Expected dim < static_cast<int64_t>(self_sizes.size()) to be true, "
           "but got false.");
  // PyTorch's narrow_copy reports a negative length as an overrun (after its dim and start checks, which narrow
  // makes); narrow() itself has its own message for it.
  if (length < 0 && self.dim() > 0) {
    const int64_t size = self.sizes()[wrap_dim(dim, self.dim())];
    PE_CHECK(!(start >= -size && start <= size), "start (", start < 0 ? start + size : start, ") + length (", length,
             ") exceeds dimension size (", size, ").");
  }
  return contiguous_copy(narrow(self, dim, start, length));
}

}  // namespace pe
