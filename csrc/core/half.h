// 16-bit floating types stored as raw bits, converted through float. The same structs are used by
// the CPU loops and the CUDA kernels (PE_HOST_DEVICE), so both devices round identically.
#pragma once
#include <cstdint>
#include <cstring>

#include "macros.h"

namespace pe {

namespace detail {
PE_HOST_DEVICE inline uint32_t f32_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
#endif
}
PE_HOST_DEVICE inline float f32_from_bits(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, 4);
  return f;
#endif
}

// IEEE binary16 <-> binary32, round to nearest even, with subnormals, inf and nan.
PE_HOST_DEVICE inline float half_bits_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t man = h & 0x3ff;
  if (exp == 0) {
    if (man == 0) return f32_from_bits(sign);
    // subnormal: value = man * 2^-24
    float v = (float)man * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  if (exp == 31) return f32_from_bits(sign | 0x7f800000u | (man << 13));
  return f32_from_bits(sign | ((exp + 112) << 23) | (man << 13));
}

PE_HOST_DEVICE inline uint16_t float_to_half_bits(float f) {
  uint32_t x = f32_bits(f);
  uint32_t sign = (x >> 16) & 0x8000;
  uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) {  // inf or nan
    return (uint16_t)(sign | 0x7c00 | (absx > 0x7f800000u ? 0x200 : 0));
  }
  if (absx >= 0x477ff000u) return (uint16_t)(sign | 0x7c00);  // rounds to inf
  if (absx < 0x38800000u) {  // below the smallest normal half: subnormal or zero
    // Add a magic number so the FPU does the rounding of the shifted mantissa.
    float a = f32_from_bits(absx) + 0.5f;
    return (uint16_t)(sign | (uint16_t)(f32_bits(a) - f32_bits(0.5f)));
  }
  uint32_t mant_odd = (absx >> 13) & 1;
  absx += 0xc8000fffu + mant_odd;  // rebias exponent (-112 << 23) and round to nearest even
  return (uint16_t)(sign | (absx >> 13));
}

PE_HOST_DEVICE inline uint16_t float_to_bf16_bits(float f) {
  uint32_t x = f32_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40);  // quiet nan
  uint32_t rounding = ((x >> 16) & 1) + 0x7fffu;
  return (uint16_t)((x + rounding) >> 16);
}
}  // namespace detail

struct alignas(2) Half {
  uint16_t x;
  Half() = default;
  struct from_bits_t {};
  PE_HOST_DEVICE constexpr Half(uint16_t bits, from_bits_t) : x(bits) {}
  PE_HOST_DEVICE Half(float f) : x(detail::float_to_half_bits(f)) {}
  PE_HOST_DEVICE operator float() const { return detail::half_bits_to_float(x); }
};

struct alignas(2) BFloat16 {
  uint16_t x;
  BFloat16() = default;
  struct from_bits_t {};
  PE_HOST_DEVICE constexpr BFloat16(uint16_t bits, from_bits_t) : x(bits) {}
  PE_HOST_DEVICE BFloat16(float f) : x(detail::float_to_bf16_bits(f)) {}
  PE_HOST_DEVICE operator float() const { return detail::f32_from_bits((uint32_t)x << 16); }
};

}  // namespace pe
