// Shared pieces of the CUDA nn kernels (nn_*.cu): the float32/float64 dispatch (the op layer hands
// the nn kernels no other dtype), a grid-stride index loop, block-wide sum/max reductions (a fixed
// tree: the same bits on every run) and the device-side check whose result the host reads back.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "core/tensor.h"
#include "cuda/device.h"
#include "cuda/launch.cuh"

#define PE_CUDA_DISPATCH_NN_FLOAT(DT, NAME, ...)                                                  \
  [&] {                                                                                           \
    switch (DT) {                                                                                 \
      PE_PRIVATE_CASE(Float32, float, __VA_ARGS__)                                                \
      PE_PRIVATE_CASE(Float64, double, __VA_ARGS__)                                               \
      default: break;                                                                             \
    }                                                                                             \
    throw ::pe::NotImplementedError(::pe::str("\"", NAME, "\" not implemented for '", ::pe::dtype_name(DT), "'")); \
  }()

namespace pe::cuda {

constexpr int kNnBlock = 256;  // threads of the block-per-row kernels (a multiple of 32)

inline unsigned nn_grid(int64_t n, int block = kNnBlock) {
  return (unsigned)std::max<int64_t>(1, std::min<int64_t>((n + block - 1) / block, int64_t(1) << 16));
}

#define PE_CUDA_GRID_LOOP(i, n) \
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

template <class T>
const T* opt_ptr(const Tensor& t) {
  return t.defined() ? static_cast<const T*>(t.raw_data()) : nullptr;
}
template <class T>
T* opt_mut(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.raw_data()) : nullptr;
}

// min / max / -infinity for device code: std::min, std::max and std::numeric_limits are constexpr host
// functions that nvcc does not call from a kernel without --expt-relaxed-constexpr. NaN passes as
// through std::min/std::max (a NaN first argument is returned).
template <class T>
__device__ __forceinline__ T dmin(T a, T b) {
  return b < a ? b : a;
}
template <class T>
__device__ __forceinline__ T dmax(T a, T b) {
  return a < b ? b : a;
}
// -inf for floats, the lowest value for integers.
template <class T>
__device__ __forceinline__ T lowest_value() {
  if constexpr (std::is_floating_point_v<T>) return T(-INFINITY);
  else if constexpr (std::is_signed_v<T>) return T(-(int64_t)((uint64_t(1) << (sizeof(T) * 8 - 1)) - 1) - 1);
  else return T(0);
}

struct SumOf {
  template <class T>
  __device__ T operator()(T a, T b) const { return a + b; }
};
struct MaxOf {  // NaN wins, as the CPU kernels' max
  template <class T>
  __device__ T operator()(T a, T b) const { return a != a ? a : b != b ? b : b > a ? b : a; }
};

// f-reduction of every thread's v over the block (blockDim.x a multiple of 32, at most 1024), returned
// to every thread. smem: 32 elements of this block's shared memory. Every thread must call it.
template <class T, class F>
__device__ T block_reduce(T v, T* smem, F f) {
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, nwarps = blockDim.x / 32;
  for (int o = 16; o > 0; o /= 2) v = f(v, __shfl_down_sync(0xffffffffu, v, o));
  if (lane == 0) smem[warp] = v;
  __syncthreads();
  if (warp == 0) {
    T r = smem[lane < nwarps ? lane : 0];
    for (int o = 16; o > 0; o /= 2) {
      const T other = __shfl_down_sync(0xffffffffu, r, o);
      if (lane + o < nwarps) r = f(r, other);
    }
    if (lane == 0) smem[0] = r;
  }
  __syncthreads();
  const T r = smem[0];
  __syncthreads();  // smem is free for the next call
  return r;
}

}  // namespace pe::cuda
