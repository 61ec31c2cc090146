// The one entry point of the CUDA part: the Python module (and the C++ tests) call register_cuda()
// once at start-up, when built with PE_WITH_CUDA. Explicit rather than static-initialization
// registration so the order against the core's own static tables never matters.
#pragma once

namespace pe::cuda {

// Installs the CUDA kernels in the stubs, the CUDA allocator, the byte-copy seam and cuda_hooks().
// Idempotent, and safe without a driver or GPU (cuda_device_count() is then 0).
void register_cuda();

}  // namespace pe::cuda
