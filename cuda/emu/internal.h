// What the emulator's runtime (runtime.cpp) and its grid scheduler (launch.cpp) share.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include "cuda_runtime.h"

namespace pe::emu {

// Makes `code` the calling thread's last error (as the real runtime does for a failing call) and
// keeps `message` for cudaGetErrorString(code). Returns code.
cudaError_t fail(cudaError_t code, const std::string& message);

int current_device_index();
int stream_device(cudaStream_t stream);
// Work that took `took` of host time ran on `stream` (Note [Emulator streams]): advances its ready time.
void note_work(cudaStream_t stream, std::chrono::nanoseconds took);  // the device of a stream (nullptr: the current device)
constexpr int kMaxStaticSmem = 48 * 1024;       // per block, as on every GPU since Kepler
constexpr int kMaxSmemPerBlockOptin = 227 * 1024;  // an H100's opt-in limit for dynamic + static

// Memcheck for a launch on `device`: every non-null pointer argument must point into a live
// allocation of that device (one past the end allowed). Returns cudaSuccess or the recorded error.
cudaError_t check_kernel_pointers(const void* const* pointers, int n, int device);
// After a kernel: the guard zones of the allocations its pointer arguments point into.
cudaError_t check_guards_of(const void* const* pointers, int n);

// Note [Emulator guard pages] (memcheck.cpp): the inaccessible pages around device allocations.
bool add_guard_page(void* page);  // false: the table is full (the allocation keeps byte guards only)
void remove_guard_page(void* page);
// Around a kernel run on this host thread: a fault on a guard page is noted, not fatal.
void begin_kernel_memcheck();
uintptr_t end_kernel_memcheck();  // the first faulting address of the run, or 0
// The launch error for an access at `addr` (a guard page of some allocation), as memcheck words it.
cudaError_t report_fault(uintptr_t addr);

}  // namespace pe::emu
