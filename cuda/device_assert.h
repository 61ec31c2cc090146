// Device-side asserts (Note [Device asserts]): the host half, plain C++ so that device.cpp can call
// the check at its synchronization points. Kernels report through cuda/device_assert.cuh.
//
// Note [Device asserts]
// A check that needs a value only the device has (an index out of range in gather, scatter,
// index_select, index_add, index, embedding, ...) cannot be made on the host without a
// device-to-host sync per op. As PyTorch's device asserts, the kernel checks it instead: a thread that
// finds a bad index skips the access (never out of bounds) and records the first failure in a small
// slot of device memory (one per device: a flag set by atomicCAS, then what failed). The host reads
// the slot at its next synchronization point (synchronize(), a copy to the host, hence item() and
// printing) and raises RuntimeError("CUDA error: device-side assert triggered ..." naming the index
// and size). Only when a kernel that can report was launched since the last check does a sync point
// read the slot (an "armed" flag per device), so other copies pay nothing. Unlike a GPU's assert the
// failure is not sticky: the slot is cleared when it is reported and the process stays usable.
#pragma once
#include <cstdint>

namespace pe::cuda {

// What the kernel that failed was doing (names the op family in the message).
// NllTarget: index = the target, size = the class count; UnitRange: binary_cross_entropy's input
// outside [0, 1] (index = its position).
enum class AssertKind : int32_t { GatherScatter = 1, Index = 2, NllTarget = 3, UnitRange = 4 };

struct DeviceAssertSlot {
  uint32_t flag;  // 0: nothing failed; set by the first failing thread
  int32_t kind;   // AssertKind
  int64_t index, size, dim;
};

// The slot of the current device, to pass to a kernel that checks; arms the check of that device.
DeviceAssertSlot* device_assert_slot();

// Throws pe::Error if a kernel on `device` (-1: the current one) reported a failure since the last
// check, and clears the slot. Call it only after the device's earlier work has completed (after a
// synchronizing call).
void check_device_asserts(int device);

}  // namespace pe::cuda
