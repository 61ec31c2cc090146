// Definitions of the kernel tables.
#include "ops/stubs.h"

namespace pe {

DispatchStub<CopyFn> copy_stub("copy_");
DispatchStub<FillFn> fill_stub("fill_");
DispatchStub<UniformFn> uniform_stub("uniform_");
DispatchStub<NormalFn> normal_stub("normal_");
DispatchStub<ArangeFn> arange_stub("arange");
DispatchStub<IndexFn> index_stub("index");
DispatchStub<IndexPutFn> index_put_stub("index_put_");
DispatchStub<IndexBoundsFn> index_bounds_stub("index_bounds");
DispatchStub<IndexOffsetsFn> index_offsets_stub("index_offsets");
DispatchStub<NonzeroFn> nonzero_stub("nonzero");
DispatchStub<RandpermFn> randperm_stub("randperm");

CudaHooks& cuda_hooks() {
  static CudaHooks h;
  return h;
}
bool cuda_compiled() { return cuda_hooks().device_count != nullptr; }
int cuda_device_count() { return cuda_compiled() ? cuda_hooks().device_count() : 0; }

}  // namespace pe
