// CPU kernel of the comparisons (compare_stub): bool out = f(a, b) with a and b of
// one dtype. The dense loops vectorize (compare, then narrow to bytes).
#include "cpu/complex_math.h"
#include "cpu/loop.h"
#include "ops/elementwise_functors.h"

namespace pe::cpu {
namespace {

template <class T, CompareOp Op>
void run(const TensorIter& iter) {
  cpu_kernel(iter, [](T a, T b) -> bool { return CompareFunctor<T, Op>()(a, b); });
}

template <class T>
void run_op(const TensorIter& iter, CompareOp op) {
  switch (op) {
#define PE_CASE(Op) \
  case CompareOp::Op: return run<T, CompareOp::Op>(iter);
    PE_CASE(Eq) PE_CASE(Ne) PE_CASE(Lt) PE_CASE(Le) PE_CASE(Gt) PE_CASE(Ge)
#undef PE_CASE
  }
  PE_ERROR("compare: unknown op ", (int)op);
}

// operands: (bool out, T a, T b)
void compare_kernel(const TensorIter& iter, CompareOp op) {
  if (is_complex(iter.dtype(1))) return complex_compare(iter, op);
  PE_DISPATCH_ALL_TYPES(iter.dtype(1), "compare", [&] { run_op<scalar_t>(iter, op); });
}

PE_REGISTER_KERNEL(compare_stub, CPU, &compare_kernel);

}  // namespace
}  // namespace pe::cpu
