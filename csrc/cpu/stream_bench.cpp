// STREAM-like copy and triad (see the header): plain OpenMP loops with static scheduling, the
// arrays first touched by the thread that later streams them (as STREAM does).
#include "cpu/stream_bench.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <vector>

#include "cpu/parallel.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace pe::cpu {

StreamResult stream_bandwidth(int64_t n, int repeat) {
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  auto alloc = [&] { return std::unique_ptr<float, Free>(static_cast<float*>(std::aligned_alloc(64, ((n * 4 + 63) / 64) * 64))); };
  auto a = alloc(), b = alloc(), c = alloc();
  float* pa = a.get();
  float* pb = b.get();
  float* pc = c.get();
  const int nt = get_num_threads();
#pragma omp parallel for schedule(static) num_threads(nt)
  for (int64_t i = 0; i < n; ++i) {
    pa[i] = 1.0f;
    pb[i] = 2.0f;
    pc[i] = 0.0f;
  }
  auto median_seconds = [&](auto&& body) {
    std::vector<double> t;
    for (int r = 0; r < repeat + 1; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      body();
      t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    t.erase(t.begin());  // warm-up
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
  };
  const float s = 3.0f;
  double tc = median_seconds([&] {
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t i = 0; i < n; ++i) pc[i] = pa[i];
  });
  double tt = median_seconds([&] {
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t i = 0; i < n; ++i) pa[i] = pb[i] + s * pc[i];
  });
  return {2.0 * 4.0 * (double)n / tc / 1e9, 3.0 * 4.0 * (double)n / tt / 1e9};
}

#if defined(__x86_64__)
namespace {

constexpr int kChains = 10;  // FMA latency 4-5 cycles x 2 ports: 10 independent accumulators keep both busy

__attribute__((target("avx2,fma"))) float fma_chains(int64_t iters) {
  __m256 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(0.001f * (float)c);
  const __m256 m = _mm256_set1_ps(0.9999999f), a = _mm256_set1_ps(1e-7f);
  for (int64_t i = 0; i < iters; ++i)
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], m, a);
  __m256 sum = acc[0];
  for (int c = 1; c < kChains; ++c) sum = _mm256_add_ps(sum, acc[c]);
  float out[8];
  _mm256_storeu_ps(out, sum);
  return out[0];  // returned so the loop is not optimised away
}

}  // namespace
#endif

double fma_peak_gflops(int repeat) {
#if defined(__x86_64__)
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0.0;
  const int nt = get_num_threads();
  const int64_t iters = 20'000'000;
  std::vector<double> t;
  volatile float sink = 0;
  for (int r = 0; r < repeat + 1; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    float total = 0;
#pragma omp parallel for schedule(static) num_threads(nt) reduction(+ : total)
    for (int th = 0; th < nt; ++th) total += fma_chains(iters);
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    sink = sink + total;
  }
  t.erase(t.begin());  // warm-up
  std::sort(t.begin(), t.end());
  const double flops = (double)nt * (double)iters * kChains * 8 * 2;
  return flops / t[t.size() / 2] / 1e9;
#else
  (void)repeat;
  return 0.0;
#endif
}

}  // namespace pe::cpu
