// Shared by the autograd binding files: nodes as Python objects, Python callables as hooks, and the
// node of a Python custom Function (PyNode).
#pragma once
#include "autograd/node.h"
#include "autograd/saved_variable.h"
#include "python/common.h"

namespace pe::python {

// A Python handle on a node: strong for built-in nodes, weak for the ctx of a custom Function (the
// node owns its ctx, so a strong link back would be a cycle).
struct NodeRef {
  std::shared_ptr<autograd::Node> strong;
  std::weak_ptr<autograd::Node> weak;
  std::shared_ptr<autograd::Node> get() const;
};

// The node of a custom autograd.Function: calls the Python backward with the ctx.
class PyNode : public autograd::Node {
 public:
  PyNode(py::object ctx, std::string name) : ctx_(std::move(ctx)), name_(std::move(name)) {}
  ~PyNode() override;
  std::string name() const override { return name_; }
  autograd::variable_list apply(autograd::variable_list&& grads) override;
  void release_variables() override;
  bool materialize_grads() const override;

  py::object ctx_;
  std::string name_;
  std::vector<autograd::SavedVariable> saved_;
  std::vector<bool> is_tensor_input_;
  bool released_ = false;
};

// The Python object for a node: the ctx for a custom Function, otherwise a wrapper whose class is
// named after the node (pyengine.autograd.graph), the same object while it is alive.
py::object node_to_py(const std::shared_ptr<autograd::Node>& n);
// A Python callable as a gradient hook (None result: keep the gradient).
autograd::GradHook py_grad_hook(py::function fn);
// A handle whose remove() runs `remove` (Tensor.register_hook, Node.register_hook).
py::object make_hook_handle(std::function<void()> remove);
// Undefined tensors as None, and back.
py::object tensor_or_none(const Tensor& t);
py::tuple to_py_tuple(const autograd::variable_list& v);

}  // namespace pe::python
