// The engine (engine.h).
#include "autograd/engine.h"

#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "autograd/anomaly_mode.h"
#include "autograd/functions/basic_nodes.h"
#include "autograd/ops_basic.h"
#include "autograd/variable.h"
#include "core/error.h"
#include "core/profiler_hook.h"
#include "ops/ops.h"

namespace pe::autograd {

// Note [Engine order]
// A node runs once every node that feeds it a gradient has run (dependency counts from the
// roots). Among ready nodes the one with the highest sequence number runs first: the most recently
// recorded op, so the backward walks the tape in reverse. Leaves' AccumulateGrad nodes carry the
// largest number and run as soon as they are ready.

namespace {

// A node's name in the profile. PyTorch runs no root node for a single root (it starts at that root's
// node) and names the root of several "torch::autograd::GraphRoot"; empty means "not recorded".
std::string profiled_name(const Node& fn, const Node* root, const char* prefix) {
  if (&fn != root) return prefix + fn.name();
  return fn.num_outputs() == 1 ? std::string() : prefix + std::string("torch::autograd::GraphRoot");
}

std::string shape_str(const DimVector& s) {
  std::string r = "torch.Size([";
  for (size_t i = 0; i < s.size(); ++i) r += str(i ? ", " : "", s[i]);
  return r + "])";
}

std::string sizes_str(const DimVector& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += str(i ? ", " : "", s[i]);
  return r + "]";
}

bool expandable_to(const DimVector& from, const DimVector& to) {
  if (from.size() > to.size()) return false;
  size_t lead = to.size() - from.size();
  for (size_t i = 0; i < from.size(); ++i)
    if (from[i] != 1 && from[i] != to[lead + i]) return false;
  return true;
}

struct CompareSeq {
  bool operator()(Node* a, Node* b) const { return a->sequence_nr() < b->sequence_nr(); }
};

// One backward pass: who is waiting on whom, the gradients gathered per node, what to capture.
struct GraphTask {
  bool keep_graph = false;
  std::unordered_map<Node*, int> deps;
  std::unordered_map<Node*, variable_list> buffers;
  std::unordered_map<Node*, bool> exec;  // autograd.grad: nodes on a path to an input
  // autograd.grad: (node, input_nr) -> index of the captured input
  std::unordered_map<Node*, std::vector<std::pair<uint32_t, size_t>>> captures;
  TensorList captured;
  bool capture_mode = false;
};

void add_to_buffer(variable_list& buf, size_t i, const Tensor& g, size_t n) {
  if (buf.size() < n) buf.resize(n);
  Tensor& slot = buf[i];
  if (!slot.defined()) {
    slot = g;
  } else if (GradMode::is_enabled()) {
    slot = autograd::add(slot, g);
  } else {
    slot = ::pe::add(slot, g);
  }
}

// Checks (and where PyTorch does, fixes) a gradient that goes to input `nr` of `next`.
Tensor validate(const Node& fn, size_t i, const Tensor& g, const Node& next, uint32_t nr) {
  if (nr >= next.num_inputs()) return g;
  const InputMeta& m = next.input_metadata(nr);
  Tensor r = g;
  if (r.sizes() != m.sizes) {
    PE_CHECK(expandable_to(m.sizes, r.sizes()), "Function ", fn.name(), " returned an invalid gradient at index ", i,
             " - got ", sizes_str(r.sizes()), " but expected shape compatible with ", sizes_str(m.sizes));
    r = sum_to(r, m.sizes);
  }
  if (r.dtype() != m.dtype) r = autograd::to(r, m.dtype, std::nullopt);
  return r;
}

// Dependency counts over every node reachable from the root (iterative DFS).
void compute_dependencies(Node* root, GraphTask& task) {
  std::vector<Node*> stack{root};
  std::unordered_set<Node*> seen{root};
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const Edge& e : n->next_edges()) {
      Node* next = e.function.get();
      if (!next) continue;
      task.deps[next]++;
      if (seen.insert(next).second) stack.push_back(next);
    }
  }
}

// exec[n]: some wanted input is reachable from n. Post-order over the graph, iteratively.
void compute_exec(Node* root, GraphTask& task) {
  std::unordered_map<Node*, int> state;  // 1: on the stack, 2: done
  std::vector<std::pair<Node*, size_t>> stack{{root, 0}};
  state[root] = 1;
  while (!stack.empty()) {
    auto& [n, i] = stack.back();
    if (i < n->num_outputs()) {
      Node* next = n->next_edge(i++).function.get();
      if (next && !state.count(next)) {
        state[next] = 1;
        stack.emplace_back(next, 0);
      }
      continue;
    }
    bool needed = false;
    std::vector<bool> mask(n->num_outputs(), false);
    for (size_t k = 0; k < n->num_outputs(); ++k) {
      const Edge& e = n->next_edge(k);
      Node* next = e.function.get();
      if (!next) continue;
      bool want = task.exec[next];
      auto c = task.captures.find(next);
      if (c != task.captures.end())
        for (auto& [nr, idx] : c->second)
          if (nr == e.input_nr) want = true;
      mask[k] = want;
      needed = needed || want;
    }
    task.exec[n] = needed;
    n->needed_ = std::move(mask);
    state[n] = 2;
    stack.pop_back();
  }
}

void execute(const std::shared_ptr<Node>& root, GraphTask& task) {
  compute_dependencies(root.get(), task);
  if (task.capture_mode) compute_exec(root.get(), task);
  std::priority_queue<Node*, std::vector<Node*>, CompareSeq> ready;
  ready.push(root.get());
  // Keeps nodes alive while they run: releasing saved tensors may drop the last owner of a node.
  std::vector<std::shared_ptr<Node>> alive{root};
  struct ClearMasks {  // the masks belong to this pass only
    GraphTask& t;
    ~ClearMasks() {
      for (auto& [n, e] : t.exec) n->needed_.clear();
    }
  } clear_masks{task};
  while (!ready.empty()) {
    Node* fn = ready.top();
    ready.pop();
    variable_list inputs;
    auto bit = task.buffers.find(fn);
    if (bit != task.buffers.end()) {
      inputs = std::move(bit->second);
      task.buffers.erase(bit);
    }
    inputs.resize(fn == root.get() ? 0 : fn->num_inputs());
    bool any = fn == root.get();
    for (auto& g : inputs) any = any || g.defined();
    variable_list outputs;
    if (any) {
      // Named as PyTorch's profiler names the engine's work (Note [Profiler hook]).
      profiler::RecordScope evaluate(
          [&] { return profiled_name(*fn, root.get(), "autograd::engine::evaluate_function: "); });
      fn->apply_tensor_pre_hooks(inputs);
      auto cap = task.captures.find(fn);
      if (cap != task.captures.end())
        for (auto& [nr, idx] : cap->second)
          if (nr < inputs.size() && inputs[nr].defined()) task.captured[idx] = inputs[nr];
      bool run = !task.capture_mode || fn == root.get() || task.exec[fn];
      if (run) {
        // Outputs nobody sent a gradient for count as zeros (the formulas never see undefined).
        for (size_t i = 0; i < inputs.size() && fn->materialize_grads(); ++i)
          if (!inputs[i].defined()) {
            const InputMeta& m = fn->input_metadata(i);
            TensorOptions o;
            o.dtype = m.dtype;
            o.device = m.device;
            inputs[i] = ::pe::zeros(m.sizes, o);
          }
        profiler::RecordScope apply([&] { return profiled_name(*fn, root.get(), ""); });
        outputs = fn->run_apply(std::move(inputs));
        if (AnomalyMode::is_enabled() && AnomalyMode::should_check_nan()) check_anomaly_outputs(*fn, outputs);
        if (!task.keep_graph) fn->release_variables();
        PE_CHECK(outputs.size() == fn->num_outputs() || fn->num_outputs() == 0, "function ", fn->name(),
                 " returned an incorrect number of gradients (expected ", fn->num_outputs(), ", got ", outputs.size(),
                 ")");
      }
    }
    for (size_t i = 0; i < fn->num_outputs(); ++i) {
      const Edge& e = fn->next_edge(i);
      Node* next = e.function.get();
      if (!next) continue;
      if (i < outputs.size() && outputs[i].defined() && (fn->needed_.empty() || fn->needed_[i]))
        add_to_buffer(task.buffers[next], e.input_nr, validate(*fn, i, outputs[i], *next, e.input_nr),
                      next->num_inputs());
      if (--task.deps[next] == 0) {
        alive.push_back(e.function);
        ready.push(next);
      }
    }
  }
}

// Roots' gradients: given, or ones for a scalar root; PyTorch's errors otherwise.
variable_list root_grads(const TensorList& roots, const TensorList& grad_outputs, std::vector<Edge>& edges) {
  PE_CHECK(grad_outputs.empty() || grad_outputs.size() == roots.size(), "grad can be implicitly created only for "
           "scalar outputs");
  variable_list grads;
  for (size_t i = 0; i < roots.size(); ++i) {
    const Tensor& r = roots[i];
    PE_CHECK(requires_grad(r), "element ", i, " of tensors does not require grad and does not have a grad_fn");
    Tensor g = i < grad_outputs.size() ? grad_outputs[i] : Tensor();
    if (!g.defined()) {
      PE_CHECK(r.numel() == 1, "grad can be implicitly created only for scalar outputs");
      TensorOptions o;
      o.dtype = r.dtype();
      o.device = r.device();
      g = ::pe::ones(r.sizes(), o);
    } else {
      PE_CHECK(g.sizes() == r.sizes(), "Mismatch in shape: grad_output[", i, "] has a shape of ",
               shape_str(g.sizes()), " and output[", i, "] has a shape of ", shape_str(r.sizes()), ".");
      PE_CHECK(g.device() == r.device(), "Mismatch in device: grad_output[", i, "] is on ", g.device().str(),
               " and output[", i, "] is on ", r.device().str(), ".");
    }
    edges.push_back(gradient_edge(r));
    grads.push_back(g);
  }
  return grads;
}

TensorList run_backward(const TensorList& roots, const TensorList& grad_outputs, bool keep_graph, bool create_graph,
                        const TensorList& inputs, bool accumulate, bool allow_unused) {
  std::vector<Edge> edges;
  variable_list grads = root_grads(roots, grad_outputs, edges);
  auto root = std::make_shared<GraphRoot>(edges, grads);
  GraphTask task;
  task.keep_graph = keep_graph;
  std::vector<Edge> input_edges;
  if (!inputs.empty()) {
    task.capture_mode = true;
    task.captured.resize(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      PE_CHECK(requires_grad(inputs[i]), "One of the differentiated Tensors does not require grad");
      Edge e = gradient_edge(inputs[i]);
      input_edges.push_back(e);
      task.captures[e.function.get()].emplace_back(e.input_nr, i);
    }
  }
  {
    AutoGradMode mode(create_graph);
    execute(root, task);
  }
  if (!inputs.empty()) {
    for (size_t i = 0; i < inputs.size(); ++i)
      PE_CHECK(task.captured[i].defined() || allow_unused || accumulate,
               "One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True "
               "if this is the desired behavior.");
    if (accumulate) {  // backward(inputs=...): accumulate into exactly these tensors' .grad
      AutoGradMode mode(create_graph);
      for (size_t i = 0; i < inputs.size(); ++i)
        if (task.captured[i].defined()) accumulate_grad(meta(inputs[i]).grad, task.captured[i]);
    }
  }
  return task.captured;
}

}  // namespace

void backward(const TensorList& roots, const TensorList& grad_outputs, bool keep_graph, bool create_graph,
              const TensorList& inputs) {
  run_backward(roots, grad_outputs, keep_graph, create_graph, inputs, /*accumulate=*/true, true);
}

TensorList grad(const TensorList& roots, const TensorList& grad_outputs, const TensorList& inputs, bool keep_graph,
                bool create_graph, bool allow_unused) {
  return run_backward(roots, grad_outputs, keep_graph, create_graph, inputs, /*accumulate=*/false, allow_unused);
}

}  // namespace pe::autograd
