// Shape arithmetic.
#include "shape.h"

#include "checked_mul.h"
#include "error.h"

namespace pe {

std::ostream& operator<<(std::ostream& os, const DimVector& v) {
  os << "[";
  for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  return os << "]";
}

int64_t wrap_dim(int64_t dim, int64_t ndim) {
  int64_t n = ndim > 0 ? ndim : 1;
  PE_CHECK_INDEX(dim >= -n && dim < n, "Dimension out of range (expected to be in range of [", -n, ", ",
                 n - 1, "], but got ", dim, ")");
  return dim < 0 ? dim + n : dim;
}

void check_sizes_nonnegative(const DimVector& sizes) {
  for (int64_t s : sizes)
    PE_CHECK(s >= 0, "Trying to create tensor with negative dimension ", s, ": ", sizes);
}

int64_t checked_numel(const DimVector& sizes) {
  check_sizes_nonnegative(sizes);
  // A zero anywhere makes the count 0, however large the other sizes: PyTorch accepts such tensors (a
  // checkpoint may hold one); its factories check the storage size in order instead (make_empty).
  for (int64_t s : sizes)
    if (s == 0) return 0;
  int64_t n = 1;
  for (int64_t s : sizes) {
    if (__builtin_mul_overflow(n, s, &n)) {
      // A crafted size can have thousands of dims: name it in full only when it is short.
      if (sizes.size() <= 16) PE_ERROR("numel: integer multiplication overflow for size ", sizes);
      PE_ERROR("numel: integer multiplication overflow for a size of ", sizes.size(), " dims");
    }
  }
  return n;
}

DimVector contiguous_strides(const DimVector& sizes) {
  DimVector st(sizes.size());
  int64_t acc = 1;
  for (int64_t i = (int64_t)sizes.size() - 1; i >= 0; --i) {
    st[i] = acc;
    if (sizes[i] > 1 && i > 0) acc = checked_mul(acc, sizes[i], "Stride calculation overflowed");
  }
  return st;
}

bool is_contiguous_geometry(const DimVector& sizes, const DimVector& strides) {
  // An empty tensor is contiguous; otherwise every partial product below divides numel (no overflow).
  for (int64_t s : sizes)
    if (s == 0) return true;
  int64_t expected = 1;
  for (int64_t i = (int64_t)sizes.size() - 1; i >= 0; --i) {
    if (sizes[i] != 1) {
      if (strides[i] != expected) return false;
      expected *= sizes[i];
    }
  }
  return true;
}

DimVector broadcast_shapes(const DimVector& a, const DimVector& b) {
  size_t n = std::max(a.size(), b.size());
  DimVector out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t ia = (int64_t)a.size() - 1 - (int64_t)i;
    int64_t ib = (int64_t)b.size() - 1 - (int64_t)i;
    int64_t sa = ia >= 0 ? a[ia] : 1;
    int64_t sb = ib >= 0 ? b[ib] : 1;
    PE_CHECK(sa == sb || sa == 1 || sb == 1, "The size of tensor a (", sa,
             ") must match the size of tensor b (", sb, ") at non-singleton dimension ",
             (int64_t)n - 1 - (int64_t)i);
    out[n - 1 - i] = sa == 1 ? sb : sa;
  }
  return out;
}

DimVector infer_size(const DimVector& shape, int64_t numel) {
  DimVector out = shape;
  int64_t known = 1;
  int64_t infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      PE_CHECK(infer < 0, "only one dimension can be inferred");
      infer = (int64_t)i;
    } else {
      PE_CHECK(shape[i] >= 0, "invalid shape dimension ", shape[i]);
      PE_CHECK(!__builtin_mul_overflow(known, shape[i], &known), "shape '", shape, "' is invalid for input of size ",
               numel);
    }
  }
  if (infer >= 0) {
    PE_CHECK(known != 0 && numel % known == 0, "shape '", shape, "' is invalid for input of size ", numel);
    out[infer] = numel / known;
  } else {
    PE_CHECK(known == numel, "shape '", shape, "' is invalid for input of size ", numel);
  }
  return out;
}

std::optional<DimVector> view_strides(const DimVector& old_sizes, const DimVector& old_strides,
                                      const DimVector& new_sizes) {
  DimVector new_strides(new_sizes.size());
  if (old_sizes.empty()) {
    for (auto& s : new_strides) s = 1;
    return new_strides;
  }
  int64_t numel = 1;
  for (int64_t s : old_sizes) numel *= s;
  if (numel == 0) {
    if (old_sizes == new_sizes) return old_strides;
    return contiguous_strides(new_sizes);
  }
  // Walk old dims in chunks that are contiguous among themselves; each chunk must map onto a run
  // of new dims with the same element count.
  int64_t view_d = (int64_t)new_sizes.size() - 1;
  int64_t chunk_base_stride = old_strides.back();
  int64_t tensor_numel = 1;
  int64_t view_numel = 1;
  for (int64_t tensor_d = (int64_t)old_sizes.size() - 1; tensor_d >= 0; tensor_d--) {
    tensor_numel *= old_sizes[tensor_d];
    if (tensor_d == 0 || (old_sizes[tensor_d - 1] != 1 &&
                          old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || new_sizes[view_d] == 1)) {
        new_strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= new_sizes[view_d];
        view_d--;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (tensor_d > 0) {
        chunk_base_stride = old_strides[tensor_d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return new_strides;
}

}  // namespace pe
