"""torch.return_types: the named (values, indices) tuples that reductions such as max(dim), median(dim)
and mode return. Each is a tuple (indexable, unpackable) with ``.values`` and ``.indices``."""
from __future__ import annotations

import collections

__all__ = ["max", "median", "min", "mode"]


def _make(name: str):
    base = collections.namedtuple(name, ["values", "indices"])

    def __repr__(self) -> str:
        return "torch.return_types.%s(\nvalues=%r,\nindices=%r)" % (name, self.values, self.indices)

    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__module__": __name__})
    return cls


max = _make("max")
min = _make("min")
median = _make("median")
mode = _make("mode")
