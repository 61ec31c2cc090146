// The CUDA caching allocator: cudaMalloc is slow and synchronizes the device, so freed blocks are kept
// in per-device, per-stream, size-rounded free lists and handed out again (Note [CUDA caching
// allocator] in allocator.cpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include <cuda_runtime.h>

#include "core/allocator.h"
#include "core/error.h"

namespace pe::cuda {

// An allocation the device cannot hold even after the cache was emptied (torch.cuda.OutOfMemoryError,
// a RuntimeError).
class OutOfMemoryError : public Error {
 public:
  using Error::Error;
};

class CudaCachingAllocator final : public Allocator {
 public:
  // A block on the current device, for its current stream.
  DataPtr allocate(size_t nbytes) override;
  // A block on device `index` (-1: the current one), for that device's current stream.
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

void empty_cache();                     // all devices: waits for blocks other streams still use
size_t memory_allocated(int index);     // bytes in live blocks on device `index` (-1: current)
size_t memory_reserved(int index);      // allocated + cached on device `index` (-1: current)

// The block holding `ptr` (a pointer this allocator returned) is used by work on `stream` too: when
// freed, it is not reused before that work is done (Tensor.record_stream). A no-op for its own stream.
void record_stream(const void* ptr, cudaStream_t stream);

// torch.cuda.memory_stats(index): flat names as PyTorch's ("allocated_bytes.all.current", ...).
std::map<std::string, int64_t> memory_stats(int index);
void reset_peak_stats(int index);
void reset_accumulated_stats(int index);

}  // namespace pe::cuda
