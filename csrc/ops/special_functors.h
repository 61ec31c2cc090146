// Scalar functors of torch.special (ops/special_stubs.h), shared by the CPU loops and the CUDA
// kernels (PE_HOST_DEVICE), and the orthogonal polynomials. The float functors compute in double
// (Note [Special math in double], ops/special_math.h); nextafter works on the element type's bits,
// gcd/lcm on integers with PyTorch's wrapping.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "ops/bessel_math.h"
#include "ops/elementwise_functors.h"
#include "ops/special_stubs.h"

namespace pe {
namespace special_math {

// The polynomials of order n (truncated to an integer) by their three-term recurrences; n < 0
// gives 0; the values at the interval ends +-1 are exact (PyTorch's special cases), and for a
// large n inside (-1, 1) the Chebyshev polynomials use their trigonometric forms, as PyTorch.
// Templated on the compute type; the functors use double (Note [Special math in double]).
template <class M>
PE_HOST_DEVICE bool bad_order(M n) { return n != n; }

template <class M>
PE_HOST_DEVICE M chebyshev_t(M x, M nd) {
  if (bad_order(nd)) return nd;
  const int64_t n = static_cast<int64_t>(nd);
  if (n < 0) return 0;
  if (std::fabs(x) == 1) return (x > 0 || n % 2 == 0) ? M(1) : M(-1);
  if (n > 6 && std::fabs(x) < 1) return std::cos(M(n) * std::acos(x));
  if (n == 0) return 1;
  M p = 1, q = x;
  for (int64_t k = 2; k <= n; ++k) {
    const M r = 2 * x * q - p;
    p = q;
    q = r;
  }
  return q;
}

template <class M>
PE_HOST_DEVICE M chebyshev_u(M x, M nd) {
  if (bad_order(nd)) return nd;
  const int64_t n = static_cast<int64_t>(nd);
  if (n < 0) return 0;
  if (std::fabs(x) == 1) return (x > 0 || n % 2 == 0) ? M(n + 1) : M(-(n + 1));
  if (n > 8 && std::fabs(x) < 1) {
    const M t = std::acos(x);
    if (std::sin(t) != 0) return std::sin(M(n + 1) * t) / std::sin(t);
    return M(n + 1) * std::cos(M(n + 1) * t) * x;
  }
  if (n == 0) return 1;
  M p = 1, q = 2 * x;
  for (int64_t k = 2; k <= n; ++k) {
    const M r = 2 * x * q - p;
    p = q;
    q = r;
  }
  return q;
}

// V_n (third kind): V_0 = 1, V_1 = 2x - 1; W_n (fourth kind): W_0 = 1, W_1 = 2x + 1; both follow
// the Chebyshev recurrence.
template <class M>
PE_HOST_DEVICE M chebyshev_v(M x, M nd) {
  if (bad_order(nd)) return nd;
  const int64_t n = static_cast<int64_t>(nd);
  if (n < 0) return 0;
  if (std::fabs(x) == 1) {
    if (x > 0) return 1;
    return n % 2 == 0 ? M(2 * n + 1) : M(-(2 * n + 1));
  }
  if (n > 8 && std::fabs(x) < 1) {
    const M t = std::acos(x);
    if (std::sin(t / 2) != 1) return std::cos((M(n) + M(0.5)) * t) / std::cos(t / 2);
    return n % 2 == 0 ? M(2 * n + 1) : M(-(2 * n + 1));
  }
  if (n == 0) return 1;
  M p = 1, q = 2 * x - 1;
  for (int64_t k = 2; k <= n; ++k) {
    const M r = 2 * x * q - p;
    p = q;
    q = r;
  }
  return q;
}

template <class M>
PE_HOST_DEVICE M chebyshev_w(M x, M nd) {
  if (bad_order(nd)) return nd;
  const int64_t n = static_cast<int64_t>(nd);
  if (n < 0) return 0;
  if (std::fabs(x) == 1) {
    if (x > 0) return M(2 * n + 1);
    return n % 2 == 0 ? M(1) : M(-1);
  }
  if (n > 8 && std::fabs(x) < 1) {
    const M t = std::acos(x);
    if (std::cos(t / 2) != 1) return std::sin((M(n) + M(0.5)) * t) / std::sin(t / 2);
    return x > 0 ? M(2 * n + 1) : (n % 2 == 0 ? M(1) : M(-1));
  }
  if (n == 0) return 1;
  M p = 1, q = 2 * x + 1;
  for (int64_t k = 2; k <= n; ++k) {
    const M r = 2 * x * q - p;
    p = q;
    q = r;
  }
  return q;
}

// Physicists' H_n: H_{k+1} = 2x H_k - 2k H_{k-1}; probabilists' He_n: He_{k+1} = x He_k - k He_{k-1}.
template <class M>
PE_HOST_DEVICE M hermite(M x, M nd, M scale) {
  if (bad_order(nd)) return nd;
  const int64_t n = static_cast<int64_t>(nd);
  if (n < 0) return 0;
  if (n == 0) return 1;
  M p = 1, q = scale * x;
  for (int64_t k = 1; k < n; ++k) {
    const M r = scale * (x * q - M(k) * p);
    p = q;
    q = r;
  }
  return q;
}
template <class M>
PE_HOST_DEVICE M hermite_h(M x, M n) { return hermite(x, n, M(2)); }
// He_n as PyTorch computes it: its CPU kernel is built with FMA contraction, so x * He_k - k * He_{k-1}
// rounds once after the product x * He_k; in float32 the unfused form drifts from it past float32's
// comparison tolerance within ten steps (our core builds with -ffp-contract=off, hence the explicit fma).
template <class M>
PE_HOST_DEVICE M hermite_he(M x, M nd) {
  if (bad_order(nd)) return nd;
  const int64_t n = static_cast<int64_t>(nd);
  if (n < 0) return 0;
  if (n == 0) return 1;
  M p = 1, q = x;
  for (int64_t k = 1; k < n; ++k) {
    const M r = static_cast<M>(fma(x, q, -(M(k) * p)));
    p = q;
    q = r;
  }
  return q;
}

// L_{k+1} = ((2k + 1 - x) L_k - k L_{k-1}) / (k + 1); L_n(0) = 1.
template <class M>
PE_HOST_DEVICE M laguerre_l(M x, M nd) {
  if (bad_order(nd)) return nd;
  const int64_t n = static_cast<int64_t>(nd);
  if (n < 0) return 0;
  if (std::fabs(x) == 0) return 1;
  if (n == 0) return 1;
  M p = 1, q = 1 - x;
  for (int64_t k = 1; k < n; ++k) {
    const M r = ((M(2 * k) + (M(1) - x)) * q - M(k) * p) / M(k + 1);
    p = q;
    q = r;
  }
  return q;
}

// P_{k+1} = ((2k + 1) x P_k - k P_{k-1}) / (k + 1); P_n(1) = 1, P_n(-1) = (-1)^n.
template <class M>
PE_HOST_DEVICE M legendre_p(M x, M nd) {
  if (bad_order(nd)) return nd;
  const int64_t n = static_cast<int64_t>(nd);
  if (n < 0) return 0;
  if (std::fabs(x) == 1) return (x > 0 || n % 2 == 0) ? M(1) : M(-1);
  if (n == 0) return 1;
  M p = 1, q = x;
  for (int64_t k = 1; k < n; ++k) {
    const M r = (M(2 * k + 1) * x * q - M(k) * p) / M(k + 1);
    p = q;
    q = r;
  }
  return q;
}

}  // namespace special_math

// ---- unary: T -> T for the floating dtypes ----
template <class T, SpecialUnaryOp Op>
struct SpecialUnaryFunctor {
  static constexpr bool supported = is_float_v<T>;
  int64_t n = 0;  // polygamma's order
  PE_HOST_DEVICE T operator()(T a) const {
    using namespace special_math;
    const opmath_t<T> mx = static_cast<opmath_t<T>>(a);
    const double x = static_cast<double>(mx);
    (void)x, (void)mx;
    if constexpr (Op == SpecialUnaryOp::Polygamma) {
      return static_cast<T>(polygamma(n, mx));
    }
#define PE_CASE(Name, name, expr) else if constexpr (Op == SpecialUnaryOp::Name) return static_cast<T>(expr);
    PE_FORALL_SPECIAL_UNARY_OPS(PE_CASE)
#undef PE_CASE
    else return a;
  }
};

// ---- binary: (T, T) -> T ----
namespace detail {
// The next representable value after a toward b, on the bits (the 16-bit floats too).
template <class T, class U>
PE_HOST_DEVICE T next_after_bits(T a, T b) {
  using M = opmath_t<T>;
  const M x = static_cast<M>(a), y = static_cast<M>(b);
  if (x != x || y != y) return static_cast<T>(x + y);
  if (x == y) return b;
  U bits;
  static_assert(sizeof(U) == sizeof(T), "bit width");
  if (x == M(0)) {
    bits = 1;  // the smallest subnormal, with y's sign
    T r;
    memcpy(&r, &bits, sizeof(T));
    return y > M(0) ? r : static_cast<T>(-static_cast<M>(r));
  }
  memcpy(&bits, &a, sizeof(T));
  if ((x < y) == (x > M(0))) ++bits;  // away from zero
  else --bits;
  T r;
  memcpy(&r, &bits, sizeof(T));
  return r;
}
}  // namespace detail

template <class T, SpecialBinaryOp Op>
struct SpecialBinaryFunctor {
  static constexpr bool is_integer_op = Op == SpecialBinaryOp::Gcd || Op == SpecialBinaryOp::Lcm;
  static constexpr bool supported = is_integer_op ? is_int_v<T> : is_float_v<T>;
  PE_HOST_DEVICE T operator()(T a, T b) const {
    using namespace special_math;
    if constexpr (Op == SpecialBinaryOp::Nextafter) {
      if constexpr (std::is_same_v<T, double>) return std::nextafter(a, b);
      else if constexpr (std::is_same_v<T, float>) return std::nextafter(a, b);
      else return detail::next_after_bits<T, uint16_t>(a, b);
    } else if constexpr (is_integer_op) {
      if constexpr (is_int_v<T>) {
        // Euclid on |a|, |b| (|INT_MIN| wraps, as PyTorch's std::abs does in practice)
        T x = detail::wrap_abs(a), y = detail::wrap_abs(b);
        while (x != 0) {
          const T c = x;
          x = detail::int_fmod(y, x);
          y = c;
        }
        if constexpr (Op == SpecialBinaryOp::Gcd) return y;
        // lcm = |a / gcd * b| in C++'s promoted type (int for the small types, whose result then
        // wraps into T as PyTorch's does), wrapping for 32 and 64 bits
        else if (y == 0) return T(0);
        else if constexpr (sizeof(T) < sizeof(int)) {
          const int l = static_cast<int>(a) / static_cast<int>(y) * static_cast<int>(b);
          return static_cast<T>(l < 0 ? -l : l);
        } else {
          return detail::wrap_abs(detail::wrap_mul(detail::int_div_trunc(a, y), b));
        }
      } else {
        return a;
      }
    } else {
      using P = opmath_t<T>;  // the compute type of zeta and He_n
      const P px = static_cast<P>(a), py = static_cast<P>(b);
      const double x = static_cast<double>(px), y = static_cast<double>(py);
      (void)x, (void)y, (void)px, (void)py;
      if constexpr (false) return a;
#define PE_CASE(Name, name, expr) else if constexpr (Op == SpecialBinaryOp::Name) return static_cast<T>(expr);
      PE_FORALL_SPECIAL_BINARY_OPS(PE_CASE)
#undef PE_CASE
      else return a;
    }
  }
};

// frexp: x = mantissa * 2^exponent, |mantissa| in [0.5, 1); 0, inf and nan keep x with exponent 0.
template <class T>
struct FrexpMantissaFunctor {
  PE_HOST_DEVICE T operator()(T a) const {
    int e = 0;
    return static_cast<T>(std::frexp(static_cast<opmath_t<T>>(a), &e));
  }
};
template <class T>
struct FrexpExponentFunctor {
  PE_HOST_DEVICE int32_t operator()(T a) const {
    int e = 0;
    std::frexp(static_cast<opmath_t<T>>(a), &e);
    return static_cast<int32_t>(e);
  }
};

}  // namespace pe
