// Grad mode: whether ops record the graph. Thread-local, as PyTorch's (no_grad in one thread does not
// affect another); an inline variable so the check on every op's path is one TLS load.
#pragma once
#include "core/tensor_impl.h"

namespace pe::autograd {

inline thread_local bool t_grad_enabled = true;

struct GradMode {
  static bool is_enabled() { return t_grad_enabled; }
  static void set_enabled(bool on) { t_grad_enabled = on; }
};

// Inference mode: grad mode off plus "tensors made now are inference tensors" (Note [Inference
// tensors] in core/tensor_impl.h). Thread-local too; the flag lives in the core, which reads it when
// it makes a tensor.
struct InferenceMode {
  static bool is_enabled() { return VersionCounter::t_inference_mode; }
  static void set_enabled(bool on) { VersionCounter::t_inference_mode = on; }
};

// RAII: sets grad mode for a scope and restores the previous mode (also on exceptions).
class AutoGradMode {
 public:
  explicit AutoGradMode(bool on) : prev_(t_grad_enabled) { t_grad_enabled = on; }
  ~AutoGradMode() { t_grad_enabled = prev_; }
  AutoGradMode(const AutoGradMode&) = delete;
  AutoGradMode& operator=(const AutoGradMode&) = delete;

 private:
  bool prev_;
};

struct NoGradGuard : AutoGradMode {
  NoGradGuard() : AutoGradMode(false) {}
};

}  // namespace pe::autograd
