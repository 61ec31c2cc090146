// Node and Edge: the recorded graph (the tape). A Node is the backward of one forward op: it takes
// the gradients of the op's outputs and returns the gradients of its inputs, which flow along
// next_edges() to the nodes that produced those inputs. Every node gets a sequence number when it is
// created; the engine runs ready nodes latest-first (Note [Engine order] in engine.cpp).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace pe::autograd {

class Node;
using variable_list = std::vector<Tensor>;

// Where a gradient goes: input `input_nr` of `function` (undefined function: no gradient needed).
struct Edge {
  std::shared_ptr<Node> function;
  uint32_t input_nr = 0;
  Edge() = default;
  Edge(std::shared_ptr<Node> f, uint32_t nr) : function(std::move(f)), input_nr(nr) {}
  bool is_valid() const { return function != nullptr; }
};

// Shape, dtype and device of one forward output (one input of the node): the engine checks the
// gradients it receives against it and makes zeros from it when no gradient reached that output.
struct InputMeta {
  DimVector sizes;
  DType dtype = DType::Float32;
  Device device;
};

// A hook on the gradient flowing into one input of a node (tensor hooks of non-leaf tensors live
// here). It may return an undefined tensor to keep the gradient unchanged.
using GradHook = std::function<Tensor(const Tensor&)>;
// Hooks on the whole node: pre (grad_outputs) may replace them; post (grad_inputs, grad_outputs).
using NodePreHook = std::function<variable_list(const variable_list&)>;
using NodePostHook = std::function<variable_list(const variable_list&, const variable_list&)>;

class Node : public std::enable_shared_from_this<Node> {
 public:
  Node();
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // PyTorch's name of this node type ("MulBackward0").
  virtual std::string name() const = 0;
  // grads[i] is the gradient of forward output i (never undefined: the engine fills zeros); returns
  // one gradient per next edge (undefined where should_compute_output(i) is false).
  virtual variable_list apply(variable_list&& grads) = 0;
  // Frees saved tensors after a backward without retain_graph.
  virtual void release_variables() {}
  // Whether outputs that got no gradient reach apply() as zeros (true) or undefined (a custom
  // Function with ctx.set_materialize_grads(False) sees None).
  virtual bool materialize_grads() const { return true; }

  uint64_t sequence_nr() const { return sequence_nr_; }
  void set_sequence_nr(uint64_t s) { sequence_nr_ = s; }

  const std::vector<Edge>& next_edges() const { return next_edges_; }
  const Edge& next_edge(size_t i) const { return next_edges_[i]; }
  size_t num_outputs() const { return next_edges_.size(); }
  void set_next_edges(std::vector<Edge> edges) { next_edges_ = std::move(edges); }
  void add_next_edge(Edge e) { next_edges_.push_back(std::move(e)); }
  // Whether gradient i is wanted: its edge is valid and (in autograd.grad) leads to a wanted input.
  bool should_compute_output(size_t i) const;
  bool any_output_needed() const;

  // One forward output of this node; returns its index (the tensor's output_nr).
  uint32_t add_input_metadata(const Tensor& t);
  uint32_t add_input_metadata(InputMeta m);
  const InputMeta& input_metadata(size_t i) const { return input_meta_[i]; }
  size_t num_inputs() const { return input_meta_.size(); }

  // Tensor hooks on input i (Tensor.register_hook on a non-leaf); returns an id for removal.
  int64_t add_tensor_hook(uint32_t input_nr, GradHook h);
  bool remove_tensor_hook(int64_t id);
  // retain_grad() of input i runs after the other hooks: it stores the final gradient.
  void set_retain_grad_hook(uint32_t input_nr, GradHook h) { retain_hooks_.emplace_back(input_nr, std::move(h)); }
  void clear_retain_grad_hook(uint32_t input_nr);
  int64_t add_pre_hook(NodePreHook h);
  int64_t add_post_hook(NodePostHook h);
  bool remove_node_hook(int64_t id);

  // What the engine calls: tensor hooks (may replace grads; the engine captures the result for
  // autograd.grad), then node pre-hooks, apply() and post-hooks. run() is both.
  virtual void apply_tensor_pre_hooks(variable_list& grads);
  variable_list run_apply(variable_list&& grads);
  variable_list run(variable_list&& grads);
  bool has_post_hooks() const { return !post_hooks_.empty(); }

  // Set by the engine for autograd.grad: which next edges lead to wanted inputs (empty: all).
  std::vector<bool> needed_;
  // Arbitrary Python-side data (grad_fn.metadata); owned by the Python layer.
  std::shared_ptr<void> py_metadata;

 protected:
  uint64_t sequence_nr_;
  std::vector<Edge> next_edges_;
  std::vector<InputMeta> input_meta_;

 private:
  struct TensorHook { int64_t id; uint32_t input_nr; GradHook fn; };
  std::vector<TensorHook> tensor_hooks_;
  std::vector<std::pair<uint32_t, GradHook>> retain_hooks_;
  std::vector<std::pair<int64_t, NodePreHook>> pre_hooks_;
  std::vector<std::pair<int64_t, NodePostHook>> post_hooks_;
};

// Drops a reference to a node without recursion (Note [Iterative release] in node.cpp).
void release_node(std::shared_ptr<Node>&& node);
// A fresh id for a hook handle (shared by node and leaf hooks).
int64_t new_hook_id();
// Next sequence number of this thread (what PyTorch's nodes take at construction).
uint64_t next_sequence_nr();

}  // namespace pe::autograd
