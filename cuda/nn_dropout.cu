// CUDA dropout and bernoulli_ on the Philox layout (Note [Random number layout], core/rng.h): element
// i's uniform number depends only on (seed, first_block, i), so the device draws the same mask as the
// CPU kernels (cpu/nn_dropout_kernel.cpp) for the same seed. 53-bit uniforms, as there.
#include "core/cast.h"
#include "core/rng.h"
#include "cuda/loop.cuh"
#include "cuda/nn_kernels.h"
#include "cuda/nn_util.cuh"

namespace pe::cuda {
namespace {

template <class T>
__global__ void dropout_kernel_impl(T* out, bool* mask, const T* x, Philox gen, uint64_t first_block, double keep,
                                    T scale, int64_t n) {
  PE_CUDA_GRID_LOOP(i, n) {
    const bool k = philox_uniform_at(gen, first_block, i, 53) < keep;
    mask[i] = k;
    out[i] = x[i] * T(k) * scale;
  }
}

template <class T>
struct BernoulliFunctor {
  Philox gen;
  uint64_t first_block;
  double p;
  const double* probs;  // row-major, dst's shape; or null
  __device__ T operator()(int64_t i) const {
    return cast_value<T>(philox_uniform_at(gen, first_block, i, 53) < (probs ? probs[i] : p) ? 1 : 0);
  }
};

}  // namespace

void dropout_kernel(const Tensor& out, const Tensor& mask, const Tensor& input, double p, double scale,
                    uint64_t seed, uint64_t first_block) {
  const int64_t n = input.numel();
  if (n == 0) return;
  DeviceGuard guard(input.device().index);
  PE_CUDA_DISPATCH_NN_FLOAT(input.dtype(), "dropout", [&] {
    using T = scalar_t;
    launch_kernel(dropout_kernel_impl<T>, nn_grid(n), kNnBlock, 0, current_stream(), static_cast<T*>(out.raw_data()),
                  mask.data_ptr<bool>(), static_cast<const T*>(input.raw_data()), Philox(seed), first_block, 1.0 - p,
                  T(scale), n);
  });
}

void bernoulli_kernel(const Tensor& dst, double p, const Tensor& probs, uint64_t seed, uint64_t first_block) {
  const double* pp = probs.defined() ? probs.data_ptr<double>() : nullptr;
  PE_DISPATCH_ALL_TYPES(dst.dtype(), "bernoulli_", [&] {
    launch_index_fill<scalar_t>(dst, BernoulliFunctor<scalar_t>{Philox(seed), first_block, p, pp});
  });
}

}  // namespace pe::cuda
