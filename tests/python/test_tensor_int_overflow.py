"""torch.tensor with a Python int beyond int64 raises PyTorch's ValueError ("Overflow when unpacking
long long") whenever the target dtype is an integer type, and converts when it is floating/bool."""
from __future__ import annotations

import pytest

import pyengine as pe

torch = pytest.importorskip("torch")

CASES = [
    ([2 ** 70], {}), (2 ** 70, {}), ([[1], [2 ** 70]], {}), ([-2 ** 70], {}), ([2 ** 63], {}),
    ((1, 2 ** 64), {}), ([True, 2 ** 70], {}), ([2 ** 70], {"dtype": "int32"}), ([2 ** 70], {"dtype": "uint8"}),
    ([[2 ** 63 - 1, -2 ** 63]], {}), ([1.0, 2 ** 70], {}), ([2 ** 63], {"dtype": "float64"}),
]


def _call(M, data, kw):
    kw = {k: getattr(M, v) for k, v in kw.items()}
    return M.tensor(data, **kw)


@pytest.mark.parametrize("data,kw", CASES)
def test_like_torch(data, kw):
    try:
        ref = _call(torch, data, kw)
    except Exception as e:  # noqa: BLE001
        with pytest.raises(type(e), match="^" + str(e) + "$"):
            _call(pe, data, kw)
        return
    got = _call(pe, data, kw)
    assert str(got.dtype) == str(ref.dtype) and got.tolist() == ref.tolist()
