// SavedVariable (saved_variable.h).
#include "autograd/saved_variable.h"

#include "autograd/variable.h"
#include "core/error.h"
#include "ops/ops.h"

namespace pe::autograd {

// Note [Saved outputs]
// A node that saves its own output (exp saves exp(x)) would own the output, which owns the node
// through grad_fn: a cycle that would never be freed. So an output is saved as a bare alias of its
// storage (sharing the version counter, so in-place changes are still detected) and a weak link
// to the node; unpack() rebuilds a tensor with that history while the node is alive.

namespace {
std::string describe(const Tensor& t) {
  std::string s = str("[torch.", legacy_type_name(t.dtype()), " [");
  for (int64_t d = 0; d < t.dim(); ++d) s += str(d ? ", " : "", t.size(d));
  return s + "]]";
}
}  // namespace

SavedVariable::SavedVariable(const Tensor& t, bool is_output) : was_defined_(t.defined()), is_output_(is_output) {
  if (!t.defined()) return;
  PE_CHECK(!t->is_inference(),
           "Inference tensors cannot be saved for backward. Please do not use Tensors created in inference mode in "
           "computation tracked by autograd. To work around this, you can make a clone to get a normal tensor and use "
           "it in autograd, or use `torch.no_grad()` instead of `torch.inference_mode()`.");
  saved_version_ = t->version();
  requires_grad_ = requires_grad(t);
  auto fn = grad_fn(t);
  is_leaf_ = fn == nullptr;
  if (auto* m = meta_or_null(t)) output_nr_ = m->output_nr;
  if (is_output && !is_leaf_) {
    data_ = make_view(t, t.sizes(), t.strides(), t.storage_offset());
    weak_grad_fn_ = fn;
  } else {
    data_ = t;
    if (!is_leaf_) grad_fn_ = fn;
  }
}

void SavedVariable::reset_data() {
  if (!was_defined_) return;
  data_ = Tensor();
  grad_fn_.reset();
  released_ = true;
}

Tensor SavedVariable::unpack() const {
  if (!was_defined_) return Tensor();
  PE_CHECK(!released_,
           "Trying to backward through the graph a second time (or directly access saved tensors after they have "
           "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
           "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
           "if you need to access saved tensors after calling backward.");
  if (data_->version() != saved_version_) {
    std::string who;
    auto fn = is_output_ ? weak_grad_fn_.lock() : grad_fn_;
    if (fn) who = str(", which is output ", output_nr_, " of ", fn->name(), ",");
    throw Error(str("one of the variables needed for gradient computation has been modified by an inplace "
                           "operation: ", describe(data_), who, " is at version ", data_->version(),
                           "; expected version ", saved_version_,
                           " instead. Hint: enable anomaly detection to find the operation that failed to compute "
                           "its gradient, with torch.autograd.set_detect_anomaly(True)."));
  }
  if (!is_output_ || is_leaf_) return data_;
  auto fn = weak_grad_fn_.lock();
  if (!fn) return data_;  // the node is gone: only the values are needed
  Tensor t = make_view(data_, data_.sizes(), data_.strides(), data_.storage_offset());
  AutogradMeta& m = meta(t);
  m.grad_fn = fn;
  m.output_nr = output_nr_;
  t->set_requires_grad(requires_grad_);
  return t;
}

}  // namespace pe::autograd
