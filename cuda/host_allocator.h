// Pinned (page-locked) host memory for fast and asynchronous copies to and from the GPU:
// Tensor.pin_memory(), torch.empty(..., pin_memory=True), DataLoader(pin_memory=True).
#pragma once
#include "core/allocator.h"

namespace pe::cuda {

// CPU memory from cudaMallocHost (Device cpu). Freed with cudaFreeHost, which waits for the device,
// so an async copy still reading a block never sees it reused.
Allocator* pinned_host_allocator();

// Whether p points into pinned memory of ours (any byte of a block, so views count).
bool is_pinned(const void* p);

}  // namespace pe::cuda
