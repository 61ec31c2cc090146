// The CUDA kernel language for the emulated build (docs/cuda-emulator.md), included by the emulator's
// cuda_runtime.h. Kernels are plain C++ functions; pe::emu::launch runs each block's threads as
// cooperative fibers on the calling host thread (cuda/emu/launch.cpp), so __syncthreads() and the
// warp intrinsics are real meeting points. The built-in indices are host-thread-local variables that
// the scheduler sets before resuming a fiber; `__shared__` is `thread_local` (a block-scope
// thread_local is static: one copy per host thread, which runs one block at a time).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __launch_bounds__(...)
#define __align__(n) alignas(n)
#define __shared__ thread_local
#define __constant__
#define __CUDA_EMULATED__ 1

// No initial-exec TLS model anywhere in the emulator: it would mark the module as needing static TLS,
// and the `__shared__` arrays of every kernel (thread_local too) would not fit there at dlopen.
#define PE_EMU_BUILTIN_TLS
extern thread_local uint3 threadIdx PE_EMU_BUILTIN_TLS;
extern thread_local uint3 blockIdx PE_EMU_BUILTIN_TLS;
extern thread_local dim3 blockDim PE_EMU_BUILTIN_TLS;
extern thread_local dim3 gridDim PE_EMU_BUILTIN_TLS;
constexpr int warpSize = 32;

namespace pe::emu {

// The scheduler's side of the meeting points (launch.cpp).
void sync_block();  // __syncthreads
enum class WarpOp : int { ShflIdx, ShflUp, ShflDown, ShflXor, Ballot, Any, All, Sync };
// Every lane named in `mask` calls this with the same op; returns this lane's result.
uint64_t warp_op(WarpOp op, unsigned mask, uint64_t value, int arg, int width);
unsigned active_mask();
void* dynamic_smem();  // this block's dynamic shared memory

// Launch bookkeeping (runtime.cpp / launch.cpp).
struct LaunchConfig {
  dim3 grid, block;
  size_t smem;
  cudaStream_t stream;
  const void* kernel;
  const void* const* pointers;  // the kernel's pointer arguments, checked against device memory
  int npointers;
};
void run_grid(const LaunchConfig& cfg, void (*thread_body)(void*), void* ctx);
cudaError_t set_max_dynamic_smem(const void* kernel, cudaFuncAttribute attr, int value);

template <class T>
void collect_pointer(const T& v, const void** out, int& n) {
  if constexpr (std::is_pointer_v<T>) out[n++] = static_cast<const void*>(v);
}

// kernel<<<grid, block, smem, stream>>>(args...): the arguments are converted to the kernel's
// parameter types once, and every thread calls the kernel with its own copy, as on a GPU.
template <class... KArgs, class... Args>
void launch(void (*kernel)(KArgs...), dim3 grid, dim3 block, size_t smem, cudaStream_t stream, Args&&... args) {
  static_assert(sizeof...(KArgs) == sizeof...(Args), "kernel launched with the wrong number of arguments");
  using Tuple = std::tuple<std::decay_t<KArgs>...>;
  struct Ctx {
    void (*kernel)(KArgs...);
    Tuple args;
  };
  Ctx ctx{kernel, Tuple(static_cast<std::decay_t<KArgs>>(std::forward<Args>(args))...)};
  const void* pointers[sizeof...(KArgs) + 1];
  int npointers = 0;
  std::apply([&](const auto&... a) { (collect_pointer(a, pointers, npointers), ...); }, ctx.args);
  run_grid(LaunchConfig{grid, block, smem, stream, reinterpret_cast<const void*>(kernel), pointers, npointers},
           [](void* c) {
             Ctx* x = static_cast<Ctx*>(c);
             std::apply(x->kernel, x->args);
           },
           &ctx);
}

template <class T>
uint64_t to_bits(T v) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>, "warp shuffles move at most 8 bytes");
  uint64_t b = 0;
  std::memcpy(&b, &v, sizeof(T));
  return b;
}
template <class T>
T from_bits(uint64_t b) {
  T v;
  std::memcpy(&v, &b, sizeof(T));
  return v;
}

}  // namespace pe::emu

// ---- synchronization ----
inline void __syncthreads() { ::pe::emu::sync_block(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { ::pe::emu::warp_op(::pe::emu::WarpOp::Sync, mask, 0, 0, 32); }
inline void __threadfence() {}
inline void __threadfence_block() {}
inline unsigned __activemask() { return ::pe::emu::active_mask(); }

// ---- warp intrinsics ----
template <class T>
T __shfl_sync(unsigned mask, T var, int src_lane, int width = warpSize) {
  using namespace ::pe::emu;
  return from_bits<T>(warp_op(WarpOp::ShflIdx, mask, to_bits(var), src_lane, width));
}
template <class T>
T __shfl_up_sync(unsigned mask, T var, unsigned int delta, int width = warpSize) {
  using namespace ::pe::emu;
  return from_bits<T>(warp_op(WarpOp::ShflUp, mask, to_bits(var), (int)delta, width));
}
template <class T>
T __shfl_down_sync(unsigned mask, T var, unsigned int delta, int width = warpSize) {
  using namespace ::pe::emu;
  return from_bits<T>(warp_op(WarpOp::ShflDown, mask, to_bits(var), (int)delta, width));
}
template <class T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = warpSize) {
  using namespace ::pe::emu;
  return from_bits<T>(warp_op(WarpOp::ShflXor, mask, to_bits(var), lane_mask, width));
}
inline unsigned __ballot_sync(unsigned mask, int pred) {
  return (unsigned)::pe::emu::warp_op(::pe::emu::WarpOp::Ballot, mask, pred != 0, 0, 32);
}
inline int __any_sync(unsigned mask, int pred) {
  return (int)::pe::emu::warp_op(::pe::emu::WarpOp::Any, mask, pred != 0, 0, 32);
}
inline int __all_sync(unsigned mask, int pred) {
  return (int)::pe::emu::warp_op(::pe::emu::WarpOp::All, mask, pred != 0, 0, 32);
}

// ---- atomics: host atomics, so they stay right if blocks ever run on several host threads ----
namespace pe::emu {
template <class T, class F>
T atomic_update(T* p, F f) {  // compare-and-swap loop for the read-modify-writes without a builtin
  T old = __atomic_load_n(p, __ATOMIC_RELAXED);
  while (!__atomic_compare_exchange_n(p, &old, f(old), true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
  return old;
}
template <class F, class U>
F atomic_update_float(F* p, U f) {
  using Bits = std::conditional_t<sizeof(F) == 4, uint32_t, uint64_t>;
  Bits* q = reinterpret_cast<Bits*>(p);
  return from_bits<F>(atomic_update(q, [&](Bits b) { return (Bits)to_bits(f(from_bits<F>(b))); }));
}
}  // namespace pe::emu

#define PE_EMU_INT_ATOMICS(T)                                                                                \
  inline T atomicAdd(T* p, T v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }                    \
  inline T atomicSub(T* p, T v) { return __atomic_fetch_sub(p, v, __ATOMIC_RELAXED); }                    \
  inline T atomicExch(T* p, T v) { return __atomic_exchange_n(p, v, __ATOMIC_RELAXED); }                  \
  inline T atomicMax(T* p, T v) { return ::pe::emu::atomic_update(p, [v](T o) { return o < v ? v : o; }); } \
  inline T atomicMin(T* p, T v) { return ::pe::emu::atomic_update(p, [v](T o) { return v < o ? v : o; }); } \
  inline T atomicAnd(T* p, T v) { return __atomic_fetch_and(p, v, __ATOMIC_RELAXED); }                    \
  inline T atomicOr(T* p, T v) { return __atomic_fetch_or(p, v, __ATOMIC_RELAXED); }                      \
  inline T atomicCAS(T* p, T compare, T v) {                                                              \
    __atomic_compare_exchange_n(p, &compare, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);               \
    return compare;                                                                                       \
  }
PE_EMU_INT_ATOMICS(int)
PE_EMU_INT_ATOMICS(unsigned int)
PE_EMU_INT_ATOMICS(unsigned long long)
#undef PE_EMU_INT_ATOMICS
inline long long atomicMax(long long* p, long long v) {
  return ::pe::emu::atomic_update(p, [v](long long o) { return o < v ? v : o; });
}
inline long long atomicMin(long long* p, long long v) {
  return ::pe::emu::atomic_update(p, [v](long long o) { return v < o ? v : o; });
}
inline float atomicAdd(float* p, float v) { return ::pe::emu::atomic_update_float(p, [v](float o) { return o + v; }); }
inline double atomicAdd(double* p, double v) {
  return ::pe::emu::atomic_update_float(p, [v](double o) { return o + v; });
}
inline float atomicExch(float* p, float v) {
  return ::pe::emu::from_bits<float>(atomicExch(reinterpret_cast<unsigned*>(p), (unsigned)::pe::emu::to_bits(v)));
}
inline unsigned short atomicCAS(unsigned short* p, unsigned short compare, unsigned short v) {
  __atomic_compare_exchange_n(p, &compare, v, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  return compare;
}

// ---- bit and conversion intrinsics ----
inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((unsigned long long)a * b) >> 32); }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned)x); }
inline int __clzll(long long x) { return x == 0 ? 64 : __builtin_clzll((unsigned long long)x); }
inline unsigned __brev(unsigned x) {
  x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
  x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
  x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
  x = ((x >> 8) & 0x00ff00ffu) | ((x & 0x00ff00ffu) << 8);
  return (x >> 16) | (x << 16);
}
inline float __int_as_float(int x) { return ::pe::emu::from_bits<float>((uint32_t)x); }
inline int __float_as_int(float x) { return (int)::pe::emu::to_bits(x); }
inline float __uint_as_float(unsigned x) { return ::pe::emu::from_bits<float>(x); }
inline unsigned __float_as_uint(float x) { return (unsigned)::pe::emu::to_bits(x); }
inline double __longlong_as_double(long long x) { return ::pe::emu::from_bits<double>((uint64_t)x); }
inline long long __double_as_longlong(double x) { return (long long)::pe::emu::to_bits(x); }
template <class T>
T __ldg(const T* p) {
  return *p;
}

// ---- math: the round-to-nearest intrinsics are the plain operations (the build uses
// -ffp-contract=off, so nothing fuses); the fast approximations are the accurate functions ----
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __fma_rn(double a, double b, double c) { return std::fma(a, b, c); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __frcp_rn(float a) { return 1.0f / a; }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __sinf(float x) { return std::sin(x); }
inline float __cosf(float x) { return std::cos(x); }
inline float __tanf(float x) { return std::tan(x); }
inline float __powf(float a, float b) { return std::pow(a, b); }
inline float __saturatef(float x) { return x != x ? 0.0f : x < 0.0f ? 0.0f : x > 1.0f ? 1.0f : x; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
inline float normcdff(float x) { return 0.5f * std::erfc(-x * 0.70710678118654752f); }
inline double normcdf(double x) { return 0.5 * std::erfc(-x * 0.70710678118654752); }
inline int __float2int_rn(float x) { return (int)std::nearbyint(x); }
inline int __float2int_rz(float x) { return (int)x; }
