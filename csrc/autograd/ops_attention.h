// Differentiable wrapper of the fused attention (ops/nn_attention.h), recorded as PyTorch's CPU node
// ScaledDotProductFlashAttentionForCpuBackward0. Its backward is the fused backward kernel; a second
// derivative through it raises, as in PyTorch.
#pragma once
#include "ops/nn_attention.h"

namespace pe::autograd {

// Output of scaled-dot-product attention (no dropout); attn_mask: undefined or a float mask that needs
// no gradient (the composite path serves masks that do).
Tensor flash_attention(const Tensor& query, const Tensor& key, const Tensor& value, const Tensor& attn_mask,
                       bool is_causal, double scale);

}  // namespace pe::autograd
