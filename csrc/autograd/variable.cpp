// AutogradMeta and the recording helpers (variable.h): history, views, in-place rebase.
#include "autograd/variable.h"

#include "autograd/functions/basic_nodes.h"
#include "autograd/ops_basic.h"
#include "core/error.h"
#include "ops/ops.h"

namespace pe::autograd {

namespace {
void install_retain_hook(const Tensor& t, AutogradMeta& m);
}  // namespace

AutogradMeta& meta(const Tensor& t) {
  auto* m = meta_or_null(t);
  if (m) return *m;
  auto fresh = std::make_unique<AutogradMeta>();
  m = fresh.get();
  t->set_autograd_meta(std::move(fresh));
  return *m;
}

bool is_differentiable_dtype(DType dt) { return is_floating(dt); }

bool compute_requires_grad(const TensorList& inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor& t : inputs)
    if (requires_grad(t)) return true;
  return false;
}

std::shared_ptr<Node> grad_fn(const Tensor& t) {
  auto* m = meta_or_null(t);
  if (!m) return nullptr;
  // Note [View grad_fn regeneration]: an in-place op through another alias of the base moved the
  // shared version on; this view's values now come from the base's (new) history.
  if (m->is_view && m->attr_version != t->version() && requires_grad(m->base)) {
    const Tensor& base = m->base;
    auto n = std::make_shared<AsStridedBackward0>(base, t.sizes(), t.strides(), t.storage_offset());
    n->set_next_edges({gradient_edge(base)});
    n->add_input_metadata(t);
    m->grad_fn = n;
    m->output_nr = 0;
    m->attr_version = t->version();
    t->set_requires_grad(true);
  }
  return m->grad_fn;
}

std::shared_ptr<Node> grad_accumulator(const Tensor& t) {
  AutogradMeta& m = meta(t);
  if (auto acc = m.grad_accumulator.lock()) return acc;
  auto acc = std::make_shared<AccumulateGrad>(t);
  acc->add_input_metadata(t);
  m.grad_accumulator = acc;
  return acc;
}

Edge gradient_edge(const Tensor& t) {
  if (!t.defined()) return Edge();
  if (auto fn = grad_fn(t)) return Edge(fn, meta_or_null(t)->output_nr);
  if (!t->requires_grad()) return Edge();
  return Edge(grad_accumulator(t), 0);
}

void set_history(const Tensor& out, const std::shared_ptr<Node>& node) {
  if (!out.defined()) return;
  uint32_t nr = node->add_input_metadata(out);
  if (!is_differentiable_dtype(out.dtype())) return;
  AutogradMeta& m = meta(out);
  m.grad_fn = node;
  m.output_nr = nr;
  if (m.is_view) m.attr_version = out->version();
  out->set_requires_grad(true);
}

void set_history(const TensorList& outs, const std::shared_ptr<Node>& node) {
  for (const Tensor& t : outs) set_history(t, node);
}

void mark_view(const Tensor& view, const Tensor& self) {
  if (view.is_same(self)) return;  // ops that may return their input unchanged
  auto* sm = meta_or_null(self);
  AutogradMeta& m = meta(view);
  m.is_view = true;
  m.base = sm && sm->is_view ? sm->base : self;
  m.attr_version = view->version();
}

void check_inplace(const Tensor& self) {
  // Note [Inference tensors] (core/tensor_impl.h): PyTorch's rule, grad mode or not.
  PE_CHECK(!self->is_inference() || InferenceMode::is_enabled(),
           "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get a "
           "normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more details.");
  if (!GradMode::is_enabled()) return;
  auto* m = meta_or_null(self);
  if (m && m->is_view) {
    const Tensor& base = m->base;
    PE_CHECK(!(base->requires_grad() && !grad_fn(base)),
             "a view of a leaf Variable that requires grad is being used in an in-place operation.");
    return;
  }
  PE_CHECK(!(self->requires_grad() && !grad_fn(self)),
           "a leaf Variable that requires grad is being used in an in-place operation.");
}

void rebase_history(const Tensor& self, const std::shared_ptr<Node>& node) {
  auto* m = meta_or_null(self);
  if (m && m->retains_grad && m->grad_fn) m->grad_fn->clear_retain_grad_hook(m->output_nr);
  if (!(m && m->is_view)) {
    m = &meta(self);
    node->add_input_metadata(self);
    m->grad_fn = node;
    m->output_nr = 0;
    self->set_requires_grad(true);
    if (m->retains_grad) install_retain_hook(self, *m);
    return;
  }
  Tensor base = m->base;
  // The in-place op's node sees the base's old history as its first input (CopySlices runs it on
  // the viewed part of the base's gradient).
  std::vector<Edge> edges = node->next_edges();
  edges[0] = gradient_edge(base);
  node->set_next_edges(edges);
  node->add_input_metadata(self);
  auto cs = std::make_shared<CopySlices>(base, self, node);
  cs->set_next_edges(std::move(edges));
  cs->add_input_metadata(base);
  AutogradMeta& bm = meta(base);
  bm.grad_fn = cs;
  bm.output_nr = 0;
  base->set_requires_grad(true);
  // The view itself: regenerated from the base's new history.
  auto vn = std::make_shared<AsStridedBackward0>(base, self.sizes(), self.strides(), self.storage_offset());
  vn->set_next_edges({Edge(cs, 0)});
  vn->add_input_metadata(self);
  m->grad_fn = vn;
  m->output_nr = 0;
  m->attr_version = self->version();
  self->set_requires_grad(true);
  if (m->retains_grad) install_retain_hook(self, *m);
}

namespace {
void install_retain_hook(const Tensor& t, AutogradMeta& m) {
  std::weak_ptr<TensorImpl> weak = t.impl_ptr();
  m.grad_fn->set_retain_grad_hook(m.output_nr, [weak](const Tensor& g) {
    auto impl = weak.lock();
    if (!impl) return Tensor();
    AutogradMeta& mm = meta(Tensor(impl));
    if (!mm.grad.defined()) {
      mm.grad = GradMode::is_enabled() ? autograd::clone(g) : ::pe::contiguous_copy(g);
    } else if (GradMode::is_enabled()) {
      mm.grad = autograd::add(mm.grad, g);
    } else {
      ::pe::add_(mm.grad, g);
    }
    return Tensor();
  });
}
}  // namespace

void retain_grad(const Tensor& t) {
  PE_CHECK(requires_grad(t), "can't retain_grad on Tensor that has requires_grad=False");
  if (!grad_fn(t)) return;  // leaves keep their grad anyway
  AutogradMeta& m = meta(t);
  if (m.retains_grad) return;
  m.retains_grad = true;
  install_retain_hook(t, m);
}

void check_out_no_grad(std::initializer_list<const Tensor*> inputs) {
  if (!GradMode::is_enabled()) return;
  for (const Tensor* t : inputs)
    PE_CHECK(!(t && requires_grad(*t)),
             "out=... arguments don't support automatic differentiation, but one of the arguments requires grad.");
}

Tensor sum_to(const Tensor& grad, const DimVector& sizes) {
  if (grad.sizes() == sizes) return grad;
  int64_t lead = grad.dim() - (int64_t)sizes.size();
  DimVector dims;
  for (int64_t d = 0; d < grad.dim(); ++d) {
    if (d < lead) {
      dims.push_back(d);
    } else if (sizes[d - lead] == 1 && grad.size(d) != 1) {
      dims.push_back(d);
    }
  }
  Tensor r = grad;
  if (!dims.empty()) r = autograd::sum(grad, dims, /*keepdim=*/true);
  if (lead > 0 || r.sizes() != sizes) r = autograd::view(r, sizes);
  return r;
}

Tensor reduce_grad(const Tensor& grad, const InputMeta& info) {
  Tensor r = sum_to(grad, info.sizes);
  if (r.dtype() != info.dtype) r = autograd::to(r, info.dtype, std::nullopt);
  return r;
}

}  // namespace pe::autograd
