// A float32 exp that the compiler can vectorize (no libm call, no branches), used by exp, sigmoid
// and the 16-bit floats (which compute in float). Cephes' expf: exp(x) = 2^n * exp(r) with
// n = round(x / ln2), r = x - n*ln2 in two parts (the first one exact), exp(r) by a degree-6
// polynomial; max error 1.0 ulp over the whole range (measured on every 13th float), including
// subnormal results (the 2^n scale is applied as two normal factors, so only the last multiply
// rounds into a subnormal). exp_f32<true> uses fused multiply-adds: for loops compiled for
// AVX2/AVX-512 (elsewhere __builtin_fmaf would be a libm call). On CUDA, expf is used.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/macros.h"

namespace pe::math {

// Bit-level select (mask: all ones or all zeros). Float selects written as `c ? a : b` get turned
// into branches when one side is cheaper to compute (gcc sinks or folds the other side), and with
// -ftrapping-math gcc then refuses to if-convert them, which stops vectorization.
PE_HOST_DEVICE PE_ALWAYS_INLINE float select_bits(uint32_t mask, float a, float b) {
  uint32_t ba, bb;
  std::memcpy(&ba, &a, 4);
  std::memcpy(&bb, &b, 4);
  uint32_t r = (ba & mask) | (bb & ~mask);
  float f;
  std::memcpy(&f, &r, 4);
  return f;
}

template <bool Fma>
PE_HOST_DEVICE PE_ALWAYS_INLINE float mul_add(float a, float b, float c) {
#if !defined(__CUDA_ARCH__)
  if constexpr (Fma) return __builtin_fmaf(a, b, c);
#endif
  return a * b + c;
}

template <bool Fma = false>
PE_HOST_DEVICE PE_ALWAYS_INLINE float exp_f32(float x) {
#if defined(__CUDA_ARCH__)
  return ::expf(x);
#else
  const uint32_t nan_mask = 0u - (uint32_t)(x != x);
  // Clamp so that n fits the exponent arithmetic below: beyond 88.8 the result overflows to inf,
  // below -104 it underflows to 0, either way naturally. NaN computes exp(0) and is put back last.
  float xc = x > 88.8f ? 88.8f : x;
  xc = xc < -104.0f ? -104.0f : xc;
  xc = select_bits(nan_mask, 0.0f, xc);
  // round to nearest without SSE4.1: adding 1.5 * 2^23 pushes the fraction out of the mantissa
  float fx = mul_add<Fma>(xc, 1.44269504088896341f, 12582912.0f);
  fx = fx - 12582912.0f;
  float r = mul_add<Fma>(fx, -0.693359375f, xc);  // 0.693359375 has 9 bits: fx * it is exact
  r = mul_add<Fma>(fx, 2.12194440e-4f, r);
  float z = r * r;
  float y = 1.9875691500e-4f;
  y = mul_add<Fma>(y, r, 1.3981999507e-3f);
  y = mul_add<Fma>(y, r, 8.3334519073e-3f);
  y = mul_add<Fma>(y, r, 4.1665795894e-2f);
  y = mul_add<Fma>(y, r, 1.6666665459e-1f);
  y = mul_add<Fma>(y, r, 5.0000001201e-1f);
  y = mul_add<Fma>(y, z, r) + 1.0f;
  // y * 2^n with n in [-150, 129]: two factors 2^(n/2) and 2^(n - n/2), each a normal float.
  int32_t n = (int32_t)fx;
  int32_t n1 = n >> 1;
  int32_t n2 = n - n1;
  uint32_t b1 = (uint32_t)(n1 + 127) << 23;
  uint32_t b2 = (uint32_t)(n2 + 127) << 23;
  float s1, s2;
  std::memcpy(&s1, &b1, 4);
  std::memcpy(&s2, &b2, 4);
  y = (y * s1) * s2;
  return select_bits(nan_mask, x, y);
#endif
}

// exp in the compute type of the elementwise functors (float for 16-bit and 32-bit floats).
PE_HOST_DEVICE PE_ALWAYS_INLINE float exp(float x) { return exp_f32<false>(x); }
PE_HOST_DEVICE PE_ALWAYS_INLINE double exp(double x) { return std::exp(x); }

}  // namespace pe::math
