// CPU kernels of all, any and count_nonzero over the reduction driver (cpu/reduce_loop.h).
#include "cpu/reduce_loop.h"
#include "cpu/reduce_ops.h"
#include "ops/reduce_stubs.h"

namespace pe::cpu {
namespace {

void logical_kernel(const ReduceGeom& g, const Tensor& in, const Tensor& out, ReduceOp op) {
  PE_DISPATCH_ALL_TYPES(in.dtype(), "all", [&] {
    const scalar_t* x = in.data_ptr<scalar_t>();
    auto* o = static_cast<uint8_t*>(out.raw_data());
    switch (op) {
      case ReduceOp::All: run_reduce(g, x, LogicalOp<scalar_t, true>{o}); return;
      case ReduceOp::Any: run_reduce(g, x, LogicalOp<scalar_t, false>{o}); return;
      default: run_reduce(g, x, CountNonzeroOp<scalar_t>{out.data_ptr<int64_t>()}); return;
    }
  });
}

PE_REGISTER_KERNEL(logical_stub, CPU, &logical_kernel);

}  // namespace
}  // namespace pe::cpu
