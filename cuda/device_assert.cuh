// The kernel half of Note [Device asserts] (cuda/device_assert.h).
#pragma once
#include "cuda/device_assert.h"

namespace pe::cuda {

// Records "index is out of bounds for dimension dim with size size" unless an earlier failure is
// already recorded. The caller then skips the access.
__device__ __forceinline__ void report_index_out_of_bounds(DeviceAssertSlot* slot, AssertKind kind, int64_t index,
                                                           int64_t size, int64_t dim) {
  if (atomicCAS(&slot->flag, 0u, 1u) == 0u) {
    slot->kind = static_cast<int32_t>(kind);
    slot->index = index;
    slot->size = size;
    slot->dim = dim;
  }
}

}  // namespace pe::cuda
