// The selection ops' kernel tables and the small pieces they share: the overlap check and the
// overflow check PyTorch applies when a Python number is written into a tensor.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "ops/select.h"
#include "ops/select_stubs.h"

namespace pe {

DispatchStub<SortFn> sort_stub("sort");
DispatchStub<ScatterGatherFn> scatter_gather_stub("scatter_gather");
DispatchStub<MeanDivFn> mean_div_stub("scatter_reduce_mean");
DispatchStub<MaskedFillFn> masked_fill_stub("masked_fill");
DispatchStub<CountTrueFn> count_true_stub("count_true");
DispatchStub<MaskedSelectFn> masked_select_stub("masked_select");
DispatchStub<EqualFn> equal_stub("equal");
DispatchStub<IsCloseFn> isclose_stub("isclose");

namespace {
// PyTorch's is_non_overlapping_and_dense: some permutation of the dims is contiguous.
bool dense(const Tensor& t) {
  if (t.is_contiguous()) return true;
  std::vector<int64_t> perm;
  for (int64_t d = 0; d < t.dim(); ++d)
    if (t.sizes()[d] != 1) perm.push_back(d);
  std::sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) { return t.strides()[a] < t.strides()[b]; });
  int64_t expected = 1;
  for (int64_t d : perm) {
    if (t.strides()[d] != expected) return false;
    expected *= t.sizes()[d];
  }
  return true;
}
}  // namespace

void check_no_overlap(const Tensor& written, const Tensor& read) {
  if (!read.defined() || written->storage() != read->storage() || written.numel() == 0 || read.numel() == 0) return;
  if (!dense(written) || !dense(read)) return;  // PyTorch: "too hard" to tell, allowed
  int64_t wb = written.storage_offset() * written->itemsize(), we = wb + written.numel() * written->itemsize();
  int64_t rb = read.storage_offset() * read->itemsize(), re = rb + read.numel() * read->itemsize();
  PE_CHECK(!(wb < re && rb < we), "unsupported operation: some elements of the input tensor and the written-to tensor "
           "refer to a single memory location. Please clone() the tensor before performing the operation.");
}

void check_scalar_fits(const Scalar& value, DType t) {
  if (is_complex(t)) return;
  // A complex number with an imaginary part fits no real dtype (PyTorch's message).
  PE_CHECK(!value.is_complex() || value.to_complex().imag() == 0, "value cannot be converted to type ",
           cpp_type_name(t), " without overflow");
  if (t == DType::Bool) return;
  double lo = 0, hi = 0;
  const char* name = "";
  switch (t) {
    case DType::UInt8: lo = -255; hi = 255; name = "uint8_t"; break;  // negatives wrap (as PyTorch)
    case DType::Int8: lo = -128; hi = 127; name = "int8_t"; break;
    case DType::Int16: lo = -32768; hi = 32767; name = "int16_t"; break;
    case DType::Int32: lo = -2147483648.0; hi = 2147483647.0; name = "int"; break;
    case DType::Int64: name = "int64_t"; break;
    case DType::Float16: lo = -65504; hi = 65504; name = "c10::Half"; break;
    case DType::BFloat16: lo = -3.3895313892515355e38; hi = 3.3895313892515355e38; name = "c10::BFloat16"; break;
    case DType::Float32: lo = -std::numeric_limits<float>::max(); hi = std::numeric_limits<float>::max(); name = "float"; break;
    case DType::Float64: return;
    default: return;
  }
  bool bad;
  if (value.is_floating()) {
    double v = value.to_double();
    if (is_floating(t)) bad = !std::isinf(v) && !std::isnan(v) && (v < lo || v > hi);
    else if (t == DType::Int64) bad = std::isnan(v) || v < -9.223372036854775808e18 || v >= 9.223372036854775808e18;
    else bad = std::isnan(v) || v < (t == DType::UInt8 ? 0.0 : lo) || v > hi;
  } else {
    if (t == DType::Int64) return;
    double v = (double)value.to_int64();
    bad = v < lo || v > hi;
  }
  PE_CHECK(!bad, "value cannot be converted to type ", name, " without overflow");
}

}  // namespace pe
