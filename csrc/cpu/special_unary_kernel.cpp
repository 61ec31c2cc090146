// CPU kernel of the unary special functions (special_unary_stub) and frexp (frexp_stub): one
// switch per floating dtype over the functors of ops/special_functors.h.
#include "cpu/loop.h"
#include "ops/special_functors.h"

namespace pe::cpu {
namespace {

template <class T, SpecialUnaryOp Op>
void run(const TensorIter& iter, int64_t n) {
  SpecialUnaryFunctor<T, Op> f;
  f.n = n;
  cpu_kernel(iter, [f](T a) -> T { return f(a); });
}

template <class T>
void run_op(const TensorIter& iter, SpecialUnaryOp op, int64_t n) {
  switch (op) {
#define PE_CASE(Name, name, expr) \
  case SpecialUnaryOp::Name: return run<T, SpecialUnaryOp::Name>(iter, n);
    PE_FORALL_SPECIAL_UNARY_OPS(PE_CASE)
#undef PE_CASE
    case SpecialUnaryOp::Polygamma: return run<T, SpecialUnaryOp::Polygamma>(iter, n);
  }
  PE_ERROR("special_unary: unknown op ", (int)op);
}

void special_unary_kernel(const TensorIter& iter, SpecialUnaryOp op, int64_t n) {
  PE_DISPATCH_FLOATING_TYPES(iter.dtype(0), "special_unary", [&] { run_op<scalar_t>(iter, op, n); });
}

void frexp_kernel(const TensorIter& iter, bool exponent) {
  PE_DISPATCH_FLOATING_TYPES(iter.dtype(1), "frexp", [&] {
    if (exponent) cpu_kernel(iter, [](scalar_t a) -> int32_t { return FrexpExponentFunctor<scalar_t>()(a); });
    else cpu_kernel(iter, [](scalar_t a) -> scalar_t { return FrexpMantissaFunctor<scalar_t>()(a); });
  });
}

PE_REGISTER_KERNEL(special_unary_stub, CPU, &special_unary_kernel);
PE_REGISTER_KERNEL(frexp_stub, CPU, &frexp_kernel);

}  // namespace
}  // namespace pe::cpu
