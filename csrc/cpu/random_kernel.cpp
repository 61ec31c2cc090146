// CPU random fills (uniform_, normal_) on the Philox layout of Note [Random number layout], so the
// values depend only on (seed, offset, index): parallel-safe, and equal to the CUDA kernels'.
#include <algorithm>
#include <numeric>
#include <utility>

#include "core/rng.h"
#include "core/cast.h"
#include "cpu/loop.h"
#include "ops/stubs.h"

namespace pe::cpu {
namespace {

void uniform_kernel(const Tensor& dst, double from, double to, uint64_t seed, uint64_t first_block) {
  TensorIter iter({dst}, {}, /*reorder=*/false);
  Philox g(seed);
  PE_DISPATCH_FLOATING_TYPES(dst.dtype(), "uniform_", [&] {
    constexpr int bits = random_bits<scalar_t>();
    const double span = to - from;
    cpu_index_kernel(iter, [&](int64_t i) -> scalar_t {
      double u = philox_uniform_at(g, first_block, i, bits);
      return cast_value<scalar_t>(from + span * u);
    });
  });
}

void normal_kernel(const Tensor& dst, double mean, double std, uint64_t seed, uint64_t first_block) {
  TensorIter iter({dst}, {}, /*reorder=*/false);
  Philox g(seed);
  const int64_t n = dst.numel();
  PE_DISPATCH_FLOATING_TYPES(dst.dtype(), "normal_", [&] {
    cpu_index_kernel(iter, [&](int64_t i) -> scalar_t {
      return cast_value<scalar_t>(mean + std * philox_normal_at(g, first_block, n, i));
    });
  });
}

// The permutation that sorts the keys (one uniform draw per position) ascending, ties by position:
// the CUDA kernel (cuda/sort.cu) sorts the same keys, so a seed gives one permutation on both devices.
void randperm_kernel(const Tensor& perm, const Tensor& keys) {
  int64_t* p = perm.data_ptr<int64_t>();
  const double* u = keys.data_ptr<double>();
  const int64_t n = perm.numel();
  std::iota(p, p + n, int64_t(0));
  std::stable_sort(p, p + n, [u](int64_t a, int64_t b) { return u[a] < u[b]; });
}

PE_REGISTER_KERNEL(uniform_stub, CPU, &uniform_kernel);
PE_REGISTER_KERNEL(randperm_stub, CPU, &randperm_kernel);
PE_REGISTER_KERNEL(normal_stub, CPU, &normal_kernel);

}  // namespace
}  // namespace pe::cpu
