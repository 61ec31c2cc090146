// The emulator's stand-in for <cuda_fp16.h> (docs/cuda-emulator.md): __half, __half2 and their
// conversion and arithmetic intrinsics, as the CUDA header names them (cuda/emu/half_types.h).
#pragma once
#include "cuda_runtime.h"
#include "half_types.h"

PE_EMU_HALF_TYPE(__half, __half2, ::pe::detail::float_to_half_bits, ::pe::detail::half_bits_to_float)
PE_EMU_HALF_OPS(__half, __half2)

struct __half_raw {
  unsigned short x;
};

inline __half __float2half(float f) { return __half(f); }
inline __half __float2half_rn(float f) { return __half(f); }
inline __half __double2half(double d) { return __half(d); }
inline float __half2float(__half h) { return (float)h; }
inline __half __int2half_rn(int v) { return __half(v); }
inline __half __uint2half_rn(unsigned v) { return __half(v); }
inline __half __ll2half_rn(long long v) { return __half(v); }
inline __half __short2half_rn(short v) { return __half(v); }
inline int __half2int_rz(__half h) { return (int)(float)h; }
inline int __half2int_rn(__half h) { return (int)std::nearbyint((float)h); }
inline unsigned __half2uint_rz(__half h) { return (unsigned)(float)h; }
inline long long __half2ll_rz(__half h) { return (long long)(float)h; }
inline short __half2short_rz(__half h) { return (short)(float)h; }
inline short __half_as_short(__half h) { return (short)h.__x; }
inline unsigned short __half_as_ushort(__half h) { return h.__x; }
inline __half __short_as_half(short v) {
  __half h;
  h.__x = (unsigned short)v;
  return h;
}
inline __half __ushort_as_half(unsigned short v) {
  __half h;
  h.__x = v;
  return h;
}
inline __half2 __halves2half2(__half a, __half b) { return __half2(a, b); }
inline __half2 __half2half2(__half a) { return __half2(a, a); }
inline __half2 __float2half2_rn(float f) { return __half2(__half(f), __half(f)); }
inline __half2 __floats2half2_rn(float a, float b) { return __half2(__half(a), __half(b)); }
inline __half __low2half(__half2 a) { return a.x; }
inline __half __high2half(__half2 a) { return a.y; }
inline float __low2float(__half2 a) { return (float)a.x; }
inline float __high2float(__half2 a) { return (float)a.y; }
