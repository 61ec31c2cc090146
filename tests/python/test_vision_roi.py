"""vision.ops.roi_align / roi_pool against a direct float64 reference written from torchvision's definition (one
bilinear sample at a time, one window at a time; torchvision itself is not installable beside the reference
PyTorch here), on boxes inside, across and outside the map, both box formats, and gradients by finite
differences."""
from __future__ import annotations

import math

import numpy as np
import pytest

import pyengine as pe
from pyengine.vision import ops


def _bilinear(f, y, x):
    h, w = f.shape
    if y < -1.0 or y > h or x < -1.0 or x > w:
        return 0.0
    y, x = max(y, 0.0), max(x, 0.0)
    yl, xl = int(y), int(x)
    if yl >= h - 1:
        yh = yl = h - 1
        y = float(yl)
    else:
        yh = yl + 1
    if xl >= w - 1:
        xh = xl = w - 1
        x = float(xl)
    else:
        xh = xl + 1
    ly, lx = y - yl, x - xl
    return (1 - ly) * (1 - lx) * f[yl, xl] + (1 - ly) * lx * f[yl, xh] + ly * (1 - lx) * f[yh, xl] + ly * lx * f[yh, xh]


def _ref_align(x, rois, oh, ow, scale, ratio, aligned):
    out = np.zeros((len(rois), x.shape[1], oh, ow))
    off = 0.5 if aligned else 0.0
    for r, (b, x1, y1, x2, y2) in enumerate(rois):
        sx, sy = x1 * scale - off, y1 * scale - off
        rw, rh = x2 * scale - off - sx, y2 * scale - off - sy
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bh, bw = rh / oh, rw / ow
        gy = ratio if ratio > 0 else math.ceil(rh / oh)
        gx = ratio if ratio > 0 else math.ceil(rw / ow)
        count = max(gy * gx, 1)
        for c in range(x.shape[1]):
            for ph in range(oh):
                for pw in range(ow):
                    s = 0.0
                    for iy in range(gy):
                        yy = sy + ph * bh + (iy + 0.5) * bh / gy
                        for ix in range(gx):
                            xx = sx + pw * bw + (ix + 0.5) * bw / gx
                            s += _bilinear(x[int(b), c], yy, xx)
                    out[r, c, ph, pw] = s / count
    return out


def _ref_pool(x, rois, oh, ow, scale):
    h, w = x.shape[2:]
    out = np.zeros((len(rois), x.shape[1], oh, ow))
    for r, (b, x1, y1, x2, y2) in enumerate(rois):
        sw, sh, ew, eh = (int(round(v * scale)) for v in (x1, y1, x2, y2))
        rw, rh = max(ew - sw + 1, 1), max(eh - sh + 1, 1)
        bh, bw = rh / oh, rw / ow
        for ph in range(oh):
            for pw in range(ow):
                hs = min(max(int(math.floor(ph * bh)) + sh, 0), h)
                he = min(max(int(math.ceil((ph + 1) * bh)) + sh, 0), h)
                ws = min(max(int(math.floor(pw * bw)) + sw, 0), w)
                we = min(max(int(math.ceil((pw + 1) * bw)) + sw, 0), w)
                if he <= hs or we <= ws:
                    continue
                out[r, :, ph, pw] = x[int(b), :, hs:he, ws:we].reshape(x.shape[1], -1).max(1)
    return out


RNG = np.random.default_rng(0)
X = RNG.standard_normal((2, 3, 9, 11))
ROIS = np.array([[0, 1.0, 1.0, 6.0, 5.0], [1, 0.3, 2.2, 10.5, 8.9], [0, -3.0, -2.0, 4.0, 3.0],
                 [1, 8.0, 6.0, 14.0, 12.0], [0, 2.0, 2.0, 2.4, 2.2], [1, 20.0, 20.0, 25.0, 25.0]])


@pytest.mark.parametrize("aligned", [False, True])
@pytest.mark.parametrize("ratio", [-1, 0, 2])
@pytest.mark.parametrize("scale,out", [(1.0, (2, 3)), (0.5, (4, 4)), (1.25, (1, 1))])
def test_roi_align_matches_reference(aligned, ratio, scale, out):
    got = ops.roi_align(pe.tensor(X), pe.tensor(ROIS), out, scale, ratio, aligned)
    want = _ref_align(X, ROIS, out[0], out[1], scale, ratio, aligned)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("scale,out", [(1.0, (2, 3)), (0.5, 4), (1.25, (1, 1))])
def test_roi_pool_matches_reference(scale, out):
    got = ops.roi_pool(pe.tensor(X), pe.tensor(ROIS), out, scale)
    o = out if isinstance(out, tuple) else (out, out)
    np.testing.assert_allclose(got.numpy(), _ref_pool(X, ROIS, o[0], o[1], scale), rtol=1e-12)


def test_box_list_form_and_modules():
    boxes = [pe.tensor(ROIS[ROIS[:, 0] == 0][:, 1:]), pe.tensor(ROIS[ROIS[:, 0] == 1][:, 1:])]
    order = np.argsort(ROIS[:, 0], kind="stable")
    want = _ref_align(X, ROIS[order], 2, 2, 1.0, 2, True)
    m = ops.RoIAlign((2, 2), 1.0, 2, aligned=True)
    np.testing.assert_allclose(m(pe.tensor(X), boxes).numpy(), want, rtol=1e-10, atol=1e-12)
    assert repr(m) == "RoIAlign(output_size=(2, 2), spatial_scale=1.0, sampling_ratio=2, aligned=True)"
    p = ops.RoIPool(3, 0.5)
    assert repr(p) == "RoIPool(output_size=3, spatial_scale=0.5)"
    assert p(pe.tensor(X), pe.tensor(ROIS)).shape == (6, 3, 3, 3)
    assert ops.roi_align(pe.tensor(X), pe.zeros(0, 5, dtype=pe.float64), 2).shape == (0, 3, 2, 2)
    with pytest.raises(AssertionError, match="Tensor\\[K, 5\\]"):
        ops.roi_align(pe.tensor(X), pe.zeros(3, 4, dtype=pe.float64), 2)


@pytest.mark.parametrize("fn", ["align", "pool"])
def test_gradients_by_finite_differences(fn):
    x = pe.tensor(RNG.standard_normal((1, 2, 6, 7)), requires_grad=True)
    rois = pe.tensor([[0, 0.5, 1.0, 5.2, 4.7], [0, 1.0, 0.0, 3.0, 5.0]], dtype=pe.float64)

    def f(t):
        if fn == "align":
            return ops.roi_align(t, rois, (2, 2), 1.0, 2, False)
        return ops.roi_pool(t, rois, (2, 2), 1.0)
    assert pe.autograd.gradcheck(f, (x,), eps=1e-6, atol=1e-5)
