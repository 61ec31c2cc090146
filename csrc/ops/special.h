// torch.special and its torch.* aliases as plain ops (no autograd; see autograd/ops_special.h):
// the unary special functions (lgamma, digamma, erfinv, i0, special_i0e, ..., special_airy_ai),
// polygamma, the binary ones (special_zeta, special_xlog1py, igamma, igammac, the orthogonal
// polynomials), nextafter, gcd, lcm, frexp. Names are PyTorch's ATen names. Integer and bool inputs
// promote to the default float dtype, as PyTorch.
#pragma once
#include <utility>

#include "ops/elementwise.h"
#include "ops/special_stubs.h"

namespace pe {

#define PE_DECLARE_SPECIAL_UNARY(Name, name, expr) \
  Tensor name(const Tensor& a);                    \
  Tensor& name##_(Tensor& a);
PE_FORALL_SPECIAL_UNARY_OPS(PE_DECLARE_SPECIAL_UNARY)
#undef PE_DECLARE_SPECIAL_UNARY

// polygamma(n, x); RuntimeError for n < 0, as PyTorch.
Tensor polygamma(int64_t n, const Tensor& a);
Tensor& polygamma_(Tensor& a, int64_t n);

#define PE_DECLARE_SPECIAL_BINARY(Name, name, expr)                \
  Tensor name(const TensorOrScalar& a, const TensorOrScalar& b); \
  Tensor& name##_(Tensor& a, const TensorOrScalar& b);
PE_FORALL_SPECIAL_BINARY_OPS(PE_DECLARE_SPECIAL_BINARY)
PE_DECLARE_SPECIAL_BINARY(Nextafter, nextafter, )
PE_DECLARE_SPECIAL_BINARY(Gcd, gcd, )
PE_DECLARE_SPECIAL_BINARY(Lcm, lcm, )
#undef PE_DECLARE_SPECIAL_BINARY

// (mantissa, int32 exponent); floating inputs only.
std::pair<Tensor, Tensor> frexp(const Tensor& a);

}  // namespace pe
