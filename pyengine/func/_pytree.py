"""A minimal pytree for the function transforms: tuples, lists, dicts (and namedtuples) of leaves."""
from __future__ import annotations

from typing import Any, Callable


def tree_flatten(tree: Any) -> tuple[list, Callable[[list], Any]]:
    """(leaves, unflatten): unflatten(new_leaves) rebuilds the same structure."""
    if isinstance(tree, (tuple, list)):
        parts = [tree_flatten(x) for x in tree]
        sizes = [len(p[0]) for p in parts]
        leaves = [leaf for p in parts for leaf in p[0]]

        def unflatten(new: list) -> Any:
            out, i = [], 0
            for (_, un), n in zip(parts, sizes):
                out.append(un(new[i:i + n]))
                i += n
            if isinstance(tree, list):
                return out
            return type(tree)(*out) if hasattr(tree, "_fields") else tuple(out)
        return leaves, unflatten
    if isinstance(tree, dict):
        keys = list(tree)
        leaves_t, un = tree_flatten([tree[k] for k in keys])
        return leaves_t, lambda new: dict(zip(keys, un(new)))
    return [tree], lambda new: new[0]


def broadcast_prefix(prefix: Any, tree: Any, what: str) -> list:
    """The per-leaf values of a prefix tree (an int/None applies to a whole subtree), e.g. vmap's in_dims."""
    if not isinstance(prefix, (tuple, list, dict)):
        return [prefix] * len(tree_flatten(tree)[0])
    if isinstance(prefix, dict):
        if not isinstance(tree, dict) or set(prefix) != set(tree):
            raise ValueError(f"{what} is not compatible with the structure of the inputs")
        return [v for k in tree for v in broadcast_prefix(prefix[k], tree[k], what)]
    if not isinstance(tree, (tuple, list)) or len(prefix) != len(tree):
        raise ValueError(f"{what} is not compatible with the structure of the inputs")
    return [v for p, t in zip(prefix, tree) for v in broadcast_prefix(p, t, what)]
