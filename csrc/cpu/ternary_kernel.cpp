// CPU kernels of where (out, bool cond, a, b), clamp with tensor bounds (out, x, lo, hi) and lerp
// (out, start, end, weight), all operands but the condition of the output's dtype.
#include "cpu/complex_math.h"
#include "cpu/loop.h"
#include "ops/elementwise_functors.h"

namespace pe::cpu {
namespace {

void ternary_kernel(const TensorIter& iter, TernaryOp op) {
  if (is_complex(iter.dtype(0))) {
    if (op == TernaryOp::Where) return complex_where(iter);
    throw NotImplementedError(str("\"", op == TernaryOp::Clamp ? "clamp" : "lerp_kernel_tensor",
                                  "\" not implemented for '", scalar_type_name(iter.dtype(0)), "'"));
  }
  PE_DISPATCH_ALL_TYPES(iter.dtype(0), "ternary", [&] {
    using T = scalar_t;
    switch (op) {
      case TernaryOp::Where:
        return cpu_kernel(iter, [](bool c, T a, T b) -> T { return WhereFunctor<T>()(c, a, b); });
      case TernaryOp::Clamp:
        if constexpr (!std::is_same_v<T, bool>)
          return cpu_kernel(iter, [](T x, T lo, T hi) -> T { return ClampFunctor<T>()(x, lo, hi); });
        break;
      case TernaryOp::Lerp:
        if constexpr (is_float_v<T>)
          return cpu_kernel(iter, [](T a, T b, T w) -> T { return LerpFunctor<T>()(a, b, w); });
        break;
    }
    PE_ERROR("ternary: op ", (int)op, " not supported for ", dtype_name(iter.dtype(0)));
  });
}

PE_REGISTER_KERNEL(ternary_stub, CPU, &ternary_kernel);

}  // namespace
}  // namespace pe::cpu
