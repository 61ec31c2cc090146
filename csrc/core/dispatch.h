// Device kernel tables. An op in csrc/ops asks the stub for the kernel of its tensors' device:
//   copy_stub(dst.device())(dst, src);
// The CPU kernels register in csrc/cpu, the CUDA ones in cuda/ (see cuda/register.cpp); a stub
// without a kernel for a device raises a clear RuntimeError instead of touching foreign memory.
#pragma once
#include "device.h"
#include "error.h"

namespace pe {

// Note [Meta device]
// A meta tensor has sizes, strides, dtype and a storage that records its size but holds no memory
// (core/allocator.cpp). Nothing in the op layer knows about it: every op runs its usual code (argument
// and shape checks, type promotion, broadcasting, output allocation with its strides, autograd
// recording), which is what decides an output's metadata, and only the kernel is skipped. That is
// this one rule: a stub asked for the meta kernel of a kernel family that returns nothing (it only
// writes into outputs the op layer allocated) gets a kernel that does nothing. A family whose kernel
// returns a value computed from the data (a count, an equality, a bounds check) has no meaningful
// meta version: it either registers one explicitly (ops/meta_kernels.cpp) or raises
// NotImplementedError, as PyTorch does for data-dependent ops. Copies out of meta raise there too.
namespace detail {
template <class Fn>
struct MetaKernel {
  static constexpr Fn get() { return nullptr; }  // a value-returning family: no generic meta kernel
};
template <class... Args>
struct MetaKernel<void (*)(Args...)> {
  static void skip(Args...) {}
  static constexpr auto get() { return &skip; }
};
}  // namespace detail

template <class Fn>
struct DispatchStub {
  const char* name;
  Fn table[kNumDeviceTypes] = {};
  explicit constexpr DispatchStub(const char* n) : name(n) {}
  Fn operator()(Device d) const {
    Fn f = table[(int)d.type];
    if (f == nullptr && d.is_meta()) {  // Note [Meta device]
      f = detail::MetaKernel<Fn>::get();
      PE_CHECK_T(NotImplementedError, f != nullptr, name,
                 ": attempted to run this operator with Meta tensors, but its result depends on the "
                 "tensor's data and it has no Meta kernel");
    }
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
