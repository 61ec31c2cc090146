// Autocast (torch.autocast): per device type, ops of PyTorch's "lower precision" list run in the autocast
// dtype (bfloat16 on the CPU, float16 on cuda by default).
//
// Note [Autocast]: PyTorch implements autocast as a dispatch key in front of every op; we have no dispatcher
// keys, so the ops of the lower-precision list (mm, bmm, matmul, addmm, baddbmm, addbmm, linear, conv2d) call
// `autocast::lower(fn, args...)` at their autograd entry: when autocast is on for an argument's device, every
// eligible tensor argument (floating point, not float64, as PyTorch's is_autocast_eligible) is cast to the
// autocast dtype with a differentiable cast, and the op runs with autocast excluded, so the ops it is built of
// (linear -> addmm -> mm) do not cast again. The float32 list (the losses) is applied where those ops are
// entered, in pyengine/amp/autocast_mode.py. State is thread-local, as PyTorch's.
#pragma once
#include <utility>

#include "autograd/ops_basic.h"
#include "core/device.h"
#include "core/dtype.h"

namespace pe::autograd::autocast {

struct State {
  bool enabled[kNumDeviceTypes] = {false, false};
  DType dtype[kNumDeviceTypes] = {DType::BFloat16, DType::Float16};
  bool excluded = false;  // inside an autocast op: its inner ops do not cast again
};
inline thread_local State t_state;

inline bool active() {
  return !t_state.excluded && (t_state.enabled[0] || t_state.enabled[1]);
}

inline Tensor cast_lower(const Tensor& t) {
  if (!t.defined()) return t;
  const int d = static_cast<int>(t.device().type);
  if (d < 0 || d >= kNumDeviceTypes || !t_state.enabled[d]) return t;
  const DType target = t_state.dtype[d];
  if (!is_floating(t.dtype()) || t.dtype() == DType::Float64 || t.dtype() == target) return t;
  return autograd::to(t, target, std::nullopt);
}
template <class T>
const T& cast_lower(const T& x) {
  return x;
}

// Runs fn on the cast arguments with autocast excluded (restored on exceptions too).
template <class Fn, class... Args>
Tensor lower(Fn fn, const Args&... args) {
  struct Exclude {
    Exclude() { t_state.excluded = true; }
    ~Exclude() { t_state.excluded = false; }
  } guard;
  return fn(cast_lower(args)...);
}

}  // namespace pe::autograd::autocast
