"""The v1 transforms added for parity (RandomResizedCrop, ColorJitter, RandomRotation, RandomAffine,
GaussianBlur, RandomErasing) and their functional forms, against torchvision's documented definitions with
hand-computed values (colorsys for hue, explicit 2-D convolution for the blur, np.rot90 for rotation)."""
import colorsys
import math

import numpy as np
import pytest
from PIL import Image

import pyengine as pe
from pyengine.vision import transforms as T
from pyengine.vision.transforms import functional as F


def _img(h=12, w=16, seed=0):
    return pe.tensor(np.random.default_rng(seed).random((3, h, w)).astype(np.float32))


def test_random_resized_crop_params_and_output():
    img = _img(20, 30)
    for seed in range(30):
        pe.manual_seed(seed)
        i, j, h, w = T.RandomResizedCrop.get_params(img, (0.08, 1.0), (3 / 4, 4 / 3))
        assert 0 <= i <= 20 - h and 0 <= j <= 30 - w and h > 0 and w > 0
        assert 0.08 * 600 - 40 <= h * w <= 600  # area within scale (rounding of h and w aside)
    # scale and ratio fixed to 1: the whole (square) image, resized
    sq = _img(8, 8)
    out = T.RandomResizedCrop(4, scale=(1.0, 1.0), ratio=(1.0, 1.0))(sq)
    assert pe.allclose(out, F.resize(sq, [4, 4]))
    # impossible ratio: torchvision's fallback is the central crop of the nearest allowed ratio
    assert T.RandomResizedCrop.get_params(sq, (1.0, 1.0), (2.0, 2.0)) == (2, 0, 4, 8)
    assert T.RandomResizedCrop(5)(Image.new("RGB", (20, 10))).size == (5, 5)
    assert T.RandomResizedCrop((6, 4))(img).shape == (3, 6, 4)


def test_color_adjustments_tensor_formulas():
    x = _img()
    a = x.numpy()
    np.testing.assert_allclose(F.adjust_brightness(x, 1.5).numpy(), np.clip(a * 1.5, 0, 1), rtol=1e-6)
    gray = 0.2989 * a[0] + 0.587 * a[1] + 0.114 * a[2]
    np.testing.assert_allclose(F.adjust_saturation(x, 0.3).numpy(),
                               np.clip(0.3 * a + 0.7 * gray[None], 0, 1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(F.adjust_contrast(x, 2.0).numpy(), np.clip(2.0 * a - gray.mean(), 0, 1),
                               rtol=1e-5, atol=1e-6)
    got = F.adjust_hue(x, 0.2).numpy()
    for (yy, xx) in [(0, 0), (3, 7), (11, 15)]:
        hh, ss, vv = colorsys.rgb_to_hsv(*a[:, yy, xx])
        want = colorsys.hsv_to_rgb((hh + 0.2) % 1.0, ss, vv)
        np.testing.assert_allclose(got[:, yy, xx], want, atol=1e-5)
    u8 = (x * 255).to(pe.uint8)
    assert F.adjust_brightness(u8, 2.0).dtype == pe.uint8
    with pytest.raises(ValueError, match="hue_factor"):
        F.adjust_hue(x, 0.7)
    with pytest.raises(ValueError, match="is not non-negative"):
        F.adjust_brightness(x, -1)


def test_color_jitter():
    with pytest.raises(ValueError, match="If brightness is a single number, it must be non negative"):
        T.ColorJitter(brightness=-1)
    with pytest.raises(ValueError, match="hue values should be between"):
        T.ColorJitter(hue=0.9)
    cj = T.ColorJitter(brightness=(0.5, 0.5))
    x = _img()
    assert pe.allclose(cj(x), (x * 0.5).clamp(0, 1))
    assert T.ColorJitter(0.2, 0.2, 0.2, 0.1)(Image.new("RGB", (5, 4), (100, 50, 20))).size == (5, 4)
    assert T.ColorJitter().brightness is None


def test_rotation_and_affine():
    x = pe.arange(16, dtype=pe.float32).reshape(1, 4, 4)
    np.testing.assert_array_equal(F.rotate(x, 90).numpy()[0], np.rot90(x.numpy()[0], 1))
    assert pe.equal(F.rotate(x, 0), x)
    shifted = F.affine(x, angle=0.0, translate=[1, 0], scale=1.0, shear=[0.0, 0.0]).numpy()[0]
    np.testing.assert_array_equal(shifted[:, 1:], x.numpy()[0][:, :-1])
    assert (shifted[:, 0] == 0).all()
    # torchvision's affine angle is clockwise, rotate's counter-clockwise
    np.testing.assert_array_equal(F.affine(x, 90.0, [0, 0], 1.0, 0.0).numpy(), F.rotate(x, -90).numpy())
    pil = Image.fromarray(np.arange(16, dtype=np.uint8).reshape(4, 4))
    np.testing.assert_array_equal(np.asarray(F.rotate(pil, 90)), np.rot90(np.asarray(pil), 1))
    pe.manual_seed(0)
    out = T.RandomRotation((90, 90))(x)
    np.testing.assert_array_equal(out.numpy()[0], np.rot90(x.numpy()[0], 1))
    out = T.RandomAffine(degrees=0, translate=(0.25, 0.0))(x)
    assert out.shape == x.shape
    angle, tr, sc, sh = T.RandomAffine.get_params([-10, 10], [0.1, 0.2], [0.9, 1.1], [-5, 5, -3, 3], [30, 20])
    assert -10 <= angle <= 10 and abs(tr[0]) <= 3 and abs(tr[1]) <= 4 and 0.9 <= sc <= 1.1
    assert -5 <= sh[0] <= 5 and -3 <= sh[1] <= 3
    with pytest.raises(ValueError, match="translation values should be between 0 and 1"):
        T.RandomAffine(0, translate=(2, 0))


def test_gaussian_blur_against_2d_convolution():
    x = _img(9, 11)
    ks, sigma = 5, 1.3
    k1 = np.exp(-0.5 * (np.linspace(-2, 2, 5) / sigma) ** 2)
    k1 /= k1.sum()
    k2 = np.outer(k1, k1)
    padded = np.pad(x.numpy(), [(0, 0), (2, 2), (2, 2)], mode="reflect")
    want = np.zeros_like(x.numpy())
    for dy in range(ks):
        for dx in range(ks):
            want += k2[dy, dx] * padded[:, dy:dy + 9, dx:dx + 11]
    np.testing.assert_allclose(F.gaussian_blur(x, [ks, ks], [sigma, sigma]).numpy(), want, rtol=1e-5, atol=1e-6)
    u8 = (x * 255).to(pe.uint8)
    assert F.gaussian_blur(u8, 3).dtype == pe.uint8
    assert F.gaussian_blur(Image.new("RGB", (6, 5), (10, 200, 30)), 3).getpixel((2, 2)) == (10, 200, 30)
    with pytest.raises(ValueError, match="odd and positive"):
        F.gaussian_blur(x, 4)
    with pytest.raises(ValueError, match="Kernel size value should be an odd and positive number"):
        T.GaussianBlur(2)
    assert T.GaussianBlur(3, sigma=(0.5, 0.5))(x).shape == x.shape


def test_random_erasing():
    x = pe.ones(3, 20, 20)
    for seed in range(10):
        pe.manual_seed(seed)
        out = T.RandomErasing(p=1.0)(x)
        zeros = (out[0] == 0).numpy()
        ys, xs = np.nonzero(zeros)
        h, w = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
        assert zeros.sum() == h * w  # one rectangle
        assert 0.02 * 400 - 20 <= h * w <= 0.33 * 400 + 20
        assert pe.equal(out[0] == 0, out[2] == 0)
    assert pe.equal(T.RandomErasing(p=0.0)(x), x)
    out = T.RandomErasing(p=1.0, value=(0.1, 0.2, 0.3))(x)
    assert set(np.unique(out[1].numpy()).tolist()) == {1.0, float(np.float32(0.2))}
    out = T.RandomErasing(p=1.0, value="random")(x)
    assert out.shape == x.shape
    kept = x.clone()
    T.RandomErasing(p=1.0, inplace=True)(kept)
    assert float(kept.sum()) < float(x.sum())
    with pytest.raises(ValueError, match="If value is str, it should be 'random'"):
        T.RandomErasing(value="noise")
    assert F.erase(x, 1, 2, 3, 4, 0.0).sum().item() == x.sum().item() - 3 * 12


def test_reprs():
    assert repr(T.RandomResizedCrop(224)).startswith("RandomResizedCrop(size=(224, 224), scale=(0.08, 1.0)")
    assert repr(T.GaussianBlur(3)) == "GaussianBlur(kernel_size=(3, 3), sigma=(0.1, 2.0))"
    assert math.isclose(T.RandomRotation(30).degrees[0], -30.0)
