// A tensor's autograd state (AutogradMeta: grad, grad_fn, output_nr, view base, leaf hooks) and the
// helpers every differentiable op uses to record itself: make_node, set_history, rebase_history,
// check_inplace. Note [Recording] says where recording happens and why.
#pragma once
#include <memory>
#include <optional>

#include "autograd/grad_mode.h"
#include "autograd/node.h"

namespace pe::autograd {

// Note [Recording]
// The op layer (csrc/ops) stays free of autograd. Each differentiable op has a wrapper in
// pe::autograd with the same name and arguments (autograd/ops_*.h): it runs the plain op and, when
// grad mode is on and an input requires grad, records a node. The Python bindings call the
// wrappers; backward formulas call them too, so create_graph=True records the backward itself and
// higher-order gradients come for free. Plain ops calling plain ops inside a kernel never record.

struct AutogradMeta : AutogradMetaBase {
  ~AutogradMeta() override { release_node(std::move(grad_fn)); }
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
  std::weak_ptr<Node> grad_accumulator;  // leaves: their AccumulateGrad (owned by the graph)
  uint32_t output_nr = 0;
  bool retains_grad = false;
  // Leaf hooks (run by AccumulateGrad before accumulating), with ids for removal.
  std::vector<std::pair<int64_t, GradHook>> leaf_hooks;
  // Differentiable views: the base this tensor views (never itself a view), and the version the
  // grad_fn was made at; when the shared version moved on (an in-place op through another alias),
  // grad_fn is regenerated as AsStridedBackward0 of the base's current grad_fn.
  bool is_view = false;
  Tensor base;
  uint32_t attr_version = 0;
  // Set by the Python layer: the Python wrapper of this tensor's grad (identity kept across reads).
};

// The meta of t, created on first use.
AutogradMeta& meta(const Tensor& t);
inline AutogradMeta* meta_or_null(const Tensor& t) {
  return static_cast<AutogradMeta*>(t->autograd_meta());
}

// A view whose base came to require grad through an in-place op elsewhere requires grad too.
inline bool requires_grad(const Tensor& t) {
  if (!t.defined()) return false;
  if (t->requires_grad()) return true;
  auto* m = meta_or_null(t);
  return m && m->is_view && m->base->requires_grad();
}
// Floating dtypes only can require grad (PyTorch also allows complex).
bool is_differentiable_dtype(DType dt);

// t.grad_fn (regenerated for a view whose base was modified in place); null for leaves.
std::shared_ptr<Node> grad_fn(const Tensor& t);
inline bool is_leaf(const Tensor& t) { return grad_fn(t) == nullptr; }
// The edge a gradient for t flows into: (grad_fn, output_nr), or the leaf's AccumulateGrad
// (created on demand), or an invalid edge when t does not require grad.
Edge gradient_edge(const Tensor& t);
std::shared_ptr<Node> grad_accumulator(const Tensor& t);

// True when grad mode is on and some defined input requires grad.
inline bool compute_requires_grad(std::initializer_list<const Tensor*> inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const Tensor* t : inputs)
    if (t && requires_grad(*t)) return true;
  return false;
}
bool compute_requires_grad(const TensorList& inputs);

// Creates node T with next edges to the inputs when compute_requires_grad(inputs); null otherwise.
// Usage in a wrapper:  if (auto n = make_node<MulBackward0>({&a, &b})) { n->... = ...; set_history(r, n); }
template <class T, class... Args>
std::shared_ptr<T> make_node(std::initializer_list<const Tensor*> inputs, Args&&... args) {
  if (!compute_requires_grad(inputs)) return nullptr;
  auto n = std::make_shared<T>(std::forward<Args>(args)...);
  std::vector<Edge> edges;
  edges.reserve(inputs.size());
  for (const Tensor* t : inputs) edges.push_back(t ? gradient_edge(*t) : Edge());
  n->set_next_edges(std::move(edges));
  return n;
}
template <class T, class... Args>
std::shared_ptr<T> make_node_list(const TensorList& inputs, Args&&... args) {
  if (!compute_requires_grad(inputs)) return nullptr;
  auto n = std::make_shared<T>(std::forward<Args>(args)...);
  std::vector<Edge> edges;
  edges.reserve(inputs.size());
  for (const Tensor& t : inputs) edges.push_back(gradient_edge(t));
  n->set_next_edges(std::move(edges));
  return n;
}

// Makes `out` the next output of `node`: out.grad_fn = node, output_nr, requires_grad. Outputs of a
// non-floating dtype are not differentiable and are left alone (their slot still counts).
void set_history(const Tensor& out, const std::shared_ptr<Node>& node);
void set_history(const TensorList& outs, const std::shared_ptr<Node>& node);

// Marks `view` (an output of a view op of `self`) as a differentiable view of self's base, so an
// in-place op on it later rebases the base's history (CopySlices). Call after set_history.
void mark_view(const Tensor& view, const Tensor& self);

// Before an in-place op on `self`: PyTorch's errors for a leaf (or a view of a leaf) that requires
// grad while grad mode is on.
void check_inplace(const Tensor& self);
// After an in-place op on `self` recorded as `node` (node's next edge 0 must be self's old
// gradient edge): self's grad_fn becomes node; for a view, the base's grad_fn becomes a CopySlices
// that applies node to the viewed part of the base's gradient. Bumps nothing: the plain op did.
void rebase_history(const Tensor& self, const std::shared_ptr<Node>& node);

// Tensor.retain_grad(): a non-leaf keeps its gradient in .grad (after its other hooks ran).
void retain_grad(const Tensor& t);

// The errors of out= with autograd: "out=... arguments don't support automatic differentiation,
// but one of the arguments requires grad."
void check_out_no_grad(std::initializer_list<const Tensor*> inputs);

// Reduces a broadcast gradient back to `sizes` (sums over the broadcast dims). Differentiable.
Tensor sum_to(const Tensor& grad, const DimVector& sizes);
// The gradient for an input described by `info` (its sizes, dtype) from a broadcast and/or type-
// promoted gradient: sum_to(sizes), then cast to the input's dtype. Differentiable.
Tensor reduce_grad(const Tensor& grad, const InputMeta& info);
inline InputMeta input_info(const Tensor& t) { return InputMeta{t.sizes(), t.dtype(), t.device()}; }

}  // namespace pe::autograd
