"""The recurrence shared by nn.RNN/LSTM/GRU and their cells: one layer, one direction at a time.

The input projection of every time step is one GEMM (``x @ W_ih^T + b_ih`` over all steps at once); each
step then does one GEMM for the hidden projection and the gate arithmetic. Packed sequences are handled
by the batch sizes of the steps (sorted, non-increasing, as ``pack_padded_sequence`` makes them): rows
whose sequence has ended keep their last state, exactly as PyTorch's packed recurrence.

Two forms of the same recurrence: the fused C++ layer (``_C._rnn_layer``, Note [RNN layer] in
csrc/ops/nn_rnn.cpp: the time loop in C++, one autograd node per layer and direction) for float32/float64
on the CPU and on cuda (gate kernels in cuda/nn_rnn.cu), and the composite one below, written with
differentiable ops, for everything else and for double backward (``set_fused(False)``). The cells
(nn.LSTMCell, ...) use the composite step functions.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import pyengine as torch
from pyengine import Tensor
from pyengine.nn import functional as F


def gates_lstm(gi: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh: Optional[Tensor],
               w_hr: Optional[Tensor]) -> Tuple[Tensor, Tensor]:
    """One LSTM step: ``gi`` is the input projection (with b_ih) of this step."""
    gates = gi + F.linear(h, w_hh, b_hh)
    i, f, g, o = gates.chunk(4, 1)
    c_next = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h_next = torch.sigmoid(o) * torch.tanh(c_next)
    if w_hr is not None:
        h_next = F.linear(h_next, w_hr)
    return h_next, c_next


def gates_gru(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Optional[Tensor]) -> Tensor:
    gh = F.linear(h, w_hh, b_hh)
    i_r, i_z, i_n = gi.chunk(3, 1)
    h_r, h_z, h_n = gh.chunk(3, 1)
    r = torch.sigmoid(i_r + h_r)
    z = torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return n + z * (h - n)  # (1 - z) * n + z * h


def gates_rnn(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Optional[Tensor], relu: bool) -> Tensor:
    pre = gi + F.linear(h, w_hh, b_hh)
    return torch.relu(pre) if relu else torch.tanh(pre)


def run_layer(mode: str, steps: Sequence[Tensor], h0: Tensor, c0: Optional[Tensor],
              weights: Sequence[Optional[Tensor]], reverse: bool
              ) -> Tuple[List[Tensor], Tensor, Optional[Tensor]]:
    """Runs one layer in one direction.

    ``steps[t]`` holds the input projections of step t for its first ``steps[t].size(0)`` batch rows
    (sizes non-increasing in t). Returns the per-step outputs (same row counts) and the final (h, c)
    of every batch row.
    """
    w_hh, b_hh, w_hr = weights[1], weights[3], weights[4]
    lstm = mode == "LSTM"
    batch = h0.size(0)
    order = range(len(steps) - 1, -1, -1) if reverse else range(len(steps))
    outputs: List[Optional[Tensor]] = [None] * len(steps)
    if reverse:
        # Going backwards the batch grows: rows join with their initial state when their sequence starts.
        first = steps[-1].size(0) if steps else 0
        h = h0[:first]
        c = c0[:first] if lstm else None
        for t in order:
            rows = steps[t].size(0)
            if rows > h.size(0):
                h = torch.cat([h, h0[h.size(0):rows]])
                if lstm:
                    c = torch.cat([c, c0[c.size(0):rows]])
            h, c = _step(mode, steps[t], h, c, w_hh, b_hh, w_hr)
            outputs[t] = h
        if h.size(0) < batch:  # rows with empty sequences keep their initial state
            h = torch.cat([h, h0[h.size(0):]])
            if lstm:
                c = torch.cat([c, c0[c.size(0):]])
        return outputs, h, c
    h, c = h0, c0
    finished_h: List[Tensor] = []
    finished_c: List[Tensor] = []
    for t in order:
        rows = steps[t].size(0)
        if rows < h.size(0):  # sequences that ended: their state is final
            finished_h.append(h[rows:])
            h = h[:rows]
            if lstm:
                finished_c.append(c[rows:])
                c = c[:rows]
        h, c = _step(mode, steps[t], h, c, w_hh, b_hh, w_hr)
        outputs[t] = h
    if finished_h:
        h = torch.cat([h] + finished_h[::-1])
        if lstm:
            c = torch.cat([c] + finished_c[::-1])
    return outputs, h, c


def _step(mode: str, gi: Tensor, h: Tensor, c: Optional[Tensor], w_hh: Tensor, b_hh: Optional[Tensor],
          w_hr: Optional[Tensor]) -> Tuple[Tensor, Optional[Tensor]]:
    if mode == "LSTM":
        return gates_lstm(gi, h, c, w_hh, b_hh, w_hr)
    if mode == "GRU":
        return gates_gru(gi, h, w_hh, b_hh), None
    return gates_rnn(gi, h, w_hh, b_hh, mode == "RNN_RELU"), None


_fused = True


def set_fused(enabled: bool) -> None:
    """Use the fused C++ recurrence (default) or the composite one (needed for double backward)."""
    global _fused
    _fused = bool(enabled)


def _fused_applies(x: Tensor) -> bool:
    return _fused and x.device.type in ("cpu", "cuda") and x.dtype in (torch.float32, torch.float64)


def split_steps(x: Tensor, batch_sizes: Optional[Sequence[int]]) -> List[Tensor]:
    """Per-step slices of a (T, B, F) tensor, or of packed data (sum of batch sizes, F)."""
    if batch_sizes is None:
        return list(x.unbind(0))
    out, offset = [], 0
    for bs in batch_sizes:
        out.append(x[offset:offset + bs])
        offset += bs
    return out


def join_steps(outputs: Sequence[Tensor], packed: bool) -> Tensor:
    return torch.cat(list(outputs)) if packed else torch.stack(list(outputs))


def run_stack(mode: str, x: Tensor, batch_sizes: Optional[Sequence[int]], h0: Tensor,
              c0: Optional[Tensor], layers: Sequence[Sequence[Sequence[Optional[Tensor]]]],
              dropout: float, training: bool) -> Tuple[Tensor, Tensor, Optional[Tensor]]:
    """Every layer and direction. ``x``: (T, B, F) or packed data; ``layers[l][d]``: the weights
    (w_ih, w_hh, b_ih, b_hh, w_hr) of layer l, direction d. h0/c0: (layers * directions, B, H)."""
    packed = batch_sizes is not None
    num_dirs = len(layers[0])
    hs: List[Tensor] = []
    cs: List[Tensor] = []
    for layer, directions in enumerate(layers):
        if layer > 0 and dropout > 0 and training:
            x = F.dropout(x, dropout, True)
        outs = []
        for d, weights in enumerate(directions):
            idx = layer * num_dirs + d
            # One GEMM projects the input of every step.
            proj = F.linear(x, weights[0], weights[2])
            c_init = c0[idx] if c0 is not None else None
            if _fused_applies(proj):
                sizes = list(batch_sizes) if packed else [proj.size(1)] * proj.size(0)
                out, h, c = torch._C._rnn_layer(mode, proj.reshape(-1, proj.size(-1)), sizes, h0[idx], c_init,
                                                weights[1], weights[3], weights[4], d == 1)
                outs.append(out if packed else out.reshape(proj.size(0), proj.size(1), out.size(-1)))
            else:
                outputs, h, c = run_layer(mode, split_steps(proj, batch_sizes), h0[idx], c_init, weights,
                                          reverse=d == 1)
                outs.append(join_steps(outputs, packed))
            hs.append(h)
            if c is not None:
                cs.append(c)
        x = outs[0] if num_dirs == 1 else torch.cat(outs, -1)
    return x, torch.stack(hs), torch.stack(cs) if cs else None
