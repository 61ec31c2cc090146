// CUDA device management and byte copies (see device.h). Copies go to the current stream of their
// device (Note [Current stream] in stream.cpp), in order with the kernels there.
#include "cuda/device.h"

#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "cuda/counters.h"
#include "cuda/cuda_check.h"
#include "cuda/device_assert.h"

namespace pe::cuda {

int device_count() {
  // Cached: without a driver every call would retry the driver initialization.
  static const int count = [] {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
      (void)cudaGetLastError();
      return 0;
    }
    return n;
  }();
  return count;
}

void set_device(int index) {
  PE_CHECK(index >= 0 && index < device_count(), "CUDA error: invalid device ordinal ", index,
           " (", device_count(), " devices)");
  PE_CUDA_CHECK(cudaSetDevice(index));
}

int current_device() {
  int d = 0;
  PE_CUDA_CHECK(cudaGetDevice(&d));
  return d;
}

void synchronize(int index) {
  PE_CHECK(device_count() > 0, "No CUDA GPUs are available");
  DeviceGuard guard(index);
  count_host_sync();
  PE_CUDA_CHECK(cudaDeviceSynchronize());
  check_device_asserts(-1);  // a synchronization point (Note [Device asserts])
}

const char* device_name(int index) {
  static std::mutex mu;
  static std::vector<std::string> names;  // filled once; never shrinks, so c_str() stays valid
  std::lock_guard<std::mutex> g(mu);
  if (names.empty()) {
    int n = device_count();
    names.reserve(n);
    for (int i = 0; i < n; ++i) {
      cudaDeviceProp prop;
      PE_CUDA_CHECK(cudaGetDeviceProperties(&prop, i));
      names.emplace_back(prop.name);
    }
  }
  PE_CHECK(index >= 0 && index < (int)names.size(), "CUDA error: invalid device ordinal ", index);
  return names[index].c_str();
}

int device_index(Device d) { return d.index >= 0 ? d.index : current_device(); }

DeviceGuard::DeviceGuard(int index) {
  if (index < 0) return;
  int cur = current_device();
  if (cur == index) return;
  PE_CUDA_CHECK(cudaSetDevice(index));
  prev_ = cur;
}

DeviceGuard::~DeviceGuard() {
  if (prev_ >= 0) (void)cudaSetDevice(prev_);  // destructors must not throw
}

void copy_bytes(void* dst, Device dst_dev, const void* src, Device src_dev, size_t nbytes) {
  if (nbytes == 0) return;
  if (dst_dev.is_cpu() && src_dev.is_cpu()) {
    std::memcpy(dst, src, nbytes);
  } else if (dst_dev.is_cpu()) {
    // On the current stream of the source's device, then waited for: the host sees the bytes.
    DeviceGuard guard(device_index(src_dev));
    cudaStream_t s = current_stream();
    count_host_sync();  // Note [Runtime counters]
    PE_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToHost, s));
    PE_CUDA_CHECK(cudaStreamSynchronize(s));
    check_device_asserts(-1);  // a synchronization point (Note [Device asserts])
  } else if (src_dev.is_cpu()) {
    // Ordered on the current stream; returns once the host buffer has been read or staged (pageable
    // memory), so the caller may free it. Pinned memory the caller keeps alive (Tensor keeps it).
    DeviceGuard guard(device_index(dst_dev));
    PE_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyHostToDevice, current_stream()));
  } else {
    int di = device_index(dst_dev), si = device_index(src_dev);
    DeviceGuard guard(di);
    if (di == si) {
      PE_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToDevice, current_stream()));
    } else {
      // Serialized with pending and later work on both devices.
      PE_CUDA_CHECK(cudaMemcpyPeer(dst, di, src, si, nbytes));
    }
  }
}

}  // namespace pe::cuda
