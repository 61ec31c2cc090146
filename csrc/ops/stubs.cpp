// Definitions of the kernel tables.
#include "ops/stubs.h"

namespace pe {

DispatchStub<CopyFn> copy_stub("copy_");
DispatchStub<FillFn> fill_stub("fill_");
DispatchStub<UniformFn> uniform_stub("uniform_");
DispatchStub<NormalFn> normal_stub("normal_");
DispatchStub<ArangeFn> arange_stub("arange");
DispatchStub<BinaryFn> binary_stub("binary");
DispatchStub<UnaryFn> unary_stub("unary");
DispatchStub<IndexFn> index_stub("index");
DispatchStub<IndexPutFn> index_put_stub("index_put_");

CudaHooks& cuda_hooks() {
  static CudaHooks h;
  return h;
}
bool cuda_compiled() { return cuda_hooks().device_count != nullptr; }
int cuda_device_count() { return cuda_compiled() ? cuda_hooks().device_count() : 0; }

}  // namespace pe
