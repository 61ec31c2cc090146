// parallel_for over OpenMP, with no threads below the grain size. The library asks for a passive
// OpenMP wait policy (pyengine/__init__.py sets OMP_WAIT_POLICY before loading the runtime): measured
// here, spinning barriers make 2-thread work 35-300x slower when another process holds a core.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace pe::cpu {

constexpr int64_t kGrainSize = 32768;

int get_num_threads();
void set_num_threads(int n);

template <class F>
void parallel_for(int64_t begin, int64_t end, int64_t grain, const F& f) {
  int64_t n = end - begin;
  if (n <= 0) return;
  int nthreads = get_num_threads();
  if (n <= grain || nthreads <= 1 || omp_in_parallel()) {
    f(begin, end);
    return;
  }
  int64_t max_chunks = (n + grain - 1) / grain;
  nthreads = (int)std::min<int64_t>(nthreads, max_chunks);
#pragma omp parallel num_threads(nthreads)
  {
    int tid = omp_get_thread_num();
    int nt = omp_get_num_threads();
    int64_t chunk = (n + nt - 1) / nt;
    int64_t b = begin + tid * chunk;
    int64_t e = std::min(end, b + chunk);
    if (b < e) f(b, e);
  }
}

}  // namespace pe::cpu
