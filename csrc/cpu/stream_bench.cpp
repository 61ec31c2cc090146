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

}  // namespace pe::cpu
