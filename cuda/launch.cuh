// The one way to launch a kernel (Note [Kernel launch]): never write <<<...>>> at a call site.
//
// Note [Kernel launch]
// launch_kernel(kernel, grid, block, smem, stream, args...) is kernel<<<grid, block, smem, stream>>>
// (args...) followed by the launch check in the real build, and a run of the grid on the emulated
// device (cuda/emu) in the PYENGINE_CUDA=EMULATE build, which also checks that every pointer argument
// points into memory of the launching device (docs/cuda-emulator.md). The arguments are converted to
// the kernel's parameter types, so a scalar passes by value as it would in <<<>>>.
#pragma once
#include <utility>

#include "cuda/counters.h"
#include "cuda/cuda_check.h"

// `T* name` = this block's dynamic shared memory (the launch's smem bytes, 16-byte aligned). The one
// spelling of `extern __shared__`: the emulator serves the memory from its runtime, which a plain
// extern declaration cannot name.
#if defined(PE_CUDA_EMULATE)
#define PE_DYNAMIC_SHARED(T, name) T* name = reinterpret_cast<T*>(::pe::emu::dynamic_smem())
#else
#define PE_DYNAMIC_SHARED(T, name)                                  \
  extern __shared__ __align__(16) unsigned char pe_dynamic_smem_[]; \
  T* name = reinterpret_cast<T*>(pe_dynamic_smem_)
#endif

namespace pe::cuda {

template <class... KArgs, class... Args>
void launch_kernel(void (*kernel)(KArgs...), dim3 grid, dim3 block, size_t smem, cudaStream_t stream,
                   Args&&... args) {
  static_assert(sizeof...(KArgs) == sizeof...(Args), "kernel launched with the wrong number of arguments");
  kernel_launch_counter().fetch_add(1, std::memory_order_relaxed);  // Note [Runtime counters]
#if defined(PE_CUDA_EMULATE)
  ::pe::emu::launch(kernel, grid, block, smem, stream, std::forward<Args>(args)...);
#else
  kernel<<<grid, block, smem, stream>>>(static_cast<KArgs>(std::forward<Args>(args))...);
#endif
  PE_CUDA_CHECK_LAUNCH();
}

}  // namespace pe::cuda
