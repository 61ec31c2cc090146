// arange on CUDA: dst[i] = start + i * step for the row-major index i, with the arithmetic of the CPU
// kernel (csrc/cpu/copy_kernel.cpp): int64 when dst is integral and both numbers are integers,
// double otherwise, so both devices produce the same values.
#include "core/cast.h"
#include "cuda/kernels.h"
#include "cuda/loop.cuh"

namespace pe::cuda {
namespace {

template <class T>
struct ArangeIntFunctor {
  int64_t start, step;
  __device__ T operator()(int64_t i) const { return (T)(start + i * step); }
};

template <class T>
struct ArangeDoubleFunctor {
  double start, step;
  // Explicit rounding steps: no fused multiply-add, as on the CPU.
  __device__ T operator()(int64_t i) const { return cast_value<T>(__dadd_rn(start, __dmul_rn((double)i, step))); }
};

}  // namespace

void arange_kernel(const Tensor& dst, const Scalar& start, const Scalar& step) {
  PE_DISPATCH_ALL_TYPES(dst.dtype(), "arange", [&] {
    if constexpr (std::is_integral_v<scalar_t>) {
      if (!start.is_floating() && !step.is_floating()) {
        launch_index_fill<scalar_t>(dst, ArangeIntFunctor<scalar_t>{start.to_int64(), step.to_int64()});
        return;
      }
    }
    launch_index_fill<scalar_t>(dst, ArangeDoubleFunctor<scalar_t>{start.to_double(), step.to_double()});
  });
}

}  // namespace pe::cuda
