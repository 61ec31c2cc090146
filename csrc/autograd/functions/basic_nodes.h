// The nodes the engine and the recording helpers themselves need: AccumulateGrad (leaves),
// GraphRoot (the roots' gradients), CopySlices (an in-place op through a view, applied to the
// base's gradient), AsStridedBackward0 (a view's grad_fn regenerated after its base changed), and
// the shared NotImplementedBackward and LambdaBackward.
#pragma once
#include "autograd/node.h"

namespace pe::autograd {

// Accumulates into a leaf's .grad; the leaf's own hooks run first (Tensor.register_hook on a leaf).
class AccumulateGrad : public Node {
 public:
  explicit AccumulateGrad(Tensor variable);
  std::string name() const override { return "torch::autograd::AccumulateGrad"; }
  variable_list apply(variable_list&& grads) override;
  void apply_tensor_pre_hooks(variable_list& grads) override;
  const Tensor& variable() const { return variable_; }

 private:
  Tensor variable_;
};

// Adds `g` into the gradient slot `grad` as AccumulateGrad does (steal when possible, in place
// when grad mode is off, out of place under create_graph).
void accumulate_grad(Tensor& grad, const Tensor& g);

class GraphRoot : public Node {
 public:
  GraphRoot(std::vector<Edge> edges, variable_list grads);
  std::string name() const override { return "GraphRoot"; }
  variable_list apply(variable_list&&) override { return grads_; }

 private:
  variable_list grads_;
};

// Storage geometry of a tensor, kept without keeping the tensor alive.
struct TensorGeometry {
  DimVector sizes, strides;
  int64_t storage_offset = 0;
  DType dtype = DType::Float32;
  Device device;
  TensorGeometry() = default;
  explicit TensorGeometry(const Tensor& t)
      : sizes(t.sizes()), strides(t.strides()), storage_offset(t.storage_offset()), dtype(t.dtype()),
        device(t.device()) {}
  // A new tensor of this geometry with storage offset 0 (uninitialized).
  Tensor empty() const;
};

class CopySlices : public Node {
 public:
  CopySlices(const Tensor& base, const Tensor& view, std::shared_ptr<Node> fn);
  std::string name() const override { return "CopySlices"; }
  variable_list apply(variable_list&& grads) override;
  void release_variables() override { fn_->release_variables(); }

 private:
  TensorGeometry base_, view_;
  std::shared_ptr<Node> fn_;
};

// grad of as_strided(input, sizes, strides, offset): zeros of the input's geometry with the
// gradient summed into the viewed elements.
class AsStridedBackward0 : public Node {
 public:
  AsStridedBackward0(const Tensor& input, const DimVector& sizes, const DimVector& strides, int64_t offset);
  std::string name() const override { return "AsStridedBackward0"; }
  variable_list apply(variable_list&& grads) override;

 private:
  TensorGeometry input_;
  DimVector sizes_, strides_;
  int64_t offset_;
};

// The node of an op PyTorch has no derivative for (floor_divide, remainder/fmod with a number
// dividend, scatter with reduce=): recording works, backward through it raises.
class NotImplementedBackward : public Node {
 public:
  explicit NotImplementedBackward(std::string op) : op_(std::move(op)) {}
  std::string name() const override { return "NotImplemented"; }
  variable_list apply(variable_list&& grads) override;

 private:
  std::string op_;
};

// A node whose backward needs no saved tensors (shape ops): a name and a function of the grads.
// Never capture tensors in `fn` (they could not be released after backward).
class LambdaBackward : public Node {
 public:
  using Fn = std::function<variable_list(const LambdaBackward&, variable_list&)>;
  LambdaBackward(std::string name, Fn fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  std::string name() const override { return name_; }
  variable_list apply(variable_list&& grads) override { return fn_(*this, grads); }

 private:
  std::string name_;
  Fn fn_;
};

}  // namespace pe::autograd
