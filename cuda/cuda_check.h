// PE_CUDA_CHECK turns a failed CUDA runtime call into a pe::Error (RuntimeError in Python) that names
// the call and the runtime's message, so a bad launch or a lost device never passes silently.
// Use it on every runtime call and, after every kernel launch, on cudaGetLastError().
#pragma once
#include <cuda_runtime.h>

#include "core/error.h"

#define PE_CUDA_CHECK(expr)                                                                     \
  do {                                                                                          \
    cudaError_t pe_cuda_err_ = (expr);                                                          \
    if (PE_UNLIKELY(pe_cuda_err_ != cudaSuccess)) {                                             \
      (void)cudaGetLastError(); /* clear a non-sticky error so it is reported only once */      \
      throw ::pe::Error(::pe::str("CUDA error: ", cudaGetErrorString(pe_cuda_err_), " (", #expr, \
                                  ") at ", __FILE__, ":", __LINE__));                           \
    }                                                                                           \
  } while (0)

// After a <<<...>>> launch: reports bad launch configurations right away.
#define PE_CUDA_CHECK_LAUNCH() PE_CUDA_CHECK(cudaGetLastError())
