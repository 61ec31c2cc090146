// Differentiable wrappers (Note [Recording] in autograd/variable.h) of torch.special
// (ops/special.h) for the ops PyTorch differentiates: lgamma, digamma, polygamma, erfinv, i0,
// special_i0e/i1/i1e, special_ndtr/ndtri/log_ndtr, special_erfcx, special_entr, special_xlog1py,
// special_zeta and igamma/igammac (gradient in the second argument only, as PyTorch), nextafter
// and frexp. The Bessel functions, the polynomials and gcd/lcm are not differentiable in PyTorch:
// the bindings call the plain ops. Formulas: autograd/functions/special.cpp.
#pragma once
#include <utility>

#include "autograd/variable.h"
#include "ops/special.h"

namespace pe::autograd {

#define PE_FORALL_SPECIAL_DIFFERENTIABLE_UNARY(_) \
  _(lgamma) _(digamma) _(erfinv) _(i0) _(special_i0e) _(special_i1) _(special_i1e) _(special_ndtr) \
  _(special_ndtri) _(special_log_ndtr) _(special_erfcx) _(special_entr)
#define PE_AG_DECLARE_UNARY(name) \
  Tensor name(const Tensor& a);   \
  Tensor& name##_(Tensor& a);
PE_FORALL_SPECIAL_DIFFERENTIABLE_UNARY(PE_AG_DECLARE_UNARY)
#undef PE_AG_DECLARE_UNARY

Tensor polygamma(int64_t n, const Tensor& a);
Tensor& polygamma_(Tensor& a, int64_t n);

#define PE_FORALL_SPECIAL_DIFFERENTIABLE_BINARY(_) _(special_xlog1py) _(special_zeta) _(igamma) _(igammac) _(nextafter)
#define PE_AG_DECLARE_BINARY(name)                               \
  Tensor name(const TensorOrScalar& a, const TensorOrScalar& b); \
  Tensor& name##_(Tensor& a, const TensorOrScalar& b);
PE_FORALL_SPECIAL_DIFFERENTIABLE_BINARY(PE_AG_DECLARE_BINARY)
#undef PE_AG_DECLARE_BINARY

std::pair<Tensor, Tensor> frexp(const Tensor& a);

}  // namespace pe::autograd
