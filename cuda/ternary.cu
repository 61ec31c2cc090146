// CUDA kernels of where (out, bool cond, a, b), clamp with tensor bounds (out, x, lo, hi) and lerp
// (out, start, end, weight) (ternary_stub), with the CPU's functors.
#include "cuda/elementwise.cuh"
#include "cuda/kernels.h"
#include "ops/elementwise_functors.h"

namespace pe::cuda {

void ternary_kernel(const TensorIter& iter, TernaryOp op) {
  PE_DISPATCH_ALL_TYPES(iter.dtype(0), "ternary", [&] {
    using T = scalar_t;
    switch (op) {
      case TernaryOp::Where:
        return launch_elementwise<T, bool, T, T>(iter, WhereFunctor<T>());
      case TernaryOp::Clamp:
        if constexpr (!std::is_same_v<T, bool>) return launch_elementwise<T, T, T, T>(iter, ClampFunctor<T>());
        break;
      case TernaryOp::Lerp:
        if constexpr (is_float_v<T>) return launch_elementwise<T, T, T, T>(iter, LerpFunctor<T>());
        break;
    }
    PE_ERROR("ternary: op ", (int)op, " not supported for ", dtype_name(iter.dtype(0)));
  });
}

}  // namespace pe::cuda
