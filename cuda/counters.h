// Runtime counters (Note [Runtime counters]): kernel launches and host synchronisations, so that tests
// can check that a training step launches O(1) kernels per foreach chunk and waits for the device
// only where the user asks (loss.item()). Exposed as pyengine.cuda._launch_count() / _sync_count().
//
// Note [Runtime counters]
// A host synchronisation is every place where the host waits for device work: a copy to the host
// (item(), .cpu(), printing, reading a size back), torch.cuda.synchronize, Stream/Event.synchronize
// and the allocator's waits when it retries a failed cudaMalloc. launch_kernel counts every launch.
// Both count on every thread and device, relaxed atomics: a counter, not a synchronisation.
#pragma once
#include <atomic>
#include <cstdint>

namespace pe::cuda {

inline std::atomic<int64_t>& kernel_launch_counter() {
  static std::atomic<int64_t> n{0};
  return n;
}
inline std::atomic<int64_t>& host_sync_counter() {
  static std::atomic<int64_t> n{0};
  return n;
}
inline void count_host_sync() { host_sync_counter().fetch_add(1, std::memory_order_relaxed); }

}  // namespace pe::cuda
