// CPU kernels of sum, mean and prod over the reduction driver (cpu/reduce_loop.h): one
// instantiation per input dtype; the output dtype follows from it (ops/reduce_stubs.h).
#include "cpu/reduce_loop.h"
#include "cpu/reduce_ops.h"
#include "ops/reduce_stubs.h"

namespace pe::cpu {
namespace {

void sum_kernel(const ReduceGeom& g, const Tensor& in, const Tensor& out, ReduceOp op) {
  PE_DISPATCH_ALL_TYPES(in.dtype(), "sum", [&] {
    const scalar_t* x = in.data_ptr<scalar_t>();
    auto* o = out.data_ptr<sum_out_t<scalar_t>>();
    if (op == ReduceOp::Prod) {
      run_reduce(g, x, ProdOp<scalar_t>{o});
    } else {
      SumOp<scalar_t> f{o};
      if (op == ReduceOp::Mean) f.divisor = static_cast<sum_acc_t<scalar_t>>(g.reduce_size);
      run_reduce(g, x, f);
    }
  });
}

PE_REGISTER_KERNEL(sum_stub, CPU, &sum_kernel);

}  // namespace
}  // namespace pe::cpu
