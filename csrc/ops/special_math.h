// Scalar math of torch.special and its torch.* aliases, shared by the CPU loops and the CUDA
// kernels (PE_HOST_DEVICE): the gamma family (digamma, trigamma, polygamma, Hurwitz zeta,
// regularized incomplete gamma), the error-function family (erfcx, erfinv, ndtr, ndtri, log_ndtr)
// and entr. Bessel and Airy functions are in ops/bessel_math.h, orthogonal polynomials in
// ops/special_functors.h.
//
// Note [Special math in double]: the functions here compute in double whatever the element type
// (the functors cast float32/float16/bfloat16 inputs up and the result down; trigamma and zeta are
// the exceptions, see below): the algorithms are
// the textbook ones (recurrence + asymptotic series, Euler-Maclaurin, Newton on erfc, series and
// continued fraction), whose float64 error is a few ulps, so a float32 result is nearly correctly
// rounded. The special values (poles, infinities, NaNs, domain edges) follow PyTorch 2.x, checked by
// tests/python/test_special.py; they are documented where PyTorch's choice is not the obvious one.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/macros.h"

namespace pe::special_math {

constexpr double kPi = 3.14159265358979323846264338327950288;
constexpr double kSqrtPi = 1.77245385090551602729816748334114518;
constexpr double kSqrt2 = 1.41421356237309504880168872420969808;
constexpr double kEulerGamma = 0.577215664901532860606512090082402431;
constexpr double kInf = HUGE_VAL;

PE_HOST_DEVICE inline double nan_value() { return std::nan(""); }

// ---- gamma family ----

// The gamma family below is templated on the compute type M. digamma runs in double; trigamma and
// zeta (so polygamma for n >= 1) run in opmath_t (float for float32), as PyTorch's: near the poles
// their float32 results are dominated by the rounding of pi * x and of the first terms, and only
// the same precision stays within PyTorch's float32 tolerance of its values.

// psi(x) for x >= 10: the asymptotic series ln x - 1/2x - sum B_2k / (2k x^2k).
template <class M>
PE_HOST_DEVICE M digamma_asymptotic(M x) {
  const M z = M(1) / (x * x);
  const M tail =
      z * (M(1.0 / 12) -
           z * (M(1.0 / 120) -
                z * (M(1.0 / 252) - z * (M(1.0 / 240) - z * (M(1.0 / 132) - z * (M(691.0 / 32760) - z / M(12)))))));
  return std::log(x) - M(0.5) / x - tail;
}

// PyTorch: psi(+-0) = -+inf, psi(negative integer) = nan, psi(-inf) = nan, psi(inf) = inf.
template <class M>
PE_HOST_DEVICE M digamma(M x) {
  if (x != x) return x;
  if (x == 0) return std::copysign(M(kInf), -x);
  M result = 0;
  if (x < 0) {
    if (x == std::floor(x)) return M(nan_value());  // poles, and -inf
    // reflection: psi(x) = psi(1 - x) - pi / tan(pi x)
    result = -M(kPi) / std::tan(M(kPi) * x);
    x = 1 - x;
  }
  if (x == M(kInf)) return M(kInf);
  while (x < 10) {
    result -= 1 / x;
    x += 1;
  }
  return result + digamma_asymptotic(x);
}

// psi'(x): reflection below 1/2 (pi^2 / sin^2(pi x) computed without reducing x, as PyTorch: at a
// negative integer the rounding of pi * x gives a huge finite value, not inf), then recurrence to
// x >= 10 and the asymptotic series 1/x + 1/2x^2 + sum B_2k / x^(2k+1).
template <class M>
PE_HOST_DEVICE M trigamma(M x) {
  M sign = 1, result = 0;
  if (x < M(0.5)) {
    sign = -1;
    const M s = std::sin(M(kPi) * x);
    result = -M(kPi) * M(kPi) / (s * s);
    x = 1 - x;
  }
  if (x == M(kInf)) return sign * result;  // psi'(inf) = 0
  while (x < 10) {
    result += 1 / (x * x);
    x += 1;
  }
  const M z = M(1) / (x * x);
  const M series =
      M(1.0 / 6) -
      z * (M(1.0 / 30) -
           z * (M(1.0 / 42) - z * (M(1.0 / 30) - z * (M(5.0 / 66) - z * (M(691.0 / 2730) - z * M(7.0 / 6))))));
  const M tail = 1 / x + z / 2 + z / x * series;
  return sign * (result + tail);
}

// Hurwitz zeta(s, q) = sum_k (q + k)^-s by Euler-Maclaurin: the first terms summed until q + N >= 10,
// then the integral, the half term and 12 Bernoulli corrections. PyTorch's domain, in its order:
// s == 1 -> inf, s < 1 -> nan; q <= 0: a pole at integer q (inf, even for a nan s), nan for
// non-integer s; q = inf -> nan; zeta(inf, q) = inf, 1, nan for q <, =, > 1.
template <class M>
PE_HOST_DEVICE M zeta(M s, M q) {
  if (s == 1) return M(kInf);  // before nan: a nan s still has its pole at integer q <= 0
  if (s < 1) return M(nan_value());
  if (q <= 0) {
    if (q == std::floor(q)) return M(kInf);
    if (s != std::floor(s)) return M(nan_value());
  }
  if (q == M(kInf)) return M(nan_value());
  if (s == M(kInf) && q > 1) return M(nan_value());  // PyTorch's value (its tail computes 0 * inf)
  // B_2j / (2j)!
  const double b2j[12] = {1.0 / 6 / 2,
                          -1.0 / 30 / 24,
                          1.0 / 42 / 720,
                          -1.0 / 30 / 40320,
                          5.0 / 66 / 3628800,
                          -691.0 / 2730 / 479001600,
                          7.0 / 6 / 87178291200.0,
                          -3617.0 / 510 / 20922789888000.0,
                          43867.0 / 798 / 6402373705728000.0,
                          -174611.0 / 330 / 2432902008176640000.0,
                          854513.0 / 138 / 1.1240007277776077e21,
                          -236364091.0 / 2730 / 6.204484017332394e23};
  const M eps = std::numeric_limits<M>::epsilon() / 16;
  M sum = 0;
  M a = q;
  int64_t k = 0;
  while (k < 9 || a < 10) {
    const M term = std::pow(a, -s);
    sum += term;
    // for large s the first terms dominate: stop once a term no longer changes the sum
    if (k >= 9 && std::fabs(term) <= eps * std::fabs(sum)) return sum;
    a += 1;
    ++k;
  }
  const M a_s = std::pow(a, -s);
  if (a_s == 0) return sum;  // the tail underflows (and s = inf would make it 0 * inf)
  sum += a * a_s / (s - 1) + M(0.5) * a_s;
  // correction j: B_2j/(2j)! * s (s+1) ... (s+2j-2) * a^(-s-2j+1)
  M fac = s * a_s / a;  // s * a^(-s-1)
  for (int j = 0; j < 12; ++j) {
    const M t = M(b2j[j]) * fac;
    sum += t;
    if (std::fabs(t) <= eps * std::fabs(sum)) break;
    fac *= (s + M(2 * j + 1)) * (s + M(2 * j + 2)) / (a * a);
  }
  return sum;
}

// polygamma(n, x), n >= 0 (the op layer rejects negative n): digamma, trigamma, then
// (-1)^(n+1) n! zeta(n+1, x).
template <class M>
PE_HOST_DEVICE M polygamma(int64_t n, M x) {
  if (n == 0) return static_cast<M>(digamma(static_cast<double>(x)));
  if (n == 1) return trigamma(x);
  const M fact = static_cast<M>(std::exp(std::lgamma(static_cast<double>(n) + 1)));
  return ((n % 2) ? M(1) : M(-1)) * fact * zeta(static_cast<M>(n) + 1, x);
}

// Regularized incomplete gamma P(a, x) and Q(a, x) = 1 - P: the power series for x < a + 1, the
// continued fraction of Q (modified Lentz) beyond; the smaller one is computed, the other is its
// complement. PyTorch's domain: a < 0 or x < 0 -> nan; a == 0: x > 0 -> P = 1, else nan; x == 0 ->
// P = 0; a == inf: x == inf -> nan, else P = 0; x == inf -> P = 1.
PE_HOST_DEVICE inline double igamma_impl(double a, double x, bool upper) {
  // in PyTorch's order, so that P(nan, 0) = 0, P(nan, inf) = 1 and P(inf, nan) = 0
  if (a < 0 || x < 0) return nan_value();
  if (a == 0) return x > 0 ? (upper ? 0.0 : 1.0) : nan_value();
  if (x == 0) return upper ? 1.0 : 0.0;
  if (a == kInf) return x == kInf ? nan_value() : (upper ? 1.0 : 0.0);
  if (x == kInf) return upper ? 0.0 : 1.0;
  if (a != a || x != x) return nan_value();
  // x^a e^-x / Gamma(a)
  const double log_pre = a * std::log(x) - x - std::lgamma(a);
  if (x < a + 1) {
    double term = 1 / a, sum = term;
    for (int n = 1; n < 100000; ++n) {
      term *= x / (a + n);
      sum += term;
      if (term <= sum * 1e-17) break;
    }
    const double p = sum * std::exp(log_pre);
    return upper ? 1 - p : p;
  }
  const double tiny = 1e-300;
  double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (int i = 1; i < 100000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) <= 1e-16) break;
  }
  const double q = std::exp(log_pre) * h;
  return upper ? q : 1 - q;
}

// ---- error-function family ----

// erfcx(x) = exp(x^2) erfc(x): direct below 25 (erfc has full relative accuracy there), the
// asymptotic series 1/(x sqrt(pi)) sum (-1)^k (2k-1)!! / (2x^2)^k above, 2 exp(x^2) - erfcx(-x)
// for negative x (no cancellation: erfcx(-x) <= 1).
PE_HOST_DEVICE inline double erfcx_nonneg(double x) {
  if (x < 25) return std::exp(x * x) * std::erfc(x);
  if (x == kInf) return 0;
  const double z = 1 / (2 * x * x);
  double term = 1, sum = 1;
  for (int k = 1; k < 12; ++k) {
    term *= -(2 * k - 1) * z;
    sum += term;
  }
  return sum / (x * kSqrtPi);
}
PE_HOST_DEVICE inline double erfcx(double x) {
  if (x != x) return x;
  if (x >= 0) return erfcx_nonneg(x);
  if (x < -26.7) return kInf;
  return 2 * std::exp(x * x) - erfcx_nonneg(-x);
}

// z in [0, 0.48) with erf(z) = x, 0 <= x <= 0.5: Newton from the series' first terms (erf is
// concave there, so the iterates approach monotonically after the first step).
PE_HOST_DEVICE inline double erfinv_small(double x) {
  if (x == 0) return x;
  double z = 0.5 * kSqrtPi * x * (1 + kPi * x * x / 12);
  for (int i = 0; i < 50; ++i) {
    const double dz = (std::erf(z) - x) * 0.5 * kSqrtPi * std::exp(z * z);
    z -= dz;
    if (std::fabs(dz) <= 1e-17 * z) break;
  }
  return z;
}

// z >= 0 with erfc(z) = y, 0 < y <= 1: Newton on ln erfc(z) = ln y (concave and decreasing, so
// globally convergent; ln erfc(z) = ln erfcx(z) - z^2 never underflows), from z^2 ~ -ln(y sqrt(pi) z).
PE_HOST_DEVICE inline double erfcinv_tail(double y) {
  if (y > 0.5) return erfinv_small(1 - y);  // 1 - y is exact here
  const double ly = std::log(y);
  double z = std::sqrt(-ly);
  const double z2 = -ly - std::log(z * kSqrtPi);
  if (z2 > 0.25) z = std::sqrt(z2);
  for (int i = 0; i < 100; ++i) {
    const double e = erfcx_nonneg(z);
    const double dz = (std::log(e) - z * z - ly) * 0.5 * kSqrtPi * e;
    z += dz;
    if (std::fabs(dz) <= 1e-16 * z) break;
  }
  return z;
}

PE_HOST_DEVICE inline double erfinv(double x) {
  if (x != x || x < -1 || x > 1) return nan_value();
  const double a = std::fabs(x);
  if (a == 1) return std::copysign(kInf, x);
  const double z = a <= 0.5 ? erfinv_small(a) : erfcinv_tail(1 - a);
  return std::copysign(z, x);
}

// Phi(x) = erfc(-x / sqrt 2) / 2.
PE_HOST_DEVICE inline double ndtr(double x) { return 0.5 * std::erfc(-x / kSqrt2); }

// Phi^-1(p) = -sqrt2 erfcinv(2p) below 1/2 (2p is exact, the left tail keeps its accuracy),
// sqrt2 erfinv(2p - 1) above (2p - 1 is exact).
PE_HOST_DEVICE inline double ndtri(double p) {
  if (p != p || p < 0 || p > 1) return nan_value();
  if (p == 0) return -kInf;
  if (p == 1) return kInf;
  if (p < 0.5) return -kSqrt2 * erfcinv_tail(2 * p);
  return kSqrt2 * erfinv(2 * p - 1);
}

// ln Phi(x): ln(erfcx(-x/sqrt2) / 2) - x^2/2 in the left tail, log1p(-erfc(x/sqrt2) / 2) elsewhere.
PE_HOST_DEVICE inline double log_ndtr(double x) {
  const double t = x / kSqrt2;
  if (x < -1) return std::log(erfcx(-t) / 2) - t * t;
  return std::log1p(-std::erfc(t) / 2);
}

// -x ln x, 0 at 0, -inf for negative x.
PE_HOST_DEVICE inline double entr(double x) {
  if (x != x) return x;
  if (x > 0) return -x * std::log(x);
  return x == 0 ? 0.0 : -kInf;
}

// x * log1p(y), 0 where x == 0 and y is not nan.
PE_HOST_DEVICE inline double xlog1py(double x, double y) {
  if (y != y) return y;
  if (x == 0) return 0;
  return x * std::log1p(y);
}

}  // namespace pe::special_math
