// bernoulli_ and dropout on CUDA, on the Philox layout of Note [Random number layout] (core/rng.h):
// element i (row-major) draws the same 53-bit uniform as on the CPU for the same seed and first block,
// so both devices give the same masks (csrc/cpu/nn_dropout_kernel.cpp computes the same values).
#include "core/cast.h"
#include "core/rng.h"
#include "cuda/kernels.h"
#include "cuda/loop.cuh"
#include "ops/nn_stubs.h"

namespace pe::cuda {
namespace {

template <class T>
struct BernoulliFunctor {
  Philox gen;
  uint64_t first_block;
  double p;
  const double* probs;  // contiguous, dst's shape; null: p for every element
  __device__ T operator()(int64_t i) const {
    return cast_value<T>(philox_uniform_at(gen, first_block, i, 53) < (probs ? probs[i] : p) ? 1 : 0);
  }
};

template <class T>
__global__ void dropout_kernel_impl(T* out, bool* mask, const T* x, int64_t n, Philox gen, uint64_t first_block,
                                    double keep, T scale) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    const bool k = philox_uniform_at(gen, first_block, i, 53) < keep;
    mask[i] = k;
    out[i] = x[i] * T(k) * scale;
  }
}

template <class T>
void launch_dropout(const Tensor& out, const Tensor& mask, const Tensor& input, double p, double scale, uint64_t seed,
                    uint64_t first_block) {
  const int64_t n = input.numel();
  launch_kernel(dropout_kernel_impl<T>, grid_size(n), kBlockSize, 0, current_stream(), out.data_ptr<T>(),
                mask.data_ptr<bool>(), input.data_ptr<T>(), n, Philox(seed), first_block, 1.0 - p, T(scale));
}

}  // namespace

// out, mask and input are contiguous (the op layer's contract, as for the CPU kernel).
void dropout_kernel(const Tensor& out, const Tensor& mask, const Tensor& input, double p, double scale, uint64_t seed,
                    uint64_t first_block) {
  if (input.numel() == 0) return;
  DeviceGuard guard(input.device().index);
  switch (input.dtype()) {
    case DType::Float32: return launch_dropout<float>(out, mask, input, p, scale, seed, first_block);
    case DType::Float64: return launch_dropout<double>(out, mask, input, p, scale, seed, first_block);
    default: break;
  }
  throw NotImplementedError(str("\"dropout\" not implemented for '", dtype_name(input.dtype()), "'"));
}

void bernoulli_kernel(const Tensor& dst, double p, const Tensor& probs, uint64_t seed, uint64_t first_block) {
  const double* pp = probs.defined() ? probs.data_ptr<double>() : nullptr;
  PE_DISPATCH_ALL_TYPES(dst.dtype(), "bernoulli_", [&] {
    launch_index_fill<scalar_t>(dst, BernoulliFunctor<scalar_t>{Philox(seed), first_block, p, pp});
  });
}

}  // namespace pe::cuda
