"""Shared by the linalg/nn autograd tests: float64 leaves in a chosen memory layout."""
import numpy as np

import pyengine as pe


def leaf(a, layout="contiguous"):
    """A float64 pyengine leaf requiring grad equal to `a`, in the given memory layout."""
    a = np.asarray(a, dtype=np.float64)
    if layout == "transposed" and a.ndim >= 2:
        t = pe.tensor(np.ascontiguousarray(np.swapaxes(a, -1, -2))).transpose(-1, -2)
    elif layout == "strided" and a.ndim >= 1:
        buf = np.zeros(a.shape[:-1] + (2 * a.shape[-1],))
        buf[..., ::2] = a
        t = pe.tensor(buf)[..., ::2]
    else:
        t = pe.tensor(a)
    return t.requires_grad_()


def name(t):
    return t.grad_fn.name()
