// PyTorch's result_type: dim>0 tensors outrank 0-dim tensors, which outrank Python scalars
// ("wrapped numbers"), unless a lower-ranked operand is of a higher category (bool < int < float).
#include "ops/ops.h"

namespace pe {

namespace {
// combine_categories from PyTorch: `higher` is the higher-priority result (may be unset).
DType combine(std::optional<DType> higher, DType lower) {
  if (!higher) return lower;
  if (is_complex(*higher)) return *higher;
  if (is_complex(lower)) return is_floating(*higher) ? to_complex_dtype(*higher) : lower;
  if (is_floating(*higher)) return *higher;
  if (*higher == DType::Bool || is_floating(lower)) return promote_types(*higher, lower);
  return *higher;
}
}  // namespace

DType result_type(const Tensor& a, const Tensor& b) {
  bool za = a.dim() == 0, zb = b.dim() == 0;
  if (za == zb) return promote_types(a.dtype(), b.dtype());
  const Tensor& dim_t = za ? b : a;
  const Tensor& zero_t = za ? a : b;
  return combine(dim_t.dtype(), zero_t.dtype());
}

DType result_type(const Tensor& a, const Scalar& b) {
  return combine(a.dtype(), b.natural_dtype());
}

}  // namespace pe
