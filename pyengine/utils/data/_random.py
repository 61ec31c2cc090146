"""Random draws for the data pipeline: all come from pyengine's generators (the engine's Philox,
Note [Generators] in csrc/core/rng.h), so ``pyengine.manual_seed(s)`` or a ``pyengine.Generator``
makes shuffling, splitting, weighted sampling and worker seeds reproducible, as in PyTorch.
``generator=None`` draws from the default CPU generator. The numbers differ from PyTorch's (another
bit generator); only determinism and the distributions are the contract.
"""
from __future__ import annotations

from typing import Any

import numpy as np

import pyengine


def random_seed(generator: Any = None) -> int:
    """A 62-bit seed drawn from ``generator`` (the default generator when None); PyTorch draws one
    int64 with ``random_`` there."""
    hi, lo = pyengine.randint(0, 2 ** 31, (2,), generator=generator).tolist()
    return (hi << 31) | lo


def multinomial(weights: np.ndarray, num_samples: int, replacement: bool, generator: Any = None) -> list[int]:
    """Indices drawn with probability proportional to ``weights`` (torch.multinomial's checks and
    algorithms: inverse CDF with replacement; without, the ``num_samples`` largest keys
    log(u) / w, which is PyTorch's exponential-race sampling)."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.size == 0:
        raise RuntimeError("prob_dist must be 1 or 2 dim and non-empty")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if w.sum() <= 0:
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > w.size:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if not replacement and num_samples > np.count_nonzero(w):
        raise RuntimeError("invalid multinomial distribution (with replacement=False, not enough non-negative "
                           "category to sample)")
    u = pyengine.rand(num_samples if replacement else w.size, dtype=pyengine.float64, generator=generator).numpy()
    if replacement:
        cdf = np.cumsum(w / w.sum())
        idx = np.searchsorted(cdf, u, side="right")
        # rounding can leave cdf[-1] just below 1: such draws belong to the last category with weight
        return np.minimum(idx, np.flatnonzero(w)[-1]).tolist()
    with np.errstate(divide="ignore"):
        keys = np.log1p(-u) / w  # in (-inf, 0]; zero weights give -inf and come last
    return np.argsort(-keys, kind="stable")[:num_samples].tolist()
