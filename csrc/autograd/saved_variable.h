// SavedVariable: a tensor a node keeps for its backward. It remembers the version at save time
// (modifying it in place afterwards makes unpack() raise PyTorch's error), and for a tensor that is
// an output of the saving node it keeps only a weak link to that node, so no reference cycle
// output -> grad_fn -> saved output exists (Note [Saved outputs] in saved_variable.cpp).
#pragma once
#include <memory>

#include "autograd/node.h"

namespace pe::autograd {

class SavedVariable {
 public:
  SavedVariable() = default;
  // is_output: t is an output of the node that saves it.
  SavedVariable(const Tensor& t, bool is_output);

  // The saved tensor, with its autograd history restored (so create_graph can differentiate
  // through it). Throws the "modified by an inplace operation" and "backward through the graph a
  // second time" errors. An undefined saved tensor unpacks to an undefined tensor.
  Tensor unpack() const;
  // Frees the data (after backward without retain_graph).
  void reset_data();
  bool defined() const { return was_defined_; }

 private:
  Tensor data_;               // the tensor (inputs) or an alias without autograd meta (outputs)
  std::weak_ptr<Node> weak_grad_fn_;  // outputs: the node that made them
  std::shared_ptr<Node> grad_fn_;     // non-leaf inputs: their grad_fn at save time
  std::weak_ptr<Node> grad_accumulator_;
  uint32_t saved_version_ = 0;
  uint32_t output_nr_ = 0;
  bool was_defined_ = false;
  bool is_output_ = false;
  bool is_leaf_ = false;
  bool requires_grad_ = false;
  bool released_ = false;
};

}  // namespace pe::autograd
