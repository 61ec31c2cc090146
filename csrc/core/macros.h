// Portability macros shared by the C++ core and the CUDA kernels.
#pragma once

#if defined(__CUDACC__)
#define PE_HOST_DEVICE __host__ __device__
#define PE_DEVICE_INLINE __device__ __forceinline__
#else
#define PE_HOST_DEVICE
#endif

#define PE_ALWAYS_INLINE inline __attribute__((always_inline))
#define PE_LIKELY(x) __builtin_expect(!!(x), 1)
#define PE_UNLIKELY(x) __builtin_expect(!!(x), 0)
