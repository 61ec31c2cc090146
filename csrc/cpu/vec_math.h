// float32 log, tanh, sigmoid, erf and erfc written branch-free (selects instead of ifs, no libm
// calls) so that one scalar source vectorizes: cpu/unary_math_kernel.cpp compiles each loop for
// the baseline, for AVX2+FMA and for AVX-512 and picks one at run time. With Fma = true every
// operation is the same IEEE operation at every vector width, so AVX2 and AVX-512 give
// bit-identical results; the baseline loop (no FMA) may differ from them in the last bit.
// Accuracy (tests/python/test_vec_math.py, against float64 math over the whole float range,
// denormals, infinities and NaN included): within 2 ulp with Fma.
// Polynomial coefficients: cephes for log and tanh; erf/erfc fitted here (relative least squares
// on Chebyshev nodes against float64 erf/erfc, max fit error <= 5e-9).
#pragma once
#include <cstdint>
#include <cstring>

#include "ops/fast_math.h"

namespace pe::math {

PE_ALWAYS_INLINE uint32_t bits_of(float x) {
  uint32_t b;
  std::memcpy(&b, &x, 4);
  return b;
}
PE_ALWAYS_INLINE float float_of_bits(uint32_t b) {
  float x;
  std::memcpy(&x, &b, 4);
  return x;
}
PE_ALWAYS_INLINE uint32_t mask_of(bool c) { return 0u - (uint32_t)c; }

// log: x = m * 2^e with m in [sqrt(1/2), sqrt(2)), log(x) = log1p(m - 1) + e*ln2, log1p by cephes'
// degree-8 polynomial, ln2 in two parts (the first one exact times e). Denormal inputs are scaled
// by 2^23 first.
template <bool Fma>
PE_ALWAYS_INLINE float log_f32(float x) {
  const bool denormal = x < 1.17549435e-38f;  // also 0, negatives (fixed up below)
  float xs = select_bits(mask_of(denormal), x * 8388608.0f, x);
  uint32_t b = bits_of(xs);
  int32_t e = (int32_t)((b >> 23) & 0xff) - 127 - (denormal ? 23 : 0);
  float m = float_of_bits((b & 0x007fffffu) | 0x3f800000u);  // [1, 2)
  const bool big = m > 1.41421356f;
  m = select_bits(mask_of(big), m * 0.5f, m);
  e += big ? 1 : 0;
  const float f = m - 1.0f;
  const float fe = (float)e;
  const float z = f * f;
  float y = 7.0376836292e-2f;
  y = mul_add<Fma>(y, f, -1.1514610310e-1f);
  y = mul_add<Fma>(y, f, 1.1676998740e-1f);
  y = mul_add<Fma>(y, f, -1.2420140846e-1f);
  y = mul_add<Fma>(y, f, 1.4249322787e-1f);
  y = mul_add<Fma>(y, f, -1.6668057665e-1f);
  y = mul_add<Fma>(y, f, 2.0000714765e-1f);
  y = mul_add<Fma>(y, f, -2.4999993993e-1f);
  y = mul_add<Fma>(y, f, 3.3333331174e-1f);
  y = y * f * z;
  y = mul_add<Fma>(fe, -2.12194440e-4f, y);
  y = mul_add<Fma>(z, -0.5f, y);
  float r = f + y;
  r = mul_add<Fma>(fe, 0.693359375f, r);
  // x = +inf: inf; x = 0: -inf; x < 0: NaN; NaN stays NaN.
  r = select_bits(mask_of(x == __builtin_inff()), x, r);
  r = select_bits(mask_of(x == 0.0f), -__builtin_inff(), r);
  r = select_bits(mask_of(x < 0.0f || x != x), __builtin_nanf(""), r);
  return r;
}

// tanh: an odd polynomial below 0.625 (cephes), else 1 - 2 / (exp(2|x|) + 1) with x's sign
// (exp overflows to inf beyond 44, giving exactly 1).
template <bool Fma>
PE_ALWAYS_INLINE float tanh_f32(float x) {
  const uint32_t sign = bits_of(x) & 0x80000000u;
  const float a = float_of_bits(bits_of(x) & 0x7fffffffu);
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = mul_add<Fma>(p, z, 2.06390887954e-2f);
  p = mul_add<Fma>(p, z, -5.37397155531e-2f);
  p = mul_add<Fma>(p, z, 1.33314422036e-1f);
  p = mul_add<Fma>(p, z, -3.33332819422e-1f);
  const float small = mul_add<Fma>(p * z, x, x);
  const float big = float_of_bits(bits_of(1.0f - 2.0f / (exp_f32<Fma>(a + a) + 1.0f)) | sign);
  return select_bits(mask_of(a < 0.625f), small, big);  // NaN: big, which is NaN
}

// sigmoid: e = exp(-|x|) never overflows; 1 / (1 + e) for x >= 0, e / (1 + e) below (keeps the
// tiny results of large negative x, down into the denormals).
template <bool Fma>
PE_ALWAYS_INLINE float sigmoid_f32(float x) {
  const float e = exp_f32<Fma>(-float_of_bits(bits_of(x) & 0x7fffffffu));
  const float num = select_bits(mask_of(x < 0.0f), e, 1.0f);
  // 1 + e = s + t exactly (Fast2Sum, 1 >= e); num / (s + t) = q * (1 - t / s): the rounding of
  // 1 + e no longer adds to the error (2.0 -> 1.7 ulp), and no second division.
  const float s = 1.0f + e;
  const float t = e - (s - 1.0f);
  const float q = num / s;
  return mul_add<Fma>(-q, t * (1.5f - 0.5f * s), q);  // 1 / s to 12% is enough for the correction
}

namespace detail {
// erf(x) = x + x * P(x^2) on [0, 1] (P = erf(x) / x - 1, so that the leading coefficient's
// rounding does not count).
template <bool Fma>
PE_ALWAYS_INLINE float erf_small(float x) {
  const float z = x * x;
  float p = 7.898209878476337e-05f;
  p = mul_add<Fma>(p, z, -0.0008024353883229196f);
  p = mul_add<Fma>(p, z, 0.00519005348905921f);
  p = mul_add<Fma>(p, z, -0.026854809373617172f);
  p = mul_add<Fma>(p, z, 0.11283612251281738f);
  p = mul_add<Fma>(p, z, -0.3761262893676758f);
  p = mul_add<Fma>(p, z, 0.12837916709551257f);
  return mul_add<Fma>(x, p, x);
}

// erfc(a) for a >= 0.5: exp(-a^2) * Q(a), Q by a polynomial in a - 1.25 up to 2, by one in 1/a^2
// (over a) beyond. exp(-a^2) takes a^2 as hi + lo (exact with fma) so that the tail keeps its
// relative accuracy: exp(-hi - lo) = exp(-hi) * (1 - lo) to float precision.
template <bool Fma>
PE_ALWAYS_INLINE float erfc_pos(float a) {
  const float u = a - 1.25f;
  float q = 6.0761653003282845e-05f;
  q = mul_add<Fma>(q, u, -0.0001921115763252601f);
  q = mul_add<Fma>(q, u, 0.0004720583965536207f);
  q = mul_add<Fma>(q, u, -0.001309123239479959f);
  q = mul_add<Fma>(q, u, 0.003552790032699704f);
  q = mul_add<Fma>(q, u, -0.009085712023079395f);
  q = mul_add<Fma>(q, u, 0.02201155386865139f);
  q = mul_add<Fma>(q, u, -0.050217870622873306f);
  q = mul_add<Fma>(q, u, 0.1067955493927002f);
  q = mul_add<Fma>(q, u, -0.20882189273834229f);
  q = mul_add<Fma>(q, u, 0.36782291531562805f);
  const float r = 1.0f / a;
  const float t = r * r;
  float s = 31.087928771972656f;
  s = mul_add<Fma>(s, t, -41.79855728149414f);
  s = mul_add<Fma>(s, t, 25.839162826538086f);
  s = mul_add<Fma>(s, t, -10.260604858398438f);
  s = mul_add<Fma>(s, t, 3.2534031867980957f);
  s = mul_add<Fma>(s, t, -1.037347674369812f);
  s = mul_add<Fma>(s, t, 0.4225947856903076f);
  s = mul_add<Fma>(s, t, -0.2820874750614166f);
  s = mul_add<Fma>(s, t, 0.5641895532608032f);
  s = s / a;  // one rounding (s * r would be two)
  const float poly = select_bits(mask_of(a < 2.0f), q, s);
  const float hi = a * a;
  const float lo = mul_add<Fma>(a, a, -hi);  // 0 without fma: a little less accurate in the tail
  const float ex = exp_f32<Fma>(-hi);
  const float y = ex * poly;
  return mul_add<Fma>(-y, lo, y);  // y * (1 - lo) without rounding 1 - lo
}
}  // namespace detail

template <bool Fma>
PE_ALWAYS_INLINE float erf_f32(float x) {
  const uint32_t sign = bits_of(x) & 0x80000000u;
  const float a = float_of_bits(bits_of(x) & 0x7fffffffu);
  // clamped to [1, 10] (erf(10) is 1.0f; keeps inf out of the arithmetic). Float selects as bit
  // selects: a `c ? x : y` here leaves a branch in the loop, which stops vectorization (and then
  // runs 25x slower).
  const float ac = select_bits(mask_of(a < 1.0f), 1.0f, select_bits(mask_of(a < 10.0f), a, 10.0f));
  const float big = float_of_bits(bits_of(1.0f - detail::erfc_pos<Fma>(ac)) | sign);
  const float r = select_bits(mask_of(a < 1.0f), detail::erf_small<Fma>(x), big);
  return select_bits(mask_of(x != x), x, r);
}

template <bool Fma>
PE_ALWAYS_INLINE float erfc_f32(float x) {
  const float a = float_of_bits(bits_of(x) & 0x7fffffffu);
  // clamped to [0.5, 11] (erfc(11) underflows to 0); bit selects, as in erf_f32
  const float ac = select_bits(mask_of(a < 0.5f), 0.5f, select_bits(mask_of(a < 11.0f), a, 11.0f));
  const float e = detail::erfc_pos<Fma>(ac);
  const float big = select_bits(mask_of(x < 0.0f), 2.0f - e, e);
  const float r = select_bits(mask_of(a < 0.5f), 1.0f - detail::erf_small<Fma>(x), big);
  return select_bits(mask_of(x != x), x, r);
}

}  // namespace pe::math
