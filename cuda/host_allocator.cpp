// Pinned host memory (see host_allocator.h).
#include "cuda/host_allocator.h"

#include "cuda/cuda_check.h"
#include "cuda/device.h"

namespace pe::cuda {
namespace {

void free_pinned(void*, void* ptr) {
  if (ptr) (void)cudaFreeHost(ptr);  // deleters must not throw
}

class PinnedHostAllocator final : public Allocator {
 public:
  DataPtr allocate(size_t nbytes) override {
    PE_CHECK(device_count() > 0, "Cannot access accelerator device when none is available.");
    void* p = nullptr;
    if (nbytes > 0) {
      cudaError_t err = cudaMallocHost(&p, nbytes);
      if (err == cudaErrorMemoryAllocation) {
        (void)cudaGetLastError();
        throw Error(str("pin_memory: cannot allocate ", nbytes, " bytes of pinned host memory"));
      }
      PE_CUDA_CHECK(err);
    }
    return DataPtr(p, nullptr, &free_pinned, Device(DeviceType::CPU));
  }
};

}  // namespace

Allocator* pinned_host_allocator() {
  static auto* a = new PinnedHostAllocator();  // leaked: pinned tensors may die during shutdown
  return a;
}

bool is_pinned(const void* p) {
  if (!p || device_count() == 0) return false;
  cudaPointerAttributes attr;
  if (cudaPointerGetAttributes(&attr, p) != cudaSuccess) {
    (void)cudaGetLastError();  // a plain host pointer on an old runtime
    return false;
  }
  return attr.type == cudaMemoryTypeHost;
}

}  // namespace pe::cuda
