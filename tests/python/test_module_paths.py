"""Module paths real programs import from torch (nn.modules.utils, nn.common_types, utils.hooks, onnx), with the
behaviour of what they hold compared with PyTorch."""
from __future__ import annotations

from collections import OrderedDict

import pytest
import torch

import pyengine


@pytest.mark.parametrize("name", ["_single", "_pair", "_triple", "_quadruple"])
@pytest.mark.parametrize("value", [3, (1, 2), [4, 5, 6]])
def test_ntuple_helpers(name, value):
    assert getattr(pyengine.nn.modules.utils, name)(value) == getattr(torch.nn.modules.utils, name)(value)


def test_reverse_repeat_and_list_with_default():
    u, tu = pyengine.nn.modules.utils, torch.nn.modules.utils
    assert u._reverse_repeat_tuple((1, 2, 3), 2) == tu._reverse_repeat_tuple((1, 2, 3), 2)
    assert u._list_with_default([None, 4], [8, 9, 10]) == tu._list_with_default([None, 4], [8, 9, 10])
    with pytest.raises(ValueError, match="Input dimension should be at least 3"):
        u._list_with_default([1, 2], [5, 6])


def test_consume_prefix_in_state_dict():
    for m in (pyengine, torch):
        sd = OrderedDict([("module.a", 1), ("module.b.c", 2), ("other", 3)])
        sd._metadata = OrderedDict([("", {}), ("module", {"v": 1}), ("module.b", {"v": 2})])
        m.nn.modules.utils.consume_prefix_in_state_dict_if_present(sd, "module.")
        if m is pyengine:
            got = (list(sd.items()), list(sd._metadata.items()))
        else:
            assert got == (list(sd.items()), list(sd._metadata.items()))


def test_common_types_and_hooks():
    from pyengine.nn.common_types import _size_2_t  # noqa: F401
    from pyengine.utils.hooks import RemovableHandle
    layer = pyengine.nn.Linear(2, 2)
    handle = layer.register_forward_hook(lambda *a: None)
    assert isinstance(handle, RemovableHandle)
    handle.remove()
    assert len(layer._forward_hooks) == 0


def test_onnx_refuses_export_clearly():
    assert pyengine.onnx.is_in_onnx_export() is False
    with pytest.raises(pyengine.onnx.OnnxExporterError, match="not supported by pyengine"):
        pyengine.onnx.export(pyengine.nn.Linear(2, 2), (pyengine.ones(1, 2),), "model.onnx")
    assert issubclass(pyengine.onnx.OnnxExporterError, RuntimeError)
