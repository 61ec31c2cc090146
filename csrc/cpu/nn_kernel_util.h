// Shared pieces of the CPU nn kernels: the float32/float64-only dispatch (the nn ops refuse other
// dtypes in the op layer, so instantiating half/bfloat16 loops would only cost compile time) and
// the per-thread grain computation.
#pragma once
#include <algorithm>

#include "core/dtype.h"
#include "core/error.h"
#include "cpu/parallel.h"

#define PE_DISPATCH_NN_FLOAT(DT, NAME, ...)                                                      \
  [&] {                                                                                          \
    switch (DT) {                                                                                \
      PE_PRIVATE_CASE(Float32, float, __VA_ARGS__)                                               \
      PE_PRIVATE_CASE(Float64, double, __VA_ARGS__)                                              \
      default: break;                                                                            \
    }                                                                                            \
    throw ::pe::NotImplementedError(::pe::str("\"", NAME, "\" not implemented for '", ::pe::dtype_name(DT), "'")); \
  }()

namespace pe::cpu {

// Items per thread chunk so that a chunk holds about kGrainSize elements of work.
inline int64_t nn_grain(int64_t work_per_item) {
  return std::max<int64_t>(1, kGrainSize / std::max<int64_t>(1, work_per_item));
}

}  // namespace pe::cpu
