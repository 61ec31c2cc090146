// CUDA device management and byte copies: the runtime-API seam the rest of cuda/ and the hooks in
// ops/stubs.h go through. Nothing here may throw or abort when there is no driver or GPU:
// device_count() is then 0 and callers never get further.
#pragma once
#include <cstddef>

#include <cuda_runtime.h>

#include "core/device.h"

namespace pe::cuda {

int device_count();  // cudaGetDeviceCount, or 0 on any error (no driver, no GPU)
void set_device(int index);
int current_device();
void synchronize(int index);         // -1: the current device
const char* device_name(int index);  // cudaDeviceProp::name; the pointer stays valid forever

// The device index of a CUDA Device, resolving -1 to the current device.
int device_index(Device d);

// The stream every kernel and async copy of the current device goes to: pass it as launch_kernel's
// stream argument (never nullptr/0), so that torch.cuda.stream(s) redirects our work. The calling
// thread's current stream of the current device (Note [Current stream] in stream.cpp); defined in
// stream.cpp.
cudaStream_t current_stream();

// Makes `index` the current device for a scope and restores the previous one (a no-op when
// index < 0 or it is already current). Kernels run on the current device, so every entry point that
// touches a tensor's memory guards its device first.
class DeviceGuard {
 public:
  explicit DeviceGuard(int index);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int prev_ = -1;
};

// Copies nbytes between host and device or between devices (the function behind
// pe::set_cuda_copy_bytes). Returns once the destination is readable by later work: a copy to the
// host is complete; a copy to a device is ordered before later work on that device.
void copy_bytes(void* dst, Device dst_dev, const void* src, Device src_dev, size_t nbytes);

}  // namespace pe::cuda
