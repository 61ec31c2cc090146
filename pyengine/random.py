"""Seeding and RNG state (``torch.random``): everything goes through the default generators, engine
``pyengine.Generator`` objects over the core's Philox (Note [Generators] in csrc/core/rng.h)."""
from __future__ import annotations

import contextlib
from collections.abc import Generator as _PyGenerator, Iterable
from typing import Any

from . import _C
from ._C import Generator, Tensor, default_generator

__all__ = ["set_rng_state", "get_rng_state", "manual_seed", "seed", "initial_seed", "fork_rng"]


def manual_seed(seed: int) -> Generator:
    """Seeds the default generator of every device; returns the CPU one (``torch.default_generator``)."""
    return _C.manual_seed(seed)


def seed() -> int:
    """Seeds every device's default generator from a non-deterministic source; returns the seed."""
    s = default_generator.seed()
    _C.manual_seed(s)
    return s


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    """The CPU default generator's state, a uint8 tensor (``Generator.get_state``)."""
    return default_generator.get_state()


def set_rng_state(new_state: Tensor) -> None:
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices: Iterable[Any] | None = None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type: str = "cuda") -> _PyGenerator[None, None, None]:
    """Restores the CPU (and the given CUDA devices') generator states on exit."""
    if not enabled:
        yield
        return
    gens = [default_generator]
    if devices is None and device_type == "cuda" and _C._cuda_device_count() > 0:
        devices = range(_C._cuda_device_count())
    for d in devices or ():
        gens.append(_C._default_generator(d if isinstance(d, (str, _C.device)) else _C.device("cuda", int(d))))
    states = [g.get_state() for g in gens]
    try:
        yield
    finally:
        for g, st in zip(gens, states):
            g.set_state(st)
