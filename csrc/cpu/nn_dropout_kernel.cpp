// CPU dropout and bernoulli_ kernels on the Philox layout (Note [Random number layout]): element i's
// uniform number depends only on (seed, first_block, i), so the loops run in parallel and give the
// same mask for the same seed whatever the thread count. Both use 53-bit uniforms so the comparison
// with p is exact to double precision.
#include "core/cast.h"
#include "core/rng.h"
#include "cpu/loop.h"
#include "cpu/nn_kernel_util.h"
#include "ops/nn_stubs.h"

namespace pe::cpu {
namespace {

void dropout_kernel(const Tensor& out, const Tensor& mask, const Tensor& input, double p, double scale,
                    uint64_t seed, uint64_t first_block) {
  Philox g(seed);
  const double keep = 1.0 - p;
  const int64_t n = input.numel();
  bool* m = mask.data_ptr<bool>();
  PE_DISPATCH_NN_FLOAT(input.dtype(), "dropout", [&] {
    const scalar_t* x = input.data_ptr<scalar_t>();
    scalar_t* y = out.data_ptr<scalar_t>();
    const scalar_t s = scalar_t(scale);
    parallel_for(0, n, kGrainSize, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        bool k = philox_uniform_at(g, first_block, i, 53) < keep;
        m[i] = k;
        y[i] = x[i] * scalar_t(k) * s;
      }
    });
  });
}

void bernoulli_kernel(const Tensor& dst, double p, const Tensor& probs, uint64_t seed, uint64_t first_block) {
  TensorIter iter({dst}, {}, /*reorder=*/false);
  Philox g(seed);
  const double* pp = probs.defined() ? probs.data_ptr<double>() : nullptr;
  PE_DISPATCH_ALL_TYPES(dst.dtype(), "bernoulli_", [&] {
    cpu_index_kernel(iter, [&](int64_t i) -> scalar_t {
      return cast_value<scalar_t>(philox_uniform_at(g, first_block, i, 53) < (pp ? pp[i] : p) ? 1 : 0);
    });
  });
}

PE_REGISTER_KERNEL(dropout_stub, CPU, &dropout_kernel);
PE_REGISTER_KERNEL(bernoulli_stub, CPU, &bernoulli_kernel);

}  // namespace
}  // namespace pe::cpu
