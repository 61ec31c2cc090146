// CUDA kernel of the comparisons (compare_stub): bool out = f(a, b), a and b of one dtype, with the
// CPU's functors.
#include "cuda/elementwise.cuh"
#include "cuda/kernels.h"
#include "ops/elementwise_functors.h"

namespace pe::cuda {
namespace {

template <class T>
void run_op(const TensorIter& iter, CompareOp op) {
  switch (op) {
#define PE_CASE(Op) \
  case CompareOp::Op: return launch_elementwise<bool, T, T>(iter, CompareFunctor<T, CompareOp::Op>());
    PE_CASE(Eq) PE_CASE(Ne) PE_CASE(Lt) PE_CASE(Le) PE_CASE(Gt) PE_CASE(Ge)
#undef PE_CASE
  }
  PE_ERROR("compare: unknown op ", (int)op);
}

}  // namespace

// operands: (bool out, T a, T b)
void compare_kernel(const TensorIter& iter, CompareOp op) {
  PE_DISPATCH_ALL_TYPES(iter.dtype(1), "compare", [&] { run_op<scalar_t>(iter, op); });
}

}  // namespace pe::cuda
