// torch.autograd.detect_anomaly / set_detect_anomaly: with check_nan on, the engine checks every gradient a
// backward node returns and raises, naming the node, at the first NaN (PyTorch's message). A process-wide
// setting as PyTorch's; checking costs one reduction and one host read per node output, so it is off by default.
// (PyTorch also prints the forward traceback of the failing node; pyengine does not record it.)
#pragma once

#include <atomic>

#include "autograd/node.h"

namespace pe::autograd {

struct AnomalyMode {
  static bool is_enabled() { return enabled_.load(std::memory_order_relaxed); }
  static bool should_check_nan() { return check_nan_.load(std::memory_order_relaxed); }
  static void set_enabled(bool enabled, bool check_nan = true) {
    enabled_.store(enabled, std::memory_order_relaxed);
    check_nan_.store(check_nan, std::memory_order_relaxed);
  }

 private:
  static inline std::atomic<bool> enabled_{false};
  static inline std::atomic<bool> check_nan_{true};
};

// Raises RuntimeError "Function 'XBackward0' returned nan values in its 0th output." for the first output of
// `fn` holding a NaN.
void check_anomaly_outputs(const Node& fn, const variable_list& outputs);

}  // namespace pe::autograd
