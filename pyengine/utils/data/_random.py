"""Random numbers for the data pipeline: a seedable ``Generator`` and the draws the samplers need.

The C++ core has one generator per device but no Python ``Generator`` object yet, and samplers,
``random_split`` and ``DataLoader(generator=...)`` take one. This is a CPU generator built on
numpy's counter-based Philox bit generator: ``Generator().manual_seed(s)`` gives the same stream
every time, and with ``generator=None`` each draw is seeded from pyengine's global RNG, so that
``pyengine.manual_seed(s)`` alone makes shuffling and splitting reproducible (as in PyTorch).
The numbers differ from PyTorch's; only the determinism and the distributions are the contract.
"""
from __future__ import annotations

import pickle
from typing import Any

import numpy as np

import pyengine

# PyTorch's default seed for a fresh torch.Generator().
_DEFAULT_SEED = 67280421310721


class Generator:
    """A CPU random generator (``torch.Generator`` API): manual_seed, seed, initial_seed, get/set_state."""

    def __init__(self, device: Any = "cpu") -> None:
        dev = pyengine.device(device) if not isinstance(device, pyengine.device) else device
        if dev.type != "cpu":
            raise RuntimeError(f"pyengine.Generator: only CPU generators exist for now, got device {dev}")
        self.device = dev
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed: int) -> "Generator":
        seed = int(seed)
        if not -(2 ** 63) <= seed < 2 ** 64:
            raise RuntimeError(f"Overflow when unpacking long: seed {seed} does not fit in 64 bits")
        self._seed = seed % (2 ** 64)
        self._rng = np.random.Generator(np.random.Philox(self._seed))
        return self

    def seed(self) -> int:
        """Re-seed from a non-deterministic source and return the new seed."""
        s = int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> "pyengine.Tensor":
        blob = pickle.dumps((self._seed, self._rng.bit_generator.state))
        return pyengine.from_numpy(np.frombuffer(blob, dtype=np.uint8).copy())

    def set_state(self, state: "pyengine.Tensor") -> "Generator":
        seed, bit_state = pickle.loads(bytes(np.asarray(state.numpy(), dtype=np.uint8)))
        self._seed = seed
        self._rng = np.random.Generator(np.random.Philox(seed))
        self._rng.bit_generator.state = bit_state
        return self

    def __repr__(self) -> str:
        return f"<pyengine.Generator object at {hex(id(self))}>"


def random_seed(generator: Any = None) -> int:
    """A 63-bit seed drawn from ``generator`` (or pyengine's global RNG when None)."""
    if generator is None:
        # Two 31-bit draws from the global generator so the seed space is not tiny.
        hi = int(pyengine.randint(0, 2 ** 31, ()).item())
        lo = int(pyengine.randint(0, 2 ** 31, ()).item())
        return (hi << 31) | lo
    return int(_numpy_rng(generator).integers(0, 2 ** 63 - 1))


def _numpy_rng(generator: Any) -> np.random.Generator:
    if generator is None:
        return np.random.Generator(np.random.Philox(random_seed(None)))
    if isinstance(generator, Generator):
        return generator._rng
    if hasattr(generator, "initial_seed"):
        # Another generator type (a core one, later): seed a stream from one draw of it, so that
        # its state still decides and advances.
        draw = pyengine.randint(0, 2 ** 31, (2,), generator=generator).tolist()
        return np.random.Generator(np.random.Philox((draw[0] << 31) | draw[1]))
    raise TypeError(f"expected a pyengine.Generator or None as generator, got {type(generator).__name__}")


def randperm(n: int, generator: Any = None) -> list[int]:
    """A random permutation of range(n) as a list."""
    return _numpy_rng(generator).permutation(n).tolist()


def randint_list(high: int, size: int, generator: Any = None) -> list[int]:
    """``size`` integers uniform in [0, high)."""
    return _numpy_rng(generator).integers(0, high, size=size).tolist()


def multinomial(weights: np.ndarray, num_samples: int, replacement: bool, generator: Any = None) -> list[int]:
    """Indices drawn with probability proportional to ``weights`` (torch.multinomial's checks)."""
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
    rng = _numpy_rng(generator)
    return rng.choice(w.size, size=num_samples, replace=replacement, p=w / w.sum()).tolist()
