// Pinned (page-locked) host memory: Tensor.pin_memory(), is_pinned(), factories' pin_memory=True.
// The memory comes from the CUDA part (CudaHooks::pinned_allocator); without a CUDA device pinning is
// refused with PyTorch's message.
#include "ops/ops.h"
#include "ops/stubs.h"

namespace pe {

bool is_pinned(const Tensor& t) {
  if (!t.device().is_cpu() || !cuda_compiled() || cuda_device_count() == 0 || !cuda_hooks().is_pinned) return false;
  return cuda_hooks().is_pinned(t->storage()->data());
}

Tensor pin_memory(const Tensor& t) {
  PE_CHECK(t.device().is_cpu(), "cannot pin '", t.device().str(), "' memory: only dense CPU tensors can be pinned");
  PE_CHECK(cuda_compiled() && cuda_device_count() > 0 && cuda_hooks().pinned_allocator,
           "Cannot access accelerator device when none is available.");
  if (is_pinned(t)) return t;
  const size_t nbytes = (size_t)(t.numel() * t->itemsize());
  auto storage = std::make_shared<StorageImpl>(cuda_hooks().pinned_allocator->allocate(nbytes), nbytes);
  Tensor out(std::make_shared<TensorImpl>(std::move(storage), t.dtype(), t.sizes(), contiguous_strides(t.sizes()), 0));
  copy_(out, t);
  return out;
}

}  // namespace pe
