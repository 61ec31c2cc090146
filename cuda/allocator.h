// The CUDA caching allocator: cudaMalloc is slow and synchronizes the device, so freed blocks are kept
// in per-device, size-rounded free lists and handed out again (Note [CUDA caching allocator] in
// allocator.cpp).
#pragma once
#include <cstddef>

#include "core/allocator.h"

namespace pe::cuda {

class CudaCachingAllocator final : public Allocator {
 public:
  // A block on the current device.
  DataPtr allocate(size_t nbytes) override;
  // A block on device `index` (the op layer can call this to honour a tensor's device index).
  DataPtr allocate_on(size_t nbytes, int index) override;
  // Frees the cached blocks of every device.
  void empty_cache() override;
  // Of the current device (the Allocator interface has no device argument).
  size_t memory_allocated() const override;
  size_t memory_reserved() const override;
};

// The process-wide instance (leaked on purpose: tensors freed during interpreter shutdown still
// return to it, and it never calls into a CUDA runtime that may already be torn down).
CudaCachingAllocator* cuda_allocator();

void empty_cache();                     // all devices
size_t memory_allocated(int index);     // bytes in live tensors on device `index` (-1: current)
size_t memory_reserved(int index);      // allocated + cached on device `index` (-1: current)

}  // namespace pe::cuda
