"""torch.func.functional_call: calls a module with some parameters and buffers replaced by given tensors (for
that call only), e.g. to differentiate a model's output with respect to a dict of its parameters."""
from __future__ import annotations

from typing import Any


__all__ = ["functional_call"]


def _owner(module, dotted: str):
    *path, name = dotted.split(".")
    mod = module
    for p in path:
        mod = getattr(mod, p)
    return mod, name


def functional_call(module, parameter_and_buffer_dicts, args: Any = None, kwargs: dict | None = None, *,
                    tie_weights: bool = True, strict: bool = False):
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, dict):
        values = dict(dicts)
    elif isinstance(dicts, (tuple, list)):
        values = {}
        for d in dicts:
            for k, v in d.items():
                if k in values:
                    raise ValueError(f"{k} appeared in multiple dictionaries; behavior of functional call is "
                                     "ambiguous")
                values[k] = v
    else:
        raise ValueError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
                         f"{type(dicts)}")
    if strict:
        expected = {n for n, _ in module.named_parameters(remove_duplicate=False)} | \
                   {n for n, _ in module.named_buffers(remove_duplicate=False)}
        missing = sorted(expected - set(values))
        unexpected = sorted(set(values) - expected)
        if missing or unexpected:
            lines = []
            if unexpected:
                lines.append("Unexpected key(s): " + ", ".join(repr(k) for k in unexpected) + ".")
            if missing:
                lines.append("Missing key(s): " + ", ".join(repr(k) for k in missing) + ".")
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t" + "\n\t".join(lines))
    if tie_weights:
        # a tensor reachable under several names (tied weights) is replaced under all of them
        by_id: dict[int, Any] = {}
        named = list(module.named_parameters(remove_duplicate=False)) + \
            list(module.named_buffers(remove_duplicate=False))
        for n, t in named:
            if n in values:
                by_id.setdefault(id(t), values[n])
        for n, t in named:
            if n not in values and id(t) in by_id:
                values[n] = by_id[id(t)]
    saved = []
    try:
        for name, value in values.items():
            mod, leaf = _owner(module, name)
            for store in ("_parameters", "_buffers"):
                d = mod.__dict__.get(store)
                if d is not None and leaf in d:
                    saved.append((d, leaf, d[leaf]))
                    d[leaf] = value
                    break
            else:
                saved.append((mod, leaf, mod.__dict__.get(leaf, _MISSING)))
                object.__setattr__(mod, leaf, value)
        if args is None:
            args = ()
        elif not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for where, leaf, old in reversed(saved):
            if isinstance(where, dict):
                where[leaf] = old
            elif old is _MISSING:
                object.__delattr__(where, leaf)
            else:
                object.__setattr__(where, leaf, old)


_MISSING = object()
