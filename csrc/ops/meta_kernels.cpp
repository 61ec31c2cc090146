// The meta device's explicit kernels: the few kernel families for which "do nothing" (the generic
// meta kernel of Note [Meta device], core/dispatch.h) is not the right answer.
#include "ops/stubs.h"

namespace pe {
namespace {

// Into meta: nothing to write. Out of meta into memory: there are no values to copy (PyTorch's error).
void meta_copy_kernel(const Tensor& dst, const Tensor& src) {
  (void)src;
  PE_CHECK_T(NotImplementedError, dst.device().is_meta(), "Cannot copy out of meta tensor; no data!");
}

// Indices on meta have no values to check: PyTorch's meta indexing skips the bounds check too.
std::optional<int64_t> meta_index_bounds_kernel(const Tensor&, int64_t, bool) { return std::nullopt; }

// nonzero's output size is the number of nonzero values: PyTorch refuses it on meta, with this message.
Tensor meta_nonzero_kernel(const Tensor&) {
  throw NotImplementedError(
      "The register_meta function for torch.nonzero() raises unimplemented by default, as a correct "
      "data-independent implementation does not exist. This implementation returns a fake value, assuming all "
      "elements of the tensor are non-zero. To enable this registration, please set "
      "'torch.fx.experimental._config.meta_nonzero_assume_all_nonzero' to True.");
}

}  // namespace

PE_REGISTER_KERNEL(copy_stub, Meta, &meta_copy_kernel);
PE_REGISTER_KERNEL(index_bounds_stub, Meta, &meta_index_bounds_kernel);
PE_REGISTER_KERNEL(nonzero_stub, Meta, &meta_nonzero_kernel);

}  // namespace pe
