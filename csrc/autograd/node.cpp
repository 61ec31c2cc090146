// Node: sequence numbers, input metadata, hooks, and run() (hooks around apply()).
#include "autograd/node.h"

#include <atomic>

namespace pe::autograd {

namespace {
thread_local uint64_t t_sequence_nr = 0;
std::atomic<int64_t> g_hook_id{1};
}  // namespace

uint64_t next_sequence_nr() { return t_sequence_nr++; }

Node::Node() : sequence_nr_(next_sequence_nr()) {}
// Note [Iterative release]
// A long chain of nodes would be freed recursively (each node, or each tensor's meta, dropping the
// last owner of the next node), one stack frame per node. Instead nodes about to be dropped are
// queued and released in a loop by the outermost release.
void release_node(std::shared_ptr<Node>&& node) {
  thread_local std::vector<std::shared_ptr<Node>> pending;
  thread_local bool draining = false;
  if (!node) return;
  pending.push_back(std::move(node));
  if (draining) return;
  draining = true;
  while (!pending.empty()) {
    std::shared_ptr<Node> n = std::move(pending.back());
    pending.pop_back();
    n.reset();  // may queue more
  }
  draining = false;
}

Node::~Node() {
  for (auto& e : next_edges_) release_node(std::move(e.function));
}

bool Node::should_compute_output(size_t i) const {
  if (i >= next_edges_.size() || !next_edges_[i].is_valid()) return false;
  return needed_.empty() || needed_[i];
}

bool Node::any_output_needed() const {
  for (size_t i = 0; i < next_edges_.size(); ++i)
    if (should_compute_output(i)) return true;
  return false;
}

uint32_t Node::add_input_metadata(const Tensor& t) {
  input_meta_.push_back(InputMeta{t.sizes(), t.dtype(), t.device()});
  return (uint32_t)(input_meta_.size() - 1);
}

uint32_t Node::add_input_metadata(InputMeta m) {
  input_meta_.push_back(std::move(m));
  return (uint32_t)(input_meta_.size() - 1);
}

int64_t Node::add_tensor_hook(uint32_t input_nr, GradHook h) {
  int64_t id = g_hook_id++;
  tensor_hooks_.push_back(TensorHook{id, input_nr, std::move(h)});
  return id;
}

bool Node::remove_tensor_hook(int64_t id) {
  for (auto it = tensor_hooks_.begin(); it != tensor_hooks_.end(); ++it)
    if (it->id == id) {
      tensor_hooks_.erase(it);
      return true;
    }
  return false;
}

void Node::clear_retain_grad_hook(uint32_t input_nr) {
  for (auto it = retain_hooks_.begin(); it != retain_hooks_.end();)
    it = it->first == input_nr ? retain_hooks_.erase(it) : it + 1;
}

int64_t Node::add_pre_hook(NodePreHook h) {
  int64_t id = g_hook_id++;
  pre_hooks_.emplace_back(id, std::move(h));
  return id;
}

int64_t Node::add_post_hook(NodePostHook h) {
  int64_t id = g_hook_id++;
  post_hooks_.emplace_back(id, std::move(h));
  return id;
}

bool Node::remove_node_hook(int64_t id) {
  for (auto it = pre_hooks_.begin(); it != pre_hooks_.end(); ++it)
    if (it->first == id) {
      pre_hooks_.erase(it);
      return true;
    }
  for (auto it = post_hooks_.begin(); it != post_hooks_.end(); ++it)
    if (it->first == id) {
      post_hooks_.erase(it);
      return true;
    }
  return false;
}

int64_t new_hook_id() { return g_hook_id++; }

void Node::apply_tensor_pre_hooks(variable_list& grads) {
  // Copies: a hook may remove itself (or others) while running.
  if (!tensor_hooks_.empty()) {
    auto hooks = tensor_hooks_;
    for (auto& h : hooks) {
      if (h.input_nr >= grads.size() || !grads[h.input_nr].defined()) continue;
      Tensor r = h.fn(grads[h.input_nr]);
      if (r.defined()) grads[h.input_nr] = r;
    }
  }
  // retain_grad() sees the gradient after every other hook (as PyTorch).
  if (!retain_hooks_.empty()) {
    auto hooks = retain_hooks_;
    for (auto& h : hooks)
      if (h.first < grads.size() && grads[h.first].defined()) h.second(grads[h.first]);
  }
}

variable_list Node::run_apply(variable_list&& grads) {
  if (!pre_hooks_.empty()) {
    auto hooks = pre_hooks_;
    for (auto& h : hooks) {
      variable_list r = h.second(grads);
      if (!r.empty()) grads = std::move(r);
    }
  }
  if (post_hooks_.empty()) return apply(std::move(grads));
  variable_list inputs = grads;
  variable_list out = apply(std::move(grads));
  auto hooks = post_hooks_;
  for (auto& h : hooks) {
    variable_list r = h.second(out, inputs);
    if (!r.empty()) out = std::move(r);
  }
  return out;
}

variable_list Node::run(variable_list&& grads) {
  apply_tensor_pre_hooks(grads);
  return run_apply(std::move(grads));
}

}  // namespace pe::autograd
