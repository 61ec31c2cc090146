// What the emulator's runtime (runtime.cpp) and its grid scheduler (launch.cpp) share.
#pragma once
#include <string>

#include "cuda_runtime.h"

namespace pe::emu {

// Makes `code` the calling thread's last error (as the real runtime does for a failing call) and
// keeps `message` for cudaGetErrorString(code). Returns code.
cudaError_t fail(cudaError_t code, const std::string& message);

int current_device_index();
int stream_device(cudaStream_t stream);  // the device of a stream (nullptr: the current device)
constexpr int kMaxStaticSmem = 48 * 1024;       // per block, as on every GPU since Kepler
constexpr int kMaxSmemPerBlockOptin = 227 * 1024;  // an H100's opt-in limit for dynamic + static

// Memcheck for a launch on `device`: every non-null pointer argument must point into a live
// allocation of that device (one past the end allowed). Returns cudaSuccess or the recorded error.
cudaError_t check_kernel_pointers(const void* const* pointers, int n, int device);
// After a kernel: the guard zones of the allocations its pointer arguments point into.
cudaError_t check_guards_of(const void* const* pointers, int n);

}  // namespace pe::emu
