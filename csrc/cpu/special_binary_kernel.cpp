// CPU kernel of the binary special functions (special_binary_stub): zeta, xlog1py, igamma(c), the
// orthogonal polynomials, nextafter, gcd/lcm. One switch per dtype; the (op, dtype) pairs PyTorch
// has no kernel for are not instantiated (the op layer rejects them).
#include "cpu/loop.h"
#include "ops/special_functors.h"

namespace pe::cpu {
namespace {

template <class T, SpecialBinaryOp Op>
void run(const TensorIter& iter) {
  using F = SpecialBinaryFunctor<T, Op>;
  if constexpr (F::supported) cpu_kernel(iter, [](T a, T b) -> T { return F()(a, b); });
  else PE_ERROR("special_binary: op ", (int)Op, " not supported for ", dtype_name(iter.dtype(0)));
}

template <class T>
void run_op(const TensorIter& iter, SpecialBinaryOp op) {
  switch (op) {
#define PE_CASE(Name, name, expr) \
  case SpecialBinaryOp::Name: return run<T, SpecialBinaryOp::Name>(iter);
    PE_FORALL_SPECIAL_BINARY_OPS(PE_CASE)
#undef PE_CASE
    case SpecialBinaryOp::Nextafter: return run<T, SpecialBinaryOp::Nextafter>(iter);
    case SpecialBinaryOp::Gcd: return run<T, SpecialBinaryOp::Gcd>(iter);
    case SpecialBinaryOp::Lcm: return run<T, SpecialBinaryOp::Lcm>(iter);
  }
  PE_ERROR("special_binary: unknown op ", (int)op);
}

void special_binary_kernel(const TensorIter& iter, SpecialBinaryOp op) {
  PE_DISPATCH_ALL_TYPES(iter.dtype(0), "special_binary", [&] { run_op<scalar_t>(iter, op); });
}

PE_REGISTER_KERNEL(special_binary_stub, CPU, &special_binary_kernel);

}  // namespace
}  // namespace pe::cpu
