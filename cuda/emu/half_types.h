// The emulator's 16-bit float types for cuda_fp16.h (__half) and cuda_bf16.h (__nv_bfloat16): the
// same names, operators and intrinsics as the CUDA headers (the subset documented in
// docs/cuda-emulator.md), so a kernel written against them compiles in both builds. Each operation
// is done in float (double for fma) and rounded once to the 16-bit type, round to nearest even: float
// holds every sum, difference, product and quotient of two 16-bit values exactly enough that this
// single rounding is the correctly rounded result, which is what the GPU's instructions give.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "core/half.h"

namespace pe::emu {

// d rounded to float with round-to-odd, so that a second rounding to a 16-bit type is correct.
inline float double_to_float_odd(double d) {
  float f = (float)d;
  if (std::isnan(d) || std::isinf(f) || (double)f == d) return f;
  if (std::fabs((double)f) > std::fabs(d)) f = std::nextafter(f, 0.0f);  // truncate toward zero
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u |= 1u;  // sticky: inexact
  std::memcpy(&f, &u, 4);
  return f;
}

}  // namespace pe::emu

// PE_EMU_HALF_TYPE(T, T2, F2B, B2F): the struct T (bits in __x) and its pair T2, with F2B(float) ->
// bits and B2F(bits) -> float. PE_EMU_HALF_OPS(T, ...) adds the intrinsics overloaded on T.
#define PE_EMU_HALF_TYPE(T, T2, F2B, B2F)                                                               \
  struct __align__(2) T {                                                                              \
    unsigned short __x;                                                                                \
    T() = default;                                                                                     \
    T(float f) : __x(F2B(f)) {}                                                                        \
    T(double d) : __x(F2B(::pe::emu::double_to_float_odd(d))) {}                                       \
    T(int v) : T((double)v) {}                                                                         \
    T(unsigned v) : T((double)v) {}                                                                    \
    T(long long v) : T((double)v) {}                                                                   \
    T(unsigned long long v) : T((double)v) {}                                                          \
    T(short v) : T((float)v) {}                                                                        \
    T(unsigned short v) : T((float)v) {}                                                               \
    operator float() const { return B2F(__x); }                                                        \
    T& operator+=(T o) { return *this = T((float)*this + (float)o); }                                  \
    T& operator-=(T o) { return *this = T((float)*this - (float)o); }                                  \
    T& operator*=(T o) { return *this = T((float)*this * (float)o); }                                  \
    T& operator/=(T o) { return *this = T((float)*this / (float)o); }                                  \
  };                                                                                                   \
  inline T operator+(T a, T b) { return T((float)a + (float)b); }                                     \
  inline T operator-(T a, T b) { return T((float)a - (float)b); }                                      \
  inline T operator*(T a, T b) { return T((float)a * (float)b); }                                      \
  inline T operator/(T a, T b) { return T((float)a / (float)b); }                                      \
  inline T operator-(T a) {                                                                            \
    T r;                                                                                               \
    r.__x = (unsigned short)(a.__x ^ 0x8000u);                                                         \
    return r;                                                                                          \
  }                                                                                                    \
  inline T operator+(T a) { return a; }                                                                \
  inline bool operator==(T a, T b) { return (float)a == (float)b; }                                   \
  inline bool operator!=(T a, T b) { return (float)a != (float)b; }                                   \
  inline bool operator<(T a, T b) { return (float)a < (float)b; }                                     \
  inline bool operator<=(T a, T b) { return (float)a <= (float)b; }                                   \
  inline bool operator>(T a, T b) { return (float)a > (float)b; }                                     \
  inline bool operator>=(T a, T b) { return (float)a >= (float)b; }                                   \
  struct __align__(4) T2 {                                                                             \
    T x, y;                                                                                            \
    T2() = default;                                                                                    \
    T2(T a, T b) : x(a), y(b) {}                                                                       \
  };

#define PE_EMU_HALF_OPS(T, T2)                                                                         \
  inline T __hadd(T a, T b) { return a + b; }                                                          \
  inline T __hsub(T a, T b) { return a - b; }                                                          \
  inline T __hmul(T a, T b) { return a * b; }                                                          \
  inline T __hdiv(T a, T b) { return a / b; }                                                          \
  inline T __hadd_rn(T a, T b) { return a + b; }                                                       \
  inline T __hsub_rn(T a, T b) { return a - b; }                                                       \
  inline T __hmul_rn(T a, T b) { return a * b; }                                                       \
  inline T __hneg(T a) { return -a; }                                                                  \
  inline T __habs(T a) {                                                                               \
    T r;                                                                                               \
    r.__x = (unsigned short)(a.__x & 0x7fffu);                                                         \
    return r;                                                                                          \
  }                                                                                                    \
  inline T __hfma(T a, T b, T c) { return T(std::fma((double)(float)a, (double)(float)b, (double)(float)c)); } \
  inline T __hadd_sat(T a, T b) { return T(__saturatef((float)(a + b))); }                            \
  inline T __hmul_sat(T a, T b) { return T(__saturatef((float)(a * b))); }                            \
  inline bool __heq(T a, T b) { return a == b; }                                                       \
  inline bool __hne(T a, T b) { return !std::isnan((float)a) && !std::isnan((float)b) && a != b; }    \
  inline bool __hlt(T a, T b) { return a < b; }                                                        \
  inline bool __hle(T a, T b) { return a <= b; }                                                       \
  inline bool __hgt(T a, T b) { return a > b; }                                                        \
  inline bool __hge(T a, T b) { return a >= b; }                                                       \
  inline bool __hequ(T a, T b) { return !(a < b) && !(a > b); }                                        \
  inline bool __hneu(T a, T b) { return a != b; }                                                      \
  inline bool __hltu(T a, T b) { return !(a >= b); }                                                   \
  inline bool __hleu(T a, T b) { return !(a > b); }                                                    \
  inline bool __hgtu(T a, T b) { return !(a <= b); }                                                   \
  inline bool __hgeu(T a, T b) { return !(a < b); }                                                    \
  inline bool __hisnan(T a) { return std::isnan((float)a); }                                           \
  inline int __hisinf(T a) { return std::isinf((float)a) ? ((float)a < 0 ? -1 : 1) : 0; }              \
  /* max/min: the other operand when one is NaN (NaN when both are); _nan variants propagate NaN */   \
  inline T __hmax(T a, T b) { return __hisnan(a) ? b : __hisnan(b) ? a : (a > b ? a : b); }            \
  inline T __hmin(T a, T b) { return __hisnan(a) ? b : __hisnan(b) ? a : (a < b ? a : b); }            \
  inline T __hmax_nan(T a, T b) { return __hisnan(a) ? a : __hisnan(b) ? b : (a > b ? a : b); }        \
  inline T __hmin_nan(T a, T b) { return __hisnan(a) ? a : __hisnan(b) ? b : (a < b ? a : b); }        \
  inline T hsqrt(T a) { return T(std::sqrt((float)a)); }                                               \
  inline T hrsqrt(T a) { return T(1.0f / std::sqrt((float)a)); }                                       \
  inline T hrcp(T a) { return T(1.0f / (float)a); }                                                    \
  inline T hexp(T a) { return T(std::exp((float)a)); }                                                 \
  inline T hexp2(T a) { return T(std::exp2((float)a)); }                                               \
  inline T hexp10(T a) { return T(std::pow(10.0f, (float)a)); }                                        \
  inline T hlog(T a) { return T(std::log((float)a)); }                                                 \
  inline T hlog2(T a) { return T(std::log2((float)a)); }                                               \
  inline T hlog10(T a) { return T(std::log10((float)a)); }                                             \
  inline T hsin(T a) { return T(std::sin((float)a)); }                                                 \
  inline T hcos(T a) { return T(std::cos((float)a)); }                                                 \
  inline T htanh(T a) { return T(std::tanh((float)a)); }                                               \
  inline T hfloor(T a) { return T(std::floor((float)a)); }                                             \
  inline T hceil(T a) { return T(std::ceil((float)a)); }                                               \
  inline T htrunc(T a) { return T(std::trunc((float)a)); }                                             \
  inline T hrint(T a) { return T(std::nearbyint((float)a)); }                                          \
  inline T2 __hadd2(T2 a, T2 b) { return T2(a.x + b.x, a.y + b.y); }                                   \
  inline T2 __hsub2(T2 a, T2 b) { return T2(a.x - b.x, a.y - b.y); }                                   \
  inline T2 __hmul2(T2 a, T2 b) { return T2(a.x * b.x, a.y * b.y); }                                   \
  inline T2 __h2div(T2 a, T2 b) { return T2(a.x / b.x, a.y / b.y); }                                   \
  inline T2 __hneg2(T2 a) { return T2(-a.x, -a.y); }                                                   \
  inline T2 __hfma2(T2 a, T2 b, T2 c) { return T2(__hfma(a.x, b.x, c.x), __hfma(a.y, b.y, c.y)); }     \
  /* shuffles of a 16-bit value move its bits */                                                       \
  inline T __shfl_sync(unsigned mask, T var, int src, int width = warpSize) {                          \
    T r;                                                                                               \
    r.__x = __shfl_sync(mask, var.__x, src, width);                                                    \
    return r;                                                                                          \
  }                                                                                                    \
  inline T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {              \
    T r;                                                                                               \
    r.__x = __shfl_down_sync(mask, var.__x, delta, width);                                             \
    return r;                                                                                          \
  }                                                                                                    \
  inline T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {                \
    T r;                                                                                               \
    r.__x = __shfl_up_sync(mask, var.__x, delta, width);                                               \
    return r;                                                                                          \
  }                                                                                                    \
  inline T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = warpSize) {                \
    T r;                                                                                               \
    r.__x = __shfl_xor_sync(mask, var.__x, lane_mask, width);                                          \
    return r;                                                                                          \
  }
