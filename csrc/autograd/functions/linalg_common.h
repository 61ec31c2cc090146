// Small helpers shared by the linear algebra backward formulas (autograd/functions/linalg*.cpp).
// All are differentiable (built from autograd:: wrappers) so formulas stay twice differentiable.
#pragma once
#include "autograd/ops_linalg.h"
#include "autograd/saved_variable.h"

namespace pe::autograd::linalg_detail {

// grad * s, skipping the multiplication when s == 1 (PyTorch's maybe_multiply).
inline Tensor maybe_multiply(const Tensor& g, const Scalar& s) {
  if (s.to_double() == 1.0) return g;
  return autograd::mul(g, s);
}

// Matrix transpose of the last two dims (Tensor.mT).
inline Tensor mT(const Tensor& t) { return autograd::transpose(t, -2, -1); }

}  // namespace pe::autograd::linalg_detail
