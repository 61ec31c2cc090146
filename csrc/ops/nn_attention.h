// Fused scaled-dot-product attention (ops/nn_attention.cpp, kernels cpu/nn_attention_kernel.cpp and
// cuda/nn_attention.cu, Note [CUDA flash attention]): the
// forward walks key blocks with an online softmax (Note [Flash attention]) so the L x S score matrix is
// never held, and keeps each row's log-sum-exp for the backward, which recomputes the scores block by
// block. Used by nn.functional.scaled_dot_product_attention when no dropout is asked and the mask (if
// any) needs no gradient; otherwise the composite path runs.
#pragma once
#include <tuple>

#include "core/dispatch.h"
#include "core/tensor.h"

namespace pe {

// The mask as the kernels read it: element (n, i, j) of a float additive mask at
// data[(n / inner) * s_outer + (n % inner) * s_inner + i * s_row + j * s_col] (strides may be 0, so
// broadcast masks are never materialised). data == nullptr: no mask.
struct AttnMaskView {
  const void* data = nullptr;
  int64_t inner = 1, s_outer = 0, s_inner = 0, s_row = 0, s_col = 0;
};

// q (N, L, E), k (N, S, E), v (N, S, Ev), out (N, L, Ev), lse (N, L): contiguous, one float dtype.
using FlashAttentionFn = void (*)(const Tensor& out, const Tensor& lse, const Tensor& q, const Tensor& k,
                                  const Tensor& v, const AttnMaskView& mask, bool causal, double scale);
using FlashAttentionBackwardFn = void (*)(const Tensor& dq, const Tensor& dk, const Tensor& dv,
                                          const Tensor& grad_out, const Tensor& q, const Tensor& k,
                                          const Tensor& v, const Tensor& out, const Tensor& lse,
                                          const AttnMaskView& mask, bool causal, double scale);
extern DispatchStub<FlashAttentionFn> flash_attention_stub;
extern DispatchStub<FlashAttentionBackwardFn> flash_attention_backward_stub;

// query (..., L, E), key (..., S, E), value (..., S, Ev) with the same batch dims; attn_mask undefined or a
// float tensor broadcastable to (..., L, S). Returns (output (..., L, Ev), logsumexp (..., L)).
std::tuple<Tensor, Tensor> flash_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                           const Tensor& attn_mask, bool is_causal, double scale);
// Gradients of query, key and value.
std::tuple<Tensor, Tensor, Tensor> flash_attention_backward(const Tensor& grad_out, const Tensor& query,
                                                            const Tensor& key, const Tensor& value,
                                                            const Tensor& out, const Tensor& logsumexp,
                                                            const Tensor& attn_mask, bool is_causal,
                                                            double scale);

}  // namespace pe
