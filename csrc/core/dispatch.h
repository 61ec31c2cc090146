// Device kernel tables. An op in csrc/ops asks the stub for the kernel of its tensors' device:
//   copy_stub(dst.device())(dst, src);
// The CPU kernels register in csrc/cpu, the CUDA ones in cuda/ (see cuda/register.cpp); a stub
// without a kernel for a device raises a clear RuntimeError instead of touching foreign memory.
#pragma once
#include "device.h"
#include "error.h"

namespace pe {

template <class Fn>
struct DispatchStub {
  const char* name;
  Fn table[kNumDeviceTypes] = {};
  explicit constexpr DispatchStub(const char* n) : name(n) {}
  Fn operator()(Device d) const {
    Fn f = table[(int)d.type];
    PE_CHECK(f != nullptr, "\"", name, "\" is not implemented for device '", d.str(), "'",
             d.is_cuda() ? " (pyengine was built without CUDA, or this op has no CUDA kernel yet)" : "");
    return f;
  }
  void set(DeviceType t, Fn f) { table[(int)t] = f; }
};

// Registers a kernel at static-initialization time: PE_REGISTER_KERNEL(copy_stub, CPU, &copy_kernel);
struct KernelRegistrar {
  template <class Stub, class Fn>
  KernelRegistrar(Stub& stub, DeviceType t, Fn f) {
    stub.set(t, f);
  }
};
#define PE_CONCAT_IMPL(a, b) a##b
#define PE_CONCAT(a, b) PE_CONCAT_IMPL(a, b)
#define PE_REGISTER_KERNEL(stub, dev, fn) \
  static ::pe::KernelRegistrar PE_CONCAT(pe_registrar_, __LINE__)(stub, ::pe::DeviceType::dev, fn)

}  // namespace pe
