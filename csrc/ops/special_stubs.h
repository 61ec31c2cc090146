// The op lists and kernel tables of torch.special and its torch.* aliases (lgamma, digamma,
// polygamma, erfinv, i0, igamma/igammac, nextafter, gcd/lcm): one X-macro list per family, one
// DispatchStub per family. Functors: ops/special_functors.h; CPU kernels: csrc/cpu/special_unary_kernel.cpp
// and special_binary_kernel.cpp; op layer: ops/special_ops.cpp.
#pragma once
#include "core/dispatch.h"
#include "core/tensor.h"

namespace pe {
class TensorIter;

// Unary floating-point special functions: (Enum, op name, expression in `x` of type double, in
// namespace pe::special_math). Integer and bool inputs promote to the default float dtype.
#define PE_FORALL_SPECIAL_UNARY_OPS(_)                                              \
  _(Lgamma, lgamma, std::lgamma(x))                                                 \
  _(Digamma, digamma, digamma(x))                                                   \
  _(Erfinv, erfinv, erfinv(x))                                                      \
  _(I0, i0, bessel_i0(x, false))                                                    \
  _(I0e, special_i0e, bessel_i0(x, true))                                           \
  _(I1, special_i1, bessel_i1(x, false))                                            \
  _(I1e, special_i1e, bessel_i1(x, true))                                           \
  _(Ndtr, special_ndtr, ndtr(x))                                                    \
  _(Ndtri, special_ndtri, ndtri(x))                                                 \
  _(LogNdtr, special_log_ndtr, log_ndtr(x))                                         \
  _(Erfcx, special_erfcx, erfcx(x))                                                 \
  _(Entr, special_entr, entr(x))                                                    \
  _(BesselJ0, special_bessel_j0, bessel_j0(x))                                      \
  _(BesselJ1, special_bessel_j1, bessel_j1(x))                                      \
  _(BesselY0, special_bessel_y0, bessel_y0(x))                                      \
  _(BesselY1, special_bessel_y1, bessel_y1(x))                                      \
  _(ModifiedBesselI0, special_modified_bessel_i0, bessel_i0(x, false))              \
  _(ModifiedBesselI1, special_modified_bessel_i1, bessel_i1(x, false))              \
  _(ModifiedBesselK0, special_modified_bessel_k0, bessel_k(0, x, false))            \
  _(ModifiedBesselK1, special_modified_bessel_k1, bessel_k(1, x, false))            \
  _(ScaledModifiedBesselK0, special_scaled_modified_bessel_k0, bessel_k(0, x, true)) \
  _(ScaledModifiedBesselK1, special_scaled_modified_bessel_k1, bessel_k(1, x, true)) \
  _(SphericalBesselJ0, special_spherical_bessel_j0, spherical_bessel_j0(x))         \
  _(AiryAi, special_airy_ai, airy_ai(x))

enum class SpecialUnaryOp : int8_t {
#define PE_ENUM_ENTRY(Name, name, expr) Name,
  PE_FORALL_SPECIAL_UNARY_OPS(PE_ENUM_ENTRY)
#undef PE_ENUM_ENTRY
  Polygamma,  // polygamma(n, x): n is the kernel's integer argument
};
using SpecialUnaryFn = void (*)(const TensorIter& iter, SpecialUnaryOp op, int64_t n);
extern DispatchStub<SpecialUnaryFn> special_unary_stub;

// Binary floating-point special functions (x, y) -> f, both operands in the common float dtype
// (integers promote to the default float dtype): x, y are the operands in double, px, py in the
// compute type opmath_t (zeta's, see Note [Special math in double]). The polynomials take (x, n)
// and truncate n to an integer, as PyTorch. He_n runs its recurrence in opmath_t, as PyTorch's kernel
// does: in float32 the recurrence's rounding grows with n past float32's comparison tolerance, so the
// double result, though closer to the exact value, would not be PyTorch's.
#define PE_FORALL_SPECIAL_BINARY_OPS(_)                                                  \
  _(Zeta, special_zeta, zeta(px, py))                                                    \
  _(Xlog1py, special_xlog1py, xlog1py(x, y))                                             \
  _(Igamma, igamma, igamma_impl(x, y, false))                                            \
  _(Igammac, igammac, igamma_impl(x, y, true))                                           \
  _(ChebyshevT, special_chebyshev_polynomial_t, chebyshev_t(x, y))                       \
  _(ChebyshevU, special_chebyshev_polynomial_u, chebyshev_u(x, y))                       \
  _(ChebyshevV, special_chebyshev_polynomial_v, chebyshev_v(x, y))                       \
  _(ChebyshevW, special_chebyshev_polynomial_w, chebyshev_w(x, y))                       \
  _(ShiftedChebyshevT, special_shifted_chebyshev_polynomial_t, chebyshev_t(2 * x - 1, y)) \
  _(ShiftedChebyshevU, special_shifted_chebyshev_polynomial_u, chebyshev_u(2 * x - 1, y)) \
  _(ShiftedChebyshevV, special_shifted_chebyshev_polynomial_v, chebyshev_v(2 * x - 1, y)) \
  _(ShiftedChebyshevW, special_shifted_chebyshev_polynomial_w, chebyshev_w(2 * x - 1, y)) \
  _(HermiteH, special_hermite_polynomial_h, hermite_h(x, y))                             \
  _(HermiteHe, special_hermite_polynomial_he, hermite_he(px, py))                        \
  _(LaguerreL, special_laguerre_polynomial_l, laguerre_l(x, y))                          \
  _(LegendreP, special_legendre_polynomial_p, legendre_p(x, y))

// Binary ops on other dtypes: nextafter (floating, same dtype), gcd and lcm (integers).
enum class SpecialBinaryOp : int8_t {
#define PE_ENUM_ENTRY(Name, name, expr) Name,
  PE_FORALL_SPECIAL_BINARY_OPS(PE_ENUM_ENTRY)
#undef PE_ENUM_ENTRY
  Nextafter, Gcd, Lcm,
};
using SpecialBinaryFn = void (*)(const TensorIter& iter, SpecialBinaryOp op);
extern DispatchStub<SpecialBinaryFn> special_binary_stub;

// frexp on floating inputs, one output per pass: the mantissa (the input's dtype) or the int32 exponent.
using FrexpFn = void (*)(const TensorIter& iter, bool exponent);
extern DispatchStub<FrexpFn> frexp_stub;

}  // namespace pe
