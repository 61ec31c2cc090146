"""torch.return_types: the named (values, indices) tuples that sort, topk, kthvalue (and the other
ops with two results) return. They are CPython struct sequences made by the C++ side
(csrc/python/return_types.cpp), so they are real tuples with .values and .indices."""
from . import _C

sort = _C._return_type("sort")
sort_out = _C._return_type("sort_out")
topk = _C._return_type("topk")
topk_out = _C._return_type("topk_out")
kthvalue = _C._return_type("kthvalue")
kthvalue_out = _C._return_type("kthvalue_out")

__all__ = ["kthvalue", "kthvalue_out", "sort", "sort_out", "topk", "topk_out"]


def __getattr__(name: str):
    """Types of other ops (made on first use by the C++ side), so pickle can find every one."""
    if name.startswith("_"):
        raise AttributeError(name)
    return _C._return_type(name)
