// View ops: new geometry over the same storage (and version counter), never a copy, except
// reshape, which copies only when no view is possible.
#include <algorithm>

#include "core/checked_mul.h"
#include "ops/ops.h"
#include "ops/view_dtype.h"

namespace pe {

Tensor view(const Tensor& t, const DimVector& shape) {
  DimVector sizes = infer_size(shape, t.numel());
  auto st = view_strides(t.sizes(), t.strides(), sizes);
  PE_CHECK(st.has_value(),
           "view size is not compatible with input tensor's size and stride (at least one dimension spans "
           "across two contiguous subspaces). Use .reshape(...) instead.");
  return make_view(t, sizes, *st, t.storage_offset());
}

Tensor reshape(const Tensor& t, const DimVector& shape) {
  DimVector sizes = infer_size(shape, t.numel());
  auto st = view_strides(t.sizes(), t.strides(), sizes);
  if (st) return make_view(t, sizes, *st, t.storage_offset());
  return view(contiguous_copy(t), sizes);
}

Tensor view_dtype(const Tensor& t, DType dtype) {
  const int64_t old_size = t->itemsize(), new_size = element_size(dtype);
  auto same_bytes = [&](DimVector sizes, DimVector strides, int64_t off) {
    return Tensor(std::make_shared<TensorImpl>(t->storage(), dtype, std::move(sizes), std::move(strides), off,
                                               t->version_counter()));
  };
  if (old_size == new_size) return same_bytes(t.sizes(), t.strides(), t.storage_offset());
  const char* from = scalar_type_name(t.dtype());
  const char* to = scalar_type_name(dtype);
  PE_CHECK(t.dim() > 0, "self.dim() cannot be 0 to view ", from, " as ", to, " (different element sizes)");
  const int64_t last = t.dim() - 1;
  PE_CHECK(t.strides()[last] == 1, "self.stride(-1) must be 1 to view ", from, " as ", to,
           " (different element sizes), but got ", t.strides()[last]);
  DimVector sizes = t.sizes(), strides = t.strides();
  int64_t off = t.storage_offset();
  if (old_size > new_size) {  // each element becomes `ratio` narrower ones
    const int64_t ratio = old_size / new_size;
    for (int64_t i = 0; i < last; ++i) strides[i] = checked_mul(strides[i], ratio);
    sizes[last] = checked_mul(sizes[last], ratio);
    off = checked_mul(off, ratio);
  } else {  // `ratio` neighbours of the last dim become one wider element
    const int64_t ratio = new_size / old_size;
    PE_CHECK(sizes[last] % ratio == 0, "self.size(-1) must be divisible by ", ratio, " to view ", from, " as ", to,
             " (different element sizes), but got ", sizes[last]);
    PE_CHECK(off % ratio == 0, "self.storage_offset() must be divisible by ", ratio, " to view ", from, " as ", to,
             " (different element sizes), but got ", off);
    for (int64_t i = 0; i < last; ++i) {
      PE_CHECK(strides[i] % ratio == 0, "self.stride(", i, ") must be divisible by ", ratio, " to view ", from,
               " as ", to, " (different element sizes), but got ", strides[i]);
      strides[i] /= ratio;
    }
    sizes[last] /= ratio;
    off /= ratio;
  }
  strides[last] = 1;
  return same_bytes(std::move(sizes), std::move(strides), off);
}

Tensor view_as_real(const Tensor& t) {
  PE_CHECK(is_complex(t.dtype()), "view_as_real is only supported for complex tensors");
  return view_dtype(unsqueeze(t, t.dim()), to_real_dtype(t.dtype()));  // (..., 1) complex -> (..., 2) real
}

Tensor view_as_complex(const Tensor& t) {
  PE_CHECK(t.dtype() == DType::Float32 || t.dtype() == DType::Float64,
           "view_as_complex is only supported for float and double tensors, but got a tensor of scalar type: ",
           scalar_type_name(t.dtype()));
  PE_CHECK(t.dim() != 0, "Input tensor must have one or more dimensions");
  PE_CHECK(t.sizes().back() == 2, "Tensor must have a last dimension of size 2");
  PE_CHECK(t.strides().back() == 1, "Tensor must have a last dimension with stride 1");
  for (int64_t i = 0; i + 1 < t.dim(); ++i)
    PE_CHECK(t.strides()[i] % 2 == 0, "Tensor must have a stride divisible by 2 for all but last dimension");
  PE_CHECK(t.storage_offset() % 2 == 0, "Tensor must have a storage_offset divisible by 2");
  return squeeze(view_dtype(t, to_complex_dtype(t.dtype())), DimVector{t.dim() - 1});
}

namespace {
// PyTorch's setStorage checks: the geometry must stay inside the storage.
void check_in_storage(const Storage& storage, int64_t itemsize, const DimVector& sizes, const DimVector& strides,
                      int64_t off) {
  PE_CHECK(sizes.size() == strides.size(), "mismatch in length of strides and shape");
  PE_CHECK(off >= 0, "Tensor: invalid storage offset ", off);
  check_sizes_nonnegative(sizes);
  checked_numel(sizes);
  int64_t max_index = off;
  bool empty = false;
  bool overflow = false;
  for (size_t i = 0; i < sizes.size(); ++i) {
    PE_CHECK(strides[i] >= 0, "as_strided: Negative strides are not supported at the moment, got strides: ", strides);
    if (sizes[i] == 0) empty = true;
    int64_t span;
    if (sizes[i] > 0) overflow |= __builtin_mul_overflow(sizes[i] - 1, strides[i], &span) ||
                                 __builtin_add_overflow(max_index, span, &max_index);
  }
  if (!empty) {
    int64_t need;
    overflow |= __builtin_add_overflow(max_index, 1, &need) || __builtin_mul_overflow(need, itemsize, &need);
    PE_CHECK(!overflow, "Storage size calculation overflowed with sizes=", sizes, " and strides=", strides);
    PE_CHECK(need <= (int64_t)storage->nbytes(), "setStorage: sizes ", sizes, ", strides ", strides,
             ", storage offset ", off, ", and itemsize ", itemsize, " requiring a storage size of ", need,
             " are out of bounds for storage of size ", storage->nbytes());
  }
}
}  // namespace

Tensor as_strided(const Tensor& t, const DimVector& sizes, const DimVector& strides,
                  std::optional<int64_t> storage_offset) {
  int64_t off = storage_offset ? *storage_offset : t.storage_offset();
  check_in_storage(t->storage(), t->itemsize(), sizes, strides, off);
  return make_view(t, sizes, strides, off);
}

Tensor permute(const Tensor& t, const DimVector& dims) {
  int64_t n = t.dim();
  PE_CHECK((int64_t)dims.size() == n, "permute(sparse_coo): number of dimensions in the tensor input does not "
           "match the length of the desired ordering of dimensions i.e. input.dim() = ", n,
           " is not equal to len(dims) = ", dims.size());
  DimVector sizes(n), strides(n);
  std::vector<bool> seen(n, false);
  for (int64_t i = 0; i < n; ++i) {
    int64_t d = wrap_dim(dims[i], n);
    PE_CHECK(!seen[d], "permute(): duplicate dims are not allowed.");
    seen[d] = true;
    sizes[i] = t.sizes()[d];
    strides[i] = t.strides()[d];
  }
  return make_view(t, sizes, strides, t.storage_offset());
}

Tensor transpose(const Tensor& t, int64_t d0, int64_t d1) {
  int64_t n = t.dim();
  if (n == 0) {
    wrap_dim(d0, n);
    wrap_dim(d1, n);
    return make_view(t, t.sizes(), t.strides(), t.storage_offset());
  }
  d0 = wrap_dim(d0, n);
  d1 = wrap_dim(d1, n);
  DimVector sizes = t.sizes(), strides = t.strides();
  std::swap(sizes[d0], sizes[d1]);
  std::swap(strides[d0], strides[d1]);
  return make_view(t, sizes, strides, t.storage_offset());
}

Tensor t(const Tensor& x) {
  PE_CHECK(x.dim() <= 2, "t() expects a tensor with <= 2 dimensions, but self is ", x.dim(), "D");
  return x.dim() < 2 ? make_view(x, x.sizes(), x.strides(), x.storage_offset()) : transpose(x, 0, 1);
}

Tensor& transpose_(Tensor& x, int64_t d0, int64_t d1) {
  Tensor v = transpose(x, d0, d1);
  x->set_geometry(v.sizes(), v.strides(), v.storage_offset());
  return x;
}

Tensor& t_(Tensor& x) {
  PE_CHECK(x.dim() <= 2, "t_() expects a tensor with <= 2 dimensions, but self is ", x.dim(), "D");
  if (x.dim() == 2) transpose_(x, 0, 1);
  return x;
}

Tensor expand(const Tensor& t, const DimVector& sizes) {
  int64_t n = (int64_t)sizes.size();
  PE_CHECK(n >= t.dim(), "expand(", dtype_name(t.dtype()), "{", t.sizes(), "}, size=", sizes,
           "): the number of sizes provided (", n, ") must be greater or equal to the number of dimensions in the tensor (",
           t.dim(), ")");
  DimVector out_sizes(n), out_strides(n);
  for (int64_t i = n - 1; i >= 0; --i) {
    int64_t off = n - t.dim();
    int64_t td = i - off;
    int64_t want = sizes[i];
    if (td >= 0) {
      int64_t have = t.sizes()[td];
      if (want == -1) want = have;
      PE_CHECK(have == want || have == 1, "The expanded size of the tensor (", want,
               ") must match the existing size (", have, ") at non-singleton dimension ", i,
               ".  Target sizes: ", sizes, ".  Tensor sizes: ", t.sizes());
      out_sizes[i] = want;
      out_strides[i] = (have == want) ? t.strides()[td] : 0;
    } else {
      PE_CHECK(want >= 0, "The expanded size of the tensor (", want,
               ") isn't allowed in a leading, non-existing dimension ", i);
      out_sizes[i] = want;
      out_strides[i] = 0;
    }
  }
  return make_view(t, out_sizes, out_strides, t.storage_offset());
}

Tensor narrow(const Tensor& t, int64_t dim, int64_t start, int64_t length) {
  PE_CHECK(t.dim() > 0, "narrow() cannot be applied to a 0-dim tensor.");
  PE_CHECK(length >= 0, "narrow(): length must be non-negative.");
  dim = wrap_dim(dim, t.dim());
  int64_t size = t.sizes()[dim];
  PE_CHECK_INDEX(start >= -size && start <= size, "start out of range (expected to be in range of [", -size, ", ",
                 size, "], but got ", start, ")");
  if (start < 0) start += size;
  PE_CHECK(length >= 0 && start <= size - length, "start (", start, ") + length (", length,
           ") exceeds dimension size (", size, ").");
  return slice(t, dim, start, start + length, 1);
}

Tensor select(const Tensor& t, int64_t dim, int64_t index) {
  PE_CHECK_INDEX(t.dim() > 0, "select() cannot be applied to a 0-dim tensor.");
  dim = wrap_dim(dim, t.dim());
  int64_t size = t.sizes()[dim];
  PE_CHECK_INDEX(index >= -size && index < size, "index ", index, " is out of bounds for dimension ", dim,
                 " with size ", size);
  if (index < 0) index += size;
  DimVector sizes = t.sizes(), strides = t.strides();
  int64_t off = t.storage_offset() + index * strides[dim];
  sizes.erase(sizes.begin() + dim);
  strides.erase(strides.begin() + dim);
  return make_view(t, sizes, strides, off);
}

Tensor slice(const Tensor& t, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> stop, int64_t step) {
  PE_CHECK_INDEX(t.dim() > 0, "slice() cannot be applied to a 0-dim tensor.");
  PE_CHECK_VALUE(step > 0, "step must be greater than zero");
  dim = wrap_dim(dim, t.dim());
  int64_t size = t.sizes()[dim];
  int64_t s = start.value_or(0), e = stop.value_or(size);
  if (s < 0) s += size;
  if (e < 0) e += size;
  s = std::clamp<int64_t>(s, 0, size);
  e = std::clamp<int64_t>(e, s, size);
  DimVector sizes = t.sizes(), strides = t.strides();
  int64_t off = t.storage_offset() + s * strides[dim];
  sizes[dim] = (e - s + step - 1) / step;
  strides[dim] *= step;
  return make_view(t, sizes, strides, off);
}

Tensor squeeze(const Tensor& t, std::optional<DimVector> dims) {
  DimVector sizes, strides;
  std::vector<bool> drop(t.dim(), false);
  if (dims) {
    for (int64_t d : *dims) {
      int64_t w = wrap_dim(d, t.dim());
      if (t.dim() > 0 && t.sizes()[w] == 1) drop[w] = true;
    }
  } else {
    for (int64_t d = 0; d < t.dim(); ++d) drop[d] = t.sizes()[d] == 1;
  }
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (drop[d]) continue;
    sizes.push_back(t.sizes()[d]);
    strides.push_back(t.strides()[d]);
  }
  return make_view(t, sizes, strides, t.storage_offset());
}

Tensor unsqueeze(const Tensor& t, int64_t dim) {
  dim = wrap_dim(dim, t.dim() + 1);
  DimVector sizes = t.sizes(), strides = t.strides();
  int64_t st = dim < t.dim() ? sizes[dim] * strides[dim] : 1;
  sizes.insert(sizes.begin() + dim, 1);
  strides.insert(strides.begin() + dim, st);
  return make_view(t, sizes, strides, t.storage_offset());
}

Tensor& squeeze_(Tensor& t, std::optional<DimVector> dims) {
  Tensor v = squeeze(t, std::move(dims));
  t->set_geometry(v.sizes(), v.strides(), v.storage_offset());
  return t;
}

Tensor& unsqueeze_(Tensor& t, int64_t dim) {
  Tensor v = unsqueeze(t, dim);
  t->set_geometry(v.sizes(), v.strides(), v.storage_offset());
  return t;
}

Tensor flatten(const Tensor& t, int64_t start_dim, int64_t end_dim) {
  if (t.dim() == 0) {
    wrap_dim(start_dim, 0);
    wrap_dim(end_dim, 0);
    return reshape(t, {1});
  }
  start_dim = wrap_dim(start_dim, t.dim());
  end_dim = wrap_dim(end_dim, t.dim());
  PE_CHECK(start_dim <= end_dim, "flatten() has invalid args: start_dim cannot come after end_dim");
  if (start_dim == end_dim) return make_view(t, t.sizes(), t.strides(), t.storage_offset());
  DimVector shape(t.sizes().begin(), t.sizes().begin() + start_dim);
  int64_t prod = 1;
  for (int64_t d = start_dim; d <= end_dim; ++d) prod *= t.sizes()[d];
  shape.push_back(prod);
  shape.insert(shape.end(), t.sizes().begin() + end_dim + 1, t.sizes().end());
  return reshape(t, shape);
}

Tensor unflatten(const Tensor& t, int64_t dim, const DimVector& sizes) {
  PE_CHECK(t.dim() > 0, "Dimension specified as ", dim, " but tensor has no dimensions");
  dim = wrap_dim(dim, t.dim());
  PE_CHECK(!sizes.empty(), "unflatten: sizes must be non-empty");
  DimVector inferred = infer_size(sizes, t.sizes()[dim]);
  DimVector shape(t.sizes().begin(), t.sizes().begin() + dim);
  shape.insert(shape.end(), inferred.begin(), inferred.end());
  shape.insert(shape.end(), t.sizes().begin() + dim + 1, t.sizes().end());
  return view(t, shape);
}

TensorList split(const Tensor& t, int64_t split_size, int64_t dim) {
  PE_CHECK(t.dim() > 0, "split expects at least a 1-dimensional tensor");
  PE_CHECK(split_size >= 0, "split expects split_size be non-negative, but got split_size=", split_size);
  dim = wrap_dim(dim, t.dim());
  int64_t size = t.sizes()[dim];
  PE_CHECK(split_size > 0 || size == 0, "split_size can only be 0 if dimension size is 0, but got dimension size of ", size);
  TensorList out;
  if (size == 0) {
    out.push_back(narrow(t, dim, 0, 0));
    return out;
  }
  for (int64_t s = 0; s < size; s += split_size) out.push_back(narrow(t, dim, s, std::min(split_size, size - s)));
  return out;
}

TensorList split_with_sizes(const Tensor& t, const DimVector& sizes, int64_t dim) {
  dim = wrap_dim(dim, t.dim());
  int64_t total = 0;
  for (int64_t s : sizes) total += s;
  PE_CHECK(total == t.sizes()[dim], "split_with_sizes expects split_sizes to sum exactly to ", t.sizes()[dim],
           " (input tensor's size at dimension ", dim, "), but got split_sizes=", sizes);
  TensorList out;
  int64_t start = 0;
  for (int64_t s : sizes) {
    out.push_back(narrow(t, dim, start, s));
    start += s;
  }
  return out;
}

TensorList chunk(const Tensor& t, int64_t chunks, int64_t dim) {
  PE_CHECK(t.dim() > 0, "chunk expects at least a 1-dimensional tensor");
  PE_CHECK(chunks > 0, "chunk expects `chunks` to be greater than 0, got: ", chunks);
  dim = wrap_dim(dim, t.dim());
  int64_t size = t.sizes()[dim];
  int64_t split_size = (size + chunks - 1) / chunks;
  if (split_size == 0 && size == 0) {
    TensorList out;
    for (int64_t i = 0; i < chunks; ++i) out.push_back(narrow(t, dim, 0, 0));
    return out;
  }
  return split(t, split_size, dim);
}

TensorList unbind(const Tensor& t, int64_t dim) {
  PE_CHECK_INDEX(t.dim() > 0, "Dimension specified as ", dim, " but tensor has no dimensions");  // IndexError
  dim = wrap_dim(dim, t.dim());
  TensorList out;
  for (int64_t i = 0; i < t.sizes()[dim]; ++i) out.push_back(select(t, dim, i));
  return out;
}

Tensor& resize_(Tensor& t, const DimVector& sizes) {
  int64_t n = checked_numel(sizes);
  DimVector strides = contiguous_strides(sizes);
  int64_t need = 0;
  PE_CHECK(!__builtin_add_overflow(t.storage_offset(), n, &need) && !__builtin_mul_overflow(need, t->itemsize(), &need),
           "Storage size calculation overflowed with sizes=", sizes);
  if (n > 0 && need > (int64_t)t->storage()->nbytes()) t->storage()->resize((size_t)need);
  t->set_geometry(sizes, strides, t.storage_offset());
  t->bump_version();
  return t;
}

Tensor& set_(Tensor& t, const Storage& storage, int64_t offset, const DimVector& sizes, const DimVector& strides) {
  check_in_storage(storage, t->itemsize(), sizes, strides, offset);
  t->set_storage(storage);
  t->set_geometry(sizes, strides, offset);
  t->bump_version();
  return t;
}

Tensor diagonal(const Tensor& t, int64_t offset, int64_t dim1, int64_t dim2) {
  int64_t n = t.dim();
  dim1 = wrap_dim(dim1, n);
  dim2 = wrap_dim(dim2, n);
  PE_CHECK(dim1 != dim2, "diagonal dimensions cannot be identical ", dim1, ", ", dim2);
  int64_t len;
  int64_t off = t.storage_offset();
  if (offset >= 0) {
    len = std::max<int64_t>(std::min(t.sizes()[dim1], t.sizes()[dim2] - offset), 0);
    if (len > 0) off += offset * t.strides()[dim2];
  } else {
    len = std::max<int64_t>(std::min(t.sizes()[dim1] + offset, t.sizes()[dim2]), 0);
    if (len > 0) off -= offset * t.strides()[dim1];
  }
  DimVector sizes, strides;
  for (int64_t d = 0; d < n; ++d) {
    if (d == dim1 || d == dim2) continue;
    sizes.push_back(t.sizes()[d]);
    strides.push_back(t.strides()[d]);
  }
  sizes.push_back(len);
  strides.push_back(t.strides()[dim1] + t.strides()[dim2]);
  return make_view(t, sizes, strides, off);
}

}  // namespace pe
