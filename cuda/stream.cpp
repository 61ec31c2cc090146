// Streams and events (see stream.h).
//
// Note [Current stream]
// As PyTorch, each host thread has a current stream per device, the legacy default stream until
// torch.cuda.set_stream / `with torch.cuda.stream(s)` changes it. current_stream() (device.h) is the
// current stream of the current device: ops guard their tensor's device first (DeviceGuard), so a
// launch with current_stream() goes to the stream the user chose for that device. Work on the legacy
// default stream is ordered with work on every other (blocking) stream of its device, which is what
// code that never names a stream expects.
#include "cuda/stream.h"
#include "cuda/device_assert.h"

#include "cuda/counters.h"
#include "cuda/cuda_check.h"
#include "cuda/device.h"

namespace pe::cuda {
namespace {

constexpr int kMaxDevices = 128;  // Device::index is an int8_t
thread_local cudaStream_t current_streams[kMaxDevices] = {};

int resolve(int device) {
  if (device < 0) device = current_device();
  PE_CHECK(device < device_count(), "CUDA error: invalid device ordinal ", device);
  return device;
}

}  // namespace

cudaStream_t current_stream() { return current_streams[current_device()]; }
cudaStream_t current_stream(int device) { return current_streams[resolve(device)]; }
void set_current_stream(int device, cudaStream_t stream) { current_streams[resolve(device)] = stream; }

cudaStream_t create_stream(int device, int priority) {
  DeviceGuard guard(resolve(device));
  cudaStream_t s = nullptr;
  PE_CUDA_CHECK(cudaStreamCreateWithPriority(&s, cudaStreamDefault, priority));
  return s;
}

int stream_priority(cudaStream_t stream, int device) {
  DeviceGuard guard(resolve(device));
  int p = 0;
  PE_CUDA_CHECK(cudaStreamGetPriority(stream, &p));
  return p;
}

void stream_priority_range(int* least, int* greatest) {
  PE_CUDA_CHECK(cudaDeviceGetStreamPriorityRange(least, greatest));
}

bool stream_query(cudaStream_t stream, int device) {
  DeviceGuard guard(resolve(device));
  cudaError_t e = cudaStreamQuery(stream);
  if (e == cudaErrorNotReady) {
    (void)cudaGetLastError();
    return false;
  }
  PE_CUDA_CHECK(e);
  return true;
}

void stream_synchronize(cudaStream_t stream, int device) {
  DeviceGuard guard(resolve(device));
  count_host_sync();
  PE_CUDA_CHECK(cudaStreamSynchronize(stream));
  check_device_asserts(-1);  // a synchronization point (Note [Device asserts])
}

cudaEvent_t create_event(int device, bool enable_timing, bool blocking) {
  DeviceGuard guard(resolve(device));
  unsigned flags = enable_timing ? cudaEventDefault : cudaEventDisableTiming;
  if (blocking) flags |= cudaEventBlockingSync;
  cudaEvent_t e = nullptr;
  PE_CUDA_CHECK(cudaEventCreateWithFlags(&e, flags));
  return e;
}

void destroy_event(cudaEvent_t event) {
  if (event) (void)cudaEventDestroy(event);  // called from __del__: never throws
}

void event_record(cudaEvent_t event, cudaStream_t stream, int device) {
  DeviceGuard guard(resolve(device));
  PE_CUDA_CHECK(cudaEventRecord(event, stream));
}

bool event_query(cudaEvent_t event) {
  cudaError_t e = cudaEventQuery(event);
  if (e == cudaErrorNotReady) {
    (void)cudaGetLastError();
    return false;
  }
  PE_CUDA_CHECK(e);
  return true;
}

void event_synchronize(cudaEvent_t event) {
  count_host_sync();
  PE_CUDA_CHECK(cudaEventSynchronize(event));
}

float event_elapsed_ms(cudaEvent_t start, cudaEvent_t end) {
  // As PyTorch: the events must have completed (elapsed_time does not wait).
  float ms = 0;
  PE_CUDA_CHECK(cudaEventElapsedTime(&ms, start, end));
  return ms;
}

void stream_wait_event(cudaStream_t stream, int device, cudaEvent_t event) {
  DeviceGuard guard(resolve(device));
  PE_CUDA_CHECK(cudaStreamWaitEvent(stream, event, 0));
}

}  // namespace pe::cuda
