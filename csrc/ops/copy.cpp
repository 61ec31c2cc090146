// copy_, fill_, to(), clone(), contiguous(), item(): the ops that move values between tensors,
// dtypes and devices.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/cast.h"
#include "core/checked_mul.h"
#include "ops/ops.h"
#include "ops/stubs.h"

namespace pe {

namespace {
// Byte range [lo, hi) a tensor can touch in its storage.
std::pair<int64_t, int64_t> byte_extent(const Tensor& t) {
  int64_t lo = t.storage_offset(), hi = t.storage_offset();
  for (int64_t d = 0; d < t.dim(); ++d) {
    if (t.sizes()[d] == 0) return {0, 0};
    hi += (t.sizes()[d] - 1) * t.strides()[d];
  }
  return {lo * t->itemsize(), (hi + 1) * t->itemsize()};
}

bool may_overlap(const Tensor& a, const Tensor& b) {
  if (a->storage() != b->storage() || a.numel() == 0 || b.numel() == 0) return false;
  auto ea = byte_extent(a), eb = byte_extent(b);
  return ea.first < eb.second && eb.first < ea.second;
}
}  // namespace

void assert_no_internal_overlap(const Tensor& t) {
  if (t.numel() == 0) return;  // nothing is written (a channels-last empty tensor has zero strides)
  for (int64_t d = 0; d < t.dim(); ++d)
    PE_CHECK(!(t.strides()[d] == 0 && t.sizes()[d] > 1),
             "unsupported operation: more than one element of the written-to tensor refers to a single memory "
             "location. Please clone() the tensor before performing the operation.");
}

void assert_no_partial_overlap(const Tensor& dst, const Tensor& src) {
  if (!may_overlap(dst, src)) return;
  bool same = dst.storage_offset() == src.storage_offset() && dst.strides() == src.strides() &&
              dst.sizes() == src.sizes() && dst->itemsize() == src->itemsize();
  PE_CHECK(same, "unsupported operation: some elements of the input tensor and the written-to tensor refer to a "
           "single memory location. Please clone() the tensor before performing the operation.");
}

Tensor& copy_(Tensor& dst, const Tensor& src) {
  assert_no_internal_overlap(dst);
  Tensor s = src;
  if (s.sizes() != dst.sizes()) s = expand(s, dst.sizes());
  if (dst.numel() == 0) return dst;
  if (may_overlap(dst, s)) {
    if (s.sizes() != src.sizes()) s = contiguous_copy(s);  // a broadcast source: read it first
    else assert_no_partial_overlap(dst, s);
    if (dst.storage_offset() == s.storage_offset() && dst.strides() == s.strides() && dst.dtype() == s.dtype()) {
      dst->bump_version();
      return dst;
    }
  }
  Device dev = dst.device().is_cpu() ? s.device() : dst.device();
  if (s.device().is_meta()) dev = s.device();  // its kernel refuses to copy out (Note [Meta device])
  copy_stub(dev)(dst, s);
  dst->bump_version();
  return dst;
}

Tensor& fill_(Tensor& t, const Scalar& value) {
  // PyTorch fills a one-element CPU tensor through a scalar path that converts to the 16-bit floats
  // unchecked (x[0] = 1e6 on float16 stores inf); every other fill checks the range.
  const bool unchecked = t.numel() == 1 && (t.dtype() == DType::Float16 || t.dtype() == DType::BFloat16);
  if (!unchecked) check_scalar_fits(value, t.dtype());
  if (t.numel() > 0) fill_stub(t.device())(t, value);
  t->bump_version();
  return t;
}

Tensor& zero_(Tensor& t) { return fill_(t, Scalar(int64_t(0))); }

Tensor to(const Tensor& t, std::optional<DType> dtype, std::optional<Device> device, bool copy, MemoryFormat fmt) {
  DType dt = dtype ? *dtype : t.dtype();
  Device dev = device ? *device : t.device();
  if (dev.is_cuda() && dev.index < 0) dev.index = t.device().is_cuda() ? t.device().index : 0;
  if (dev.is_meta()) dev.index = -1;  // 'meta:0' names the one meta device (its tensors print 'meta')
  bool same_layout = fmt == MemoryFormat::Preserve || suggest_memory_format(t.sizes(), t.strides()) == fmt;
  if (!copy && dt == t.dtype() && dev == t.device() && same_layout) return t;
  Tensor out = empty_like(t, dt, dev, fmt);
  copy_(out, t);
  return out;
}

Tensor empty_like(const Tensor& t, DType dtype, Device device, MemoryFormat fmt) {
  if (fmt == MemoryFormat::Preserve) {
    if (is_non_overlapping_and_dense(t.sizes(), t.strides())) {
      if (t.is_contiguous()) return make_empty(t.sizes(), dtype, device);
      return make_empty_strided(t.sizes(), t.strides(), dtype, device);
    }
    fmt = suggest_memory_format(t.sizes(), t.strides());
  }
  if (fmt == MemoryFormat::Contiguous) return make_empty(t.sizes(), dtype, device);
  return make_empty_strided(t.sizes(), strides_for_format(t.sizes(), fmt), dtype, device);
}

Tensor clone(const Tensor& t, MemoryFormat fmt) {
  Tensor out = empty_like(t, t.dtype(), t.device(), fmt);
  if (t.numel() > 0) copy_stub(t.device())(out, t);
  return out;
}

Tensor contiguous_copy(const Tensor& t) {
  Tensor out = make_empty(t.sizes(), t.dtype(), t.device());
  if (t.numel() > 0) copy_stub(t.device())(out, t);
  return out;
}

bool is_contiguous(const Tensor& t, MemoryFormat fmt) {
  return fmt == MemoryFormat::Contiguous || fmt == MemoryFormat::Preserve ? t.is_contiguous()
                                                                          : is_contiguous_as(t.sizes(), t.strides(), fmt);
}

Tensor contiguous(const Tensor& t, MemoryFormat fmt) {
  if (is_contiguous(t, fmt)) return t;
  PE_CHECK(fmt != MemoryFormat::Preserve, "preserve memory format is unsupported by the contiguous operator");
  return fmt == MemoryFormat::Contiguous ? contiguous_copy(t) : clone(t, fmt);
}

Tensor alias(const Tensor& t, bool share_version) {
  return Tensor(std::make_shared<TensorImpl>(t->storage(), t.dtype(), t.sizes(), t.strides(),
                                             t.storage_offset(),
                                             share_version ? t->version_counter() : nullptr));
}

namespace {
// (A template, so that the branches not taken for T are not compiled for it.)
template <class T>
Scalar scalar_of(T v) {
  if constexpr (is_complex_v<T>) {
    return Scalar(std::complex<double>(v.real(), v.imag()));
  } else if constexpr (std::is_same_v<T, bool>) {
    return Scalar(v);
  } else if constexpr (std::is_integral_v<T>) {
    return Scalar((int64_t)v);
  } else {
    return Scalar(cast_value<double>(v));
  }
}
}  // namespace

Scalar item(const Tensor& t) {
  PE_CHECK(t.numel() == 1, "a Tensor with ", t.numel(), " elements cannot be converted to Scalar");
  PE_CHECK(!t.device().is_meta(), "Tensor.item() cannot be called on meta tensors");
  Tensor c = t.device().is_cpu() ? t : to(t, std::nullopt, Device());
  return PE_DISPATCH_ALL_TYPES_AND_COMPLEX(c.dtype(), "item",
                                           [&]() -> Scalar { return scalar_of(*c.data_ptr<scalar_t>()); });
}

}  // namespace pe

namespace pe {

Tensor repeat(const Tensor& t, const DimVector& repeats) {
  int64_t n = (int64_t)repeats.size();
  PE_CHECK(n >= t.dim(), "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor");
  for (int64_t r : repeats) PE_CHECK(r >= 0, "Trying to create tensor with negative dimension ", r, ": ", repeats);
  // View t as (r0, s0, r1, s1, ...) with stride 0 along each r_i, then materialize and merge pairs.
  int64_t pad = n - t.dim();
  DimVector sizes, strides, out_shape;
  for (int64_t i = 0; i < n; ++i) {
    int64_t s = i < pad ? 1 : t.sizes()[i - pad];
    int64_t st = i < pad ? 0 : t.strides()[i - pad];
    sizes.push_back(repeats[i]);
    strides.push_back(0);
    sizes.push_back(s);
    strides.push_back(st);
    out_shape.push_back(checked_mul(repeats[i], s));
  }
  Tensor expanded = make_view(t, sizes, strides, t.storage_offset());
  return view(contiguous_copy(expanded), out_shape);
}

}  // namespace pe
