// CPU kernels of the basic arithmetic ops (add/mul/div, neg/abs) over the shared functors.
#include "cpu/loop.h"
#include "ops/functors.h"
#include "ops/stubs.h"

namespace pe::cpu {
namespace {

void binary_kernel(const TensorIter& iter, BinaryOp op, const Scalar& alpha) {
  PE_DISPATCH_ALL_TYPES(iter.dtype(0), "binary", [&] {
    switch (op) {
      case BinaryOp::Add: {
        auto a = alpha.to<opmath_t<scalar_t>>();
        if constexpr (!std::is_same_v<scalar_t, bool>) {
          if (a == opmath_t<scalar_t>(1)) {  // the common case, without the multiply
            cpu_kernel(iter, [](scalar_t x, scalar_t y) -> scalar_t {
              return scalar_t(static_cast<opmath_t<scalar_t>>(x) + static_cast<opmath_t<scalar_t>>(y));
            });
            return;
          }
        }
        cpu_kernel(iter, [f = AddFunctor<scalar_t>{a}](scalar_t x, scalar_t y) -> scalar_t { return f(x, y); });
        return;
      }
      case BinaryOp::Mul:
        cpu_kernel(iter, [](scalar_t x, scalar_t y) -> scalar_t { return MulFunctor<scalar_t>()(x, y); });
        return;
      case BinaryOp::Div:
        cpu_kernel(iter, [](scalar_t x, scalar_t y) -> scalar_t { return DivFunctor<scalar_t>()(x, y); });
        return;
    }
  });
}

void unary_kernel(const TensorIter& iter, UnaryOp op) {
  PE_DISPATCH_ALL_TYPES(iter.dtype(0), "unary", [&] {
    switch (op) {
      case UnaryOp::Neg:
        cpu_kernel(iter, [](scalar_t x) -> scalar_t { return NegFunctor<scalar_t>()(x); });
        return;
      case UnaryOp::Abs:
        cpu_kernel(iter, [](scalar_t x) -> scalar_t { return AbsFunctor<scalar_t>()(x); });
        return;
    }
  });
}

PE_REGISTER_KERNEL(binary_stub, CPU, &binary_kernel);
PE_REGISTER_KERNEL(unary_stub, CPU, &unary_kernel);

}  // namespace
}  // namespace pe::cpu
