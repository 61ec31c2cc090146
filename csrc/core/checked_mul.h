// Overflow-checked size arithmetic. Every product of sizes (and of sizes and strides) that user
// input can make large goes through checked_mul or checked_numel (core/shape.h): a wrapped product
// would give a tensor whose numel() lies about the extent the kernels walk (issue 19).
#pragma once
#include <cstdint>

#include "core/error.h"

namespace pe {

// a * b, or RuntimeError `what` when the product does not fit in int64.
inline int64_t checked_mul(int64_t a, int64_t b, const char* what = "numel: integer multiplication overflow") {
  int64_t r;
  PE_CHECK(!__builtin_mul_overflow(a, b, &r), what);
  return r;
}

}  // namespace pe
