// The emulator's stand-in for <cuda_bf16.h> (docs/cuda-emulator.md): __nv_bfloat16, __nv_bfloat162
// and their conversion and arithmetic intrinsics, as the CUDA header names them
// (cuda/emu/half_types.h).
#pragma once
#include "cuda_runtime.h"
#include "half_types.h"

namespace pe::emu {
inline float bf16_bits_to_float(uint16_t b) { return ::pe::detail::f32_from_bits((uint32_t)b << 16); }
}  // namespace pe::emu

PE_EMU_HALF_TYPE(__nv_bfloat16, __nv_bfloat162, ::pe::detail::float_to_bf16_bits, ::pe::emu::bf16_bits_to_float)
PE_EMU_HALF_OPS(__nv_bfloat16, __nv_bfloat162)

struct __nv_bfloat16_raw {
  unsigned short x;
};

inline __nv_bfloat16 __float2bfloat16(float f) { return __nv_bfloat16(f); }
inline __nv_bfloat16 __float2bfloat16_rn(float f) { return __nv_bfloat16(f); }
inline __nv_bfloat16 __double2bfloat16(double d) { return __nv_bfloat16(d); }
inline float __bfloat162float(__nv_bfloat16 h) { return (float)h; }
inline __nv_bfloat16 __int2bfloat16_rn(int v) { return __nv_bfloat16(v); }
inline __nv_bfloat16 __uint2bfloat16_rn(unsigned v) { return __nv_bfloat16(v); }
inline __nv_bfloat16 __ll2bfloat16_rn(long long v) { return __nv_bfloat16(v); }
inline int __bfloat162int_rz(__nv_bfloat16 h) { return (int)(float)h; }
inline int __bfloat162int_rn(__nv_bfloat16 h) { return (int)std::nearbyint((float)h); }
inline long long __bfloat162ll_rz(__nv_bfloat16 h) { return (long long)(float)h; }
inline short __bfloat16_as_short(__nv_bfloat16 h) { return (short)h.__x; }
inline unsigned short __bfloat16_as_ushort(__nv_bfloat16 h) { return h.__x; }
inline __nv_bfloat16 __short_as_bfloat16(short v) {
  __nv_bfloat16 h;
  h.__x = (unsigned short)v;
  return h;
}
inline __nv_bfloat16 __ushort_as_bfloat16(unsigned short v) {
  __nv_bfloat16 h;
  h.__x = v;
  return h;
}
inline __nv_bfloat162 __halves2bfloat162(__nv_bfloat16 a, __nv_bfloat16 b) { return __nv_bfloat162(a, b); }
inline __nv_bfloat162 __bfloat162bfloat162(__nv_bfloat16 a) { return __nv_bfloat162(a, a); }
inline __nv_bfloat162 __float2bfloat162_rn(float f) { return __nv_bfloat162(__nv_bfloat16(f), __nv_bfloat16(f)); }
inline __nv_bfloat162 __floats2bfloat162_rn(float a, float b) {
  return __nv_bfloat162(__nv_bfloat16(a), __nv_bfloat16(b));
}
inline __nv_bfloat16 __low2bfloat16(__nv_bfloat162 a) { return a.x; }
inline __nv_bfloat16 __high2bfloat16(__nv_bfloat162 a) { return a.y; }
inline float __low2float(__nv_bfloat162 a) { return (float)a.x; }
inline float __high2float(__nv_bfloat162 a) { return (float)a.y; }
