// The host half of Note [Device asserts]: one slot per device, allocated on first use.
#include "cuda/device_assert.h"

#include <atomic>
#include <mutex>
#include <string>

#include "cuda/cuda_check.h"
#include "cuda/device.h"

namespace pe::cuda {
namespace {

constexpr int kMaxDevices = 64;

struct Slots {
  std::mutex mu;
  DeviceAssertSlot* slot[kMaxDevices] = {};
  std::atomic<bool> armed[kMaxDevices] = {};
};

Slots& slots() {
  static Slots* s = new Slots();  // never destroyed: kernels may still be queued at exit
  return *s;
}

const char* kind_name(int32_t kind) {
  switch (static_cast<AssertKind>(kind)) {
    case AssertKind::GatherScatter: return "a gather/scatter/index_select/index_add kernel";
    case AssertKind::Index: return "an indexing kernel (tensor[index])";
    case AssertKind::NllTarget: return "nll_loss/cross_entropy";
    case AssertKind::UnitRange: return "binary_cross_entropy";
  }
  return "a kernel";
}

}  // namespace

DeviceAssertSlot* device_assert_slot() {
  const int dev = current_device();
  PE_CHECK(dev >= 0 && dev < kMaxDevices, "device_assert_slot: device ", dev, " out of range");
  Slots& s = slots();
  std::lock_guard<std::mutex> g(s.mu);
  if (!s.slot[dev]) {
    void* p = nullptr;
    PE_CUDA_CHECK(cudaMalloc(&p, sizeof(DeviceAssertSlot)));
    PE_CUDA_CHECK(cudaMemset(p, 0, sizeof(DeviceAssertSlot)));
    s.slot[dev] = static_cast<DeviceAssertSlot*>(p);
  }
  s.armed[dev].store(true);
  return s.slot[dev];
}

void check_device_asserts(int device) {
  if (device < 0) device = current_device();
  if (device >= kMaxDevices) return;
  Slots& s = slots();
  if (!s.armed[device].exchange(false)) return;
  DeviceGuard guard(device);
  DeviceAssertSlot h{};
  PE_CUDA_CHECK(cudaMemcpy(&h, s.slot[device], sizeof h, cudaMemcpyDeviceToHost));
  if (h.flag == 0) return;
  PE_CUDA_CHECK(cudaMemset(s.slot[device], 0, sizeof h));
  const char* later = "; reported at this synchronization point, the op that failed ran earlier)";
  if (h.kind == static_cast<int32_t>(AssertKind::NllTarget))
    PE_ERROR("CUDA error: device-side assert triggered: Target ", h.index, " is out of bounds (", h.size,
             " classes, in ", kind_name(h.kind), " on cuda:", device, later);
  if (h.kind == static_cast<int32_t>(AssertKind::UnitRange))
    PE_ERROR("CUDA error: device-side assert triggered: all elements of input should be between 0 and 1 (in ",
             kind_name(h.kind), " on cuda:", device, later);
  const std::string where = h.dim >= 0 ? str("dimension ", h.dim) : std::string("a dimension");
  PE_ERROR("CUDA error: device-side assert triggered: index ", h.index, " is out of bounds for ", where,
           " with size ", h.size, " (in ", kind_name(h.kind), " on cuda:", device,
           "; reported at this synchronization point, the op that failed ran earlier)");
}

}  // namespace pe::cuda
