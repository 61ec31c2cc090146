// Bessel and Airy functions of torch.special (J0, J1, Y0, Y1, I0, I1 and their exponentially
// scaled forms, K0, K1 and scaled, spherical j0, Airy Ai), shared by the CPU loops and the CUDA
// kernels (PE_HOST_DEVICE); computed in double (Note [Special math in double], ops/special_math.h).
// Methods: the power series where they converge without much cancellation (small |x|), Hankel's
// asymptotic expansions for large |x| (where their smallest term is below double precision), and
// for K_nu in between the integral K_nu(x) = int_0^inf exp(-x cosh t) cosh(nu t) dt by the
// trapezoidal rule, which converges exponentially for this even, analytic integrand.
#pragma once
#include "ops/special_math.h"

namespace pe::special_math {

// Hankel's P and Q for order nu at x: a_k(nu) = prod_{j<=k} (4nu^2 - (2j-1)^2) / (k! 8^k), P = sum
// (-1)^k a_2k / x^2k, Q = sum (-1)^k a_2k+1 / x^(2k+1); the sum stops when the terms stop shrinking.
PE_HOST_DEVICE inline void hankel_pq(double nu, double x, double* p, double* q) {
  const double mu = 4 * nu * nu;
  double term = 1, pp = 1, qq = 0, last = kInf;
  for (int k = 1; k < 60; ++k) {
    const double next = term * (mu - (2.0 * k - 1) * (2.0 * k - 1)) / (8.0 * k * x);
    if (std::fabs(next) >= last) break;
    term = next;
    last = std::fabs(term);
    const double sign = ((k / 2) % 2) ? -1.0 : 1.0;  // k = 1, 2: +; 3, 4: -; ...
    if (k % 2) qq += sign * term;
    else pp += (k % 4 == 2 ? -1.0 : 1.0) * term;
    if (last < 1e-17) break;
  }
  *p = pp;
  *q = qq;
}

// J_nu and Y_nu for large x > 0: sqrt(2/(pi x)) (P cos chi -/+ Q sin chi), chi = x - (nu/2 + 1/4) pi.
// cos chi and sin chi come from cos x and sin x (no rounding of x - phase for large x).
PE_HOST_DEVICE inline double bessel_jy_asymptotic(double nu, double x, bool y) {
  double p, q;
  hankel_pq(nu, x, &p, &q);
  const double phase = (nu / 2 + 0.25) * kPi;
  const double c = std::cos(x), s = std::sin(x), cp = std::cos(phase), sp = std::sin(phase);
  const double cos_chi = c * cp + s * sp, sin_chi = s * cp - c * sp;
  const double amp = std::sqrt(2 / (kPi * x));
  return y ? amp * (p * sin_chi + q * cos_chi) : amp * (p * cos_chi - q * sin_chi);
}

// J_n(x), n in {0, 1}, x >= 0 finite, by its power series (x <= 12).
PE_HOST_DEVICE inline double bessel_j_series(int n, double x) {
  const double z = -0.25 * x * x;
  double term = n ? 0.5 * x : 1.0, sum = term;
  for (int k = 1; k < 200; ++k) {
    term *= z / (k * (k + n));
    sum += term;
    if (std::fabs(term) < 1e-17 * std::fabs(sum)) break;
  }
  return sum;
}

PE_HOST_DEVICE inline double bessel_j0(double x) {
  x = std::fabs(x);
  if (x != x || x == kInf) return nan_value();
  return x <= 12 ? bessel_j_series(0, x) : bessel_jy_asymptotic(0, x, false);
}

PE_HOST_DEVICE inline double bessel_j1(double x) {
  if (x != x || std::fabs(x) == kInf) return nan_value();
  if (x < 0) return -bessel_j1(-x);
  return x <= 12 ? bessel_j_series(1, x) : bessel_jy_asymptotic(1, x, false);
}

// Y0 = (2/pi)(ln(x/2) + gamma) J0 + (2/pi) sum_{k>=1} (-1)^(k+1) H_k (x^2/4)^k / (k!)^2.
PE_HOST_DEVICE inline double bessel_y0(double x) {
  if (x != x || x < 0) return nan_value();
  if (x == 0) return -kInf;
  if (x == kInf) return nan_value();
  if (x > 12) return bessel_jy_asymptotic(0, x, true);
  const double z = 0.25 * x * x;
  double term = 1, harmonic = 0, sum = 0;
  for (int k = 1; k < 200; ++k) {
    term *= -z / (static_cast<double>(k) * k);
    harmonic += 1.0 / k;
    const double t = -term * harmonic;
    sum += t;
    if (std::fabs(t) < 1e-17 * std::fabs(sum)) break;
  }
  return 2 / kPi * ((std::log(x / 2) + kEulerGamma) * bessel_j_series(0, x) + sum);
}

// Y1 = -2/(pi x) + (2/pi) ln(x/2) J1 - (1/pi) sum_{k>=0} (-1)^k (psi(k+1) + psi(k+2)) (x/2)^(2k+1) / (k!(k+1)!).
PE_HOST_DEVICE inline double bessel_y1(double x) {
  if (x != x || x < 0) return nan_value();
  if (x == 0) return -kInf;
  if (x == kInf) return nan_value();
  if (x > 12) return bessel_jy_asymptotic(1, x, true);
  const double z = -0.25 * x * x;
  double term = 0.5 * x, psi1 = -kEulerGamma, psi2 = 1 - kEulerGamma;
  double sum = term * (psi1 + psi2);
  for (int k = 1; k < 200; ++k) {
    term *= z / (static_cast<double>(k) * (k + 1));
    psi1 += 1.0 / k;
    psi2 += 1.0 / (k + 1);
    const double t = term * (psi1 + psi2);
    sum += t;
    if (std::fabs(t) < 1e-17 * std::fabs(sum)) break;
  }
  return -2 / (kPi * x) + 2 / kPi * std::log(x / 2) * bessel_j_series(1, x) - sum / kPi;
}

// I_n(x) for n in {0, 1}, x >= 0 finite, times e^-x when `scaled`: the series (positive terms) up
// to 20, the asymptotic e^x / sqrt(2 pi x) sum (-1)^k a_k(n) / x^k above.
PE_HOST_DEVICE inline double bessel_i_nonneg(int n, double x, bool scaled) {
  if (x <= 20) {
    const double z = 0.25 * x * x;
    double term = n ? 0.5 * x : 1.0, sum = term;
    for (int k = 1; k < 200; ++k) {
      term *= z / (static_cast<double>(k) * (k + n));
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return scaled ? sum * std::exp(-x) : sum;
  }
  const double mu = 4.0 * n * n;
  double term = 1, sum = 1;
  for (int k = 1; k < 40; ++k) {
    term *= -(mu - (2.0 * k - 1) * (2.0 * k - 1)) / (8.0 * k * x);
    sum += term;
    if (std::fabs(term) < 1e-17) break;
  }
  const double r = sum / std::sqrt(2 * kPi * x);
  return scaled ? r : r * std::exp(x);  // inf from 709.8 on, as PyTorch
}

// PyTorch: I0(+-inf) and I1(+-inf) are nan; the scaled forms are 0 (-0 for I1e(-inf)).
PE_HOST_DEVICE inline double bessel_i0(double x, bool scaled) {
  if (x != x) return x;
  x = std::fabs(x);
  if (x == kInf) return scaled ? 0.0 : nan_value();
  return bessel_i_nonneg(0, x, scaled);
}
PE_HOST_DEVICE inline double bessel_i1(double x, bool scaled) {
  if (x != x) return x;
  const double a = std::fabs(x);
  if (a == kInf) return scaled ? std::copysign(0.0, x) : nan_value();
  return std::copysign(bessel_i_nonneg(1, a, scaled), x);
}

// e^x K_nu(x) for x > 0 finite, any real order nu (the Airy function uses 1/3): the trapezoidal rule
// on e^(-x (cosh t - 1)) cosh(nu t) with step 0.1 (error ~ exp(-pi^2 / h)) up to x = 20, Hankel's
// asymptotic sqrt(pi/2x) sum a_k(nu) / x^k above.
PE_HOST_DEVICE inline double bessel_k_scaled_integral(double nu, double x) {
  if (x > 20) {
    const double mu = 4 * nu * nu;
    double term = 1, sum = 1;
    for (int k = 1; k < 40; ++k) {
      term *= (mu - (2.0 * k - 1) * (2.0 * k - 1)) / (8.0 * k * x);
      sum += term;
      if (std::fabs(term) < 1e-17) break;
    }
    return std::sqrt(kPi / (2 * x)) * sum;
  }
  const double h = 0.1;
  double sum = 0.5;
  for (int j = 1; j < 100000; ++j) {
    const double t = j * h;
    const double f = std::exp(-x * (std::cosh(t) - 1)) * std::cosh(nu * t);
    sum += f;
    if (f < 1e-18 * sum) break;
  }
  return h * sum;
}

// K0 and K1 for 0 < x <= 2 by their series around 0:
// K0 = -(ln(x/2) + gamma) I0 + sum_{k>=1} H_k (x^2/4)^k / (k!)^2,
// K1 = 1/x + ln(x/2) I1 - (x/4) sum_{k>=0} (psi(k+1) + psi(k+2)) (x^2/4)^k / (k!(k+1)!).
PE_HOST_DEVICE inline double bessel_k_series(int n, double x) {
  const double z = 0.25 * x * x;
  if (n == 0) {
    double term = 1, harmonic = 0, sum = 0;
    for (int k = 1; k < 200; ++k) {
      term *= z / (static_cast<double>(k) * k);
      harmonic += 1.0 / k;
      sum += term * harmonic;
      if (term * harmonic < 1e-17 * sum) break;
    }
    return -(std::log(x / 2) + kEulerGamma) * bessel_i_nonneg(0, x, false) + sum;
  }
  double term = 1, psi1 = -kEulerGamma, psi2 = 1 - kEulerGamma;
  double sum = psi1 + psi2;
  for (int k = 1; k < 200; ++k) {
    term *= z / (static_cast<double>(k) * (k + 1));
    psi1 += 1.0 / k;
    psi2 += 1.0 / (k + 1);
    sum += term * (psi1 + psi2);
    if (std::fabs(term * (psi1 + psi2)) < 1e-17 * std::fabs(sum)) break;
  }
  return 1 / x + std::log(x / 2) * bessel_i_nonneg(1, x, false) - 0.25 * x * sum;
}

// K_n(x), n in {0, 1}, times e^x when `scaled`. PyTorch: nan for x < 0, inf at 0, 0 at inf.
PE_HOST_DEVICE inline double bessel_k(int n, double x, bool scaled) {
  if (x != x || x < 0) return nan_value();
  if (x == 0) return kInf;
  if (x == kInf) return 0;
  if (x <= 2) {
    const double k = bessel_k_series(n, x);
    return scaled ? k * std::exp(x) : k;
  }
  const double ks = bessel_k_scaled_integral(n, x);
  return scaled ? ks : ks * std::exp(-x);
}

// sin(x) / x, its Taylor series near 0; 0 at +-inf.
PE_HOST_DEVICE inline double spherical_bessel_j0(double x) {
  if (x != x) return x;
  if (std::fabs(x) == kInf) return 0;
  if (std::fabs(x) < 0.5) {
    const double z = x * x;
    return 1 - z / 6 * (1 - z / 20 * (1 - z / 42 * (1 - z / 72 * (1 - z / 110 * (1 - z / 156)))));
  }
  return std::sin(x) / x;
}

// Ai(x): the Maclaurin series Ai(0) f(x) + Ai'(0) g(x) on [-7, 2]; (1/pi) sqrt(x/3) K_1/3(zeta)
// above 2; (sqrt|x| / 3) (J_1/3(zeta) + J_-1/3(zeta)) by Hankel's expansion below -7; zeta = (2/3)|x|^1.5.
// PyTorch: nan at +-inf.
PE_HOST_DEVICE inline double airy_ai(double x) {
  if (x != x || std::fabs(x) == kInf) return nan_value();
  if (x > 2) {
    const double zeta = 2.0 / 3.0 * x * std::sqrt(x);
    if (zeta > 760) return 0;
    return std::sqrt(x / 3) / kPi * bessel_k_scaled_integral(1.0 / 3.0, zeta) * std::exp(-zeta);
  }
  if (x < -7) {
    const double a = -x;
    const double zeta = 2.0 / 3.0 * a * std::sqrt(a);
    return std::sqrt(a) / 3 *
           (bessel_jy_asymptotic(1.0 / 3.0, zeta, false) + bessel_jy_asymptotic(-1.0 / 3.0, zeta, false));
  }
  const double ai0 = 0.355028053887817239260063186004183176;
  const double aip0 = -0.258819403792806798405183560189203963;
  const double x3 = x * x * x;
  double f = 1, g = x, tf = 1, tg = x;
  for (int k = 1; k < 200; ++k) {
    tf *= x3 / ((3.0 * k - 1) * (3.0 * k));
    tg *= x3 / ((3.0 * k) * (3.0 * k + 1));
    f += tf;
    g += tg;
    if (std::fabs(tf) + std::fabs(tg) < 1e-17 * (std::fabs(f) + std::fabs(g))) break;
  }
  return ai0 * f + aip0 * g;
}

}  // namespace pe::special_math
