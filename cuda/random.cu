// uniform_ and normal_ on CUDA, on the Philox layout of Note [Random number layout] (core/rng.h):
// element i (row-major) gets the same number as on the CPU for the same seed and first block.
// The final affine step uses explicit round-to-nearest intrinsics because nvcc would otherwise fuse
// it into an FMA and differ from the CPU in the last bit.
#include "core/cast.h"
#include "core/rng.h"
#include "cuda/kernels.h"
#include "cuda/loop.cuh"
#include "ops/ops.h"

namespace pe::cuda {
namespace {

template <class T>
struct UniformFunctor {
  static constexpr int kBits = random_bits<T>();
  Philox gen;
  uint64_t first_block;
  double from, span;
  __device__ T operator()(int64_t i) const {
    const double u = philox_uniform_at(gen, first_block, i, kBits);
    return cast_value<T>(__dadd_rn(from, __dmul_rn(span, u)));
  }
};

template <class T>
struct NormalFunctor {
  Philox gen;
  uint64_t first_block;
  int64_t n;
  double mean, stddev;
  __device__ T operator()(int64_t i) const {
    const double z = philox_normal_at(gen, first_block, n, i);
    return cast_value<T>(__dadd_rn(mean, __dmul_rn(stddev, z)));
  }
};

}  // namespace

void uniform_kernel(const Tensor& dst, double from, double to, uint64_t seed, uint64_t first_block) {
  PE_DISPATCH_FLOATING_TYPES(dst.dtype(), "uniform_", [&] {
    launch_index_fill<scalar_t>(dst, UniformFunctor<scalar_t>{Philox(seed), first_block, from, to - from});
  });
}

void normal_kernel(const Tensor& dst, double mean, double std, uint64_t seed, uint64_t first_block) {
  PE_DISPATCH_FLOATING_TYPES(dst.dtype(), "normal_", [&] {
    launch_index_fill<scalar_t>(dst, NormalFunctor<scalar_t>{Philox(seed), first_block, dst.numel(), mean, std});
  });
}

}  // namespace pe::cuda
