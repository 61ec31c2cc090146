"""Attention for nn.functional: scaled_dot_product_attention and multi_head_attention_forward.

Written from differentiable ops (matmul, softmax, masked_fill), so autograd, double backward and every
device come for free. Rows whose keys are all masked give zeros (PyTorch's "safe softmax"), not NaN.
"""
from __future__ import annotations

import math
from typing import Optional, Tuple

import pyengine
from pyengine import Tensor

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _safe_softmax(scores: Tensor) -> Tensor:
    """softmax over the last dim; a row that is -inf everywhere gives zeros (as PyTorch's math path)."""
    all_masked = (scores == float("-inf")).all(-1, keepdim=True)
    # Fully masked rows: softmax of finite scores there (no NaN forward or backward), then zeros. No
    # data-dependent branch, so no device-to-host synchronisation.
    probs = pyengine.softmax(scores.masked_fill(all_masked, 0.0), -1)
    probs = probs.masked_fill(all_masked, 0.0)
    return probs


def _mask_to_bias(mask: Optional[Tensor], dtype, allowed_when_true: bool) -> Optional[Tensor]:
    """A float additive mask; bool masks become 0 / -inf (``allowed_when_true``: SDPA's convention, True
    attends; MultiheadAttention's is the opposite, True is masked out)."""
    if mask is None:
        return None
    if mask.dtype == pyengine.bool:
        blocked = mask.logical_not() if allowed_when_true else mask
        return pyengine.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(blocked, float("-inf"))
    if not mask.is_floating_point():
        raise AssertionError(f"only bool and floating types of masks are supported, got {mask.dtype}")
    return mask.to(dtype)


def _fused_applies(query: Tensor, key: Tensor, value: Tensor, attn_mask: Optional[Tensor], dropout_p: float) -> bool:
    """The fused kernel (online softmax, no L x S matrix) serves what it can differentiate: no dropout, a mask
    that needs no gradient, the same batch dims everywhere, float32/float64 on the CPU or cuda (Note [CUDA flash
    attention] in cuda/nn_attention.cu)."""
    return (dropout_p == 0.0 and query.device.type in ("cpu", "cuda")
            and query.dtype in (pyengine.float32, pyengine.float64)
            and (attn_mask is None or not attn_mask.requires_grad)
            and query.shape[:-2] == key.shape[:-2] == value.shape[:-2])


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Optional[Tensor] = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: Optional[float] = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q K^T * scale + mask) V over the last two dims, with PyTorch's masks and GQA."""
    if query.dim() < 2 or key.dim() < 2 or value.dim() < 2:
        raise RuntimeError(f"scaled_dot_product_attention: expected query, key and value to be at least 2-D, "
                           f"got {query.dim()}-D, {key.dim()}-D and {value.dim()}-D")
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{query.dtype} key.dtype: {key.dtype} and value.dtype: {value.dtype} instead.")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                           "is_causal=True")
    L, S = query.size(-2), key.size(-2)
    scale_factor = 1.0 / math.sqrt(query.size(-1)) if scale is None else scale
    if enable_gqa and query.dim() >= 3 and key.size(-3) != query.size(-3):
        if query.size(-3) % key.size(-3) != 0 or query.size(-3) % value.size(-3) != 0:
            raise RuntimeError(f"Number of heads in key and value must divide the number of heads in query "
                               f"({query.size(-3)} vs {key.size(-3)} and {value.size(-3)})")
        key = key.repeat_interleave(query.size(-3) // key.size(-3), -3)
        value = value.repeat_interleave(query.size(-3) // value.size(-3), -3)
    if _fused_applies(query, key, value, attn_mask, dropout_p):
        bias = _mask_to_bias(attn_mask, query.dtype, allowed_when_true=True)
        return pyengine._C._flash_attention(query, key, value, bias, is_causal, scale_factor)
    scores = pyengine.matmul(query, key.transpose(-2, -1)) * scale_factor
    if is_causal:
        causal = pyengine.ones(L, S, dtype=pyengine.bool, device=query.device).tril(0)
        scores = scores.masked_fill(causal.logical_not(), float("-inf"))
    bias = _mask_to_bias(attn_mask, scores.dtype, allowed_when_true=True)
    if bias is not None:
        scores = scores + bias
    probs = _safe_softmax(scores)
    if dropout_p > 0.0:
        probs = pyengine.nn.functional.dropout(probs, dropout_p, True)
    return pyengine.matmul(probs, value)


def _in_projection(query: Tensor, key: Tensor, value: Tensor, w: Tuple[Tensor, Tensor, Tensor],
                   b: Tuple[Optional[Tensor], Optional[Tensor], Optional[Tensor]]) -> Tuple[Tensor, Tensor, Tensor]:
    linear = pyengine.nn.functional.linear
    if query is key and key is value and w[0].shape == w[1].shape == w[2].shape:
        # Self-attention: one GEMM for q, k and v.
        weight = pyengine.cat(list(w))
        bias = None if b[0] is None else pyengine.cat(list(b))
        return linear(query, weight, bias).chunk(3, -1)
    return linear(query, w[0], b[0]), linear(key, w[1], b[1]), linear(value, w[2], b[2])


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Optional[Tensor], in_proj_bias: Optional[Tensor], bias_k: Optional[Tensor],
        bias_v: Optional[Tensor], add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
        out_proj_bias: Optional[Tensor], training: bool = True, key_padding_mask: Optional[Tensor] = None,
        need_weights: bool = True, attn_mask: Optional[Tensor] = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Optional[Tensor] = None, k_proj_weight: Optional[Tensor] = None,
        v_proj_weight: Optional[Tensor] = None, static_k: Optional[Tensor] = None,
        static_v: Optional[Tensor] = None, average_attn_weights: bool = True, is_causal: bool = False
) -> Tuple[Tensor, Optional[Tensor]]:
    """PyTorch's multi-head attention on (L, N, E) inputs (or unbatched (L, E))."""
    is_batched = query.dim() == 3
    if query.dim() not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.dim()}-D "
                             f"query tensor")
    if key.dim() != query.dim() or value.dim() != query.dim():
        raise AssertionError(f"For {'batched (3-D)' if is_batched else 'unbatched (2-D)'} `query`, expected "
                             f"`key` and `value` to be {query.dim()}-D but found {key.dim()}-D and "
                             f"{value.dim()}-D tensors respectively")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer "
                           "module method `generate_square_subsequent_mask` to create this mask.")
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.size(0)
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if key.shape[:2] != value.shape[:2]:
        raise AssertionError(f"key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}")
    dtype = query.dtype
    if use_separate_proj_weight:
        weights = (q_proj_weight, k_proj_weight, v_proj_weight)
    else:
        weights = tuple(in_proj_weight.chunk(3))
    biases = (None, None, None) if in_proj_bias is None else tuple(in_proj_bias.chunk(3))
    q, k, v = _in_projection(query, key, value, weights, biases)

    attn_bias = _mask_to_bias(attn_mask, dtype, allowed_when_true=False)
    if attn_bias is not None:
        if attn_bias.dim() == 2:
            if tuple(attn_bias.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(attn_bias.shape)}, but should be "
                                   f"{(tgt_len, src_len)}.")
            attn_bias = attn_bias.unsqueeze(0)
        elif attn_bias.dim() == 3:
            if tuple(attn_bias.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {tuple(attn_bias.shape)}, but should be "
                                   f"{(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_bias.dim()} is not supported")
    kpm_bias = _mask_to_bias(key_padding_mask, dtype, allowed_when_true=False)

    pad = pyengine.nn.functional.pad
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key/value.")
        k = pyengine.cat([k, bias_k.repeat(1, bsz, 1)])
        v = pyengine.cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_bias is not None:
            attn_bias = pad(attn_bias, (0, 1))
        if kpm_bias is not None:
            kpm_bias = pad(kpm_bias, (0, 1))
    elif (bias_k is None) != (bias_v is None):
        raise AssertionError("bias_k and bias_v must both be given or both be None")

    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = (k.reshape(k.size(0), bsz * num_heads, head_dim).transpose(0, 1) if static_k is None else static_k)
    v = (v.reshape(v.size(0), bsz * num_heads, head_dim).transpose(0, 1) if static_v is None else static_v)
    if add_zero_attn:
        zeros = pyengine.zeros(bsz * num_heads, 1, head_dim, dtype=dtype, device=q.device)
        k = pyengine.cat([k, zeros], 1)
        v = pyengine.cat([v, zeros], 1)
        if attn_bias is not None:
            attn_bias = pad(attn_bias, (0, 1))
        if kpm_bias is not None:
            kpm_bias = pad(kpm_bias, (0, 1))
    src_len = k.size(1)
    if kpm_bias is not None:
        if tuple(kpm_bias.shape) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                                 f"{tuple(kpm_bias.shape)}")
        kpm_bias = kpm_bias.reshape(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1)
        kpm_bias = kpm_bias.reshape(bsz * num_heads, 1, src_len)
        attn_bias = kpm_bias if attn_bias is None else attn_bias + kpm_bias
    if not training:
        dropout_p = 0.0

    scores = pyengine.bmm(q * math.sqrt(1.0 / head_dim), k.transpose(-2, -1))
    if attn_bias is not None:
        scores = scores + attn_bias
    weights_ = _safe_softmax(scores)
    if dropout_p > 0.0:
        weights_ = pyengine.nn.functional.dropout(weights_, dropout_p, True)
    out = pyengine.bmm(weights_, v)  # (bsz * heads, tgt, head_dim)
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = pyengine.nn.functional.linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if not is_batched:
        out = out.squeeze(1)
    if not need_weights:
        return out, None
    attn = weights_.reshape(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        attn = attn.mean(1)
    if not is_batched:
        attn = attn.squeeze(0)
    return out, attn
