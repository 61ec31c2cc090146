// torch.use_deterministic_algorithms (Note [Deterministic algorithms]).
//
// A process-wide setting, as PyTorch's global context. Kernels whose fast path is not deterministic
// (float atomics on the GPU: index_put_ with accumulate, max_pool2d's backward) consult it and then take
// a serial path that adds in a fixed order, giving the CPU kernel's bits. Every other kernel of the engine
// is deterministic already (reductions use fixed trees, scatters run one thread per row), so the flag
// needs no other check; a kernel added later with an order-dependent result must consult it too.
#pragma once

#include <atomic>

namespace pe {

struct DeterministicAlgorithms {
  static bool enabled() { return enabled_.load(std::memory_order_relaxed); }
  static bool warn_only() { return warn_only_.load(std::memory_order_relaxed); }
  static void set(bool enabled, bool warn_only) {
    enabled_.store(enabled, std::memory_order_relaxed);
    warn_only_.store(warn_only, std::memory_order_relaxed);
  }

 private:
  static inline std::atomic<bool> enabled_{false};
  static inline std::atomic<bool> warn_only_{false};
};

}  // namespace pe
