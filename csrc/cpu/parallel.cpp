// Thread count control (torch.set_num_threads / get_num_threads).
#include "cpu/parallel.h"

#include <atomic>

#include "core/error.h"

namespace pe::cpu {

namespace {
std::atomic<int> g_num_threads{0};  // 0: not set, use OpenMP's default
}

int get_num_threads() {
  int n = g_num_threads.load(std::memory_order_relaxed);
  return n > 0 ? n : omp_get_max_threads();
}

void set_num_threads(int n) {
  PE_CHECK(n > 0, "set_num_threads expects a positive integer, got ", n);
  g_num_threads.store(n);
  omp_set_num_threads(n);
}

}  // namespace pe::cpu
