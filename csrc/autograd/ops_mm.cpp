// Differentiable mm (ops_basic.h): grad_a = g @ b^T, grad_b = a^T @ g.
#include "autograd/autocast.h"
#include "autograd/ops_basic.h"
#include "autograd/saved_variable.h"
#include "ops/linalg.h"
#include "core/profiler_hook.h"

namespace pe::autograd {
namespace {
struct MmBackward0 : Node {
  SavedVariable a_, b_;
  std::string name() const override { return "MmBackward0"; }
  variable_list apply(variable_list&& g) override {
    variable_list r(2);
    if (should_compute_output(0)) r[0] = autograd::mm(g[0], autograd::t(b_.unpack()));
    if (should_compute_output(1)) r[1] = autograd::mm(autograd::t(a_.unpack()), g[0]);
    return r;
  }
  void release_variables() override {
    a_.reset_data();
    b_.reset_data();
  }
};
}  // namespace

Tensor mm(const Tensor& a, const Tensor& b) {
  profiler::RecordScope scope("aten::mm", {&a, &b});
  if (autocast::active()) return autocast::lower(&autograd::mm, a, b);
  Tensor r = ::pe::mm(a, b);
  if (auto n = make_node<MmBackward0>({&a, &b})) {
    if (requires_grad(b)) n->a_ = SavedVariable(a, false);
    if (requires_grad(a)) n->b_ = SavedVariable(b, false);
    set_history(r, n);
  }
  return r;
}

}  // namespace pe::autograd
