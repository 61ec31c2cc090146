"""AutoAugment-style policies (AutoAugment, RandAugment, TrivialAugmentWide, AugMix) and the colour ops they use
(invert, posterize, solarize, adjust_sharpness, autocontrast, equalize). torchvision is not installable beside the
reference PyTorch, so each op is checked against its documented definition with hand-computed values and against
Pillow (torchvision's PIL path), and each policy's draws against the same seeded draws made by hand."""
import numpy as np
import pytest
from PIL import Image, ImageOps

import pyengine as pe
from pyengine.vision import transforms as T
from pyengine.vision.transforms import _autoaugment
from pyengine.vision.transforms import functional as F


def _u8(shape=(3, 6, 7), seed=0):
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def _pil(a):
    return Image.fromarray(a.transpose(1, 2, 0)) if a.shape[0] == 3 else Image.fromarray(a[0])


def _as_chw(pil_img):
    a = np.asarray(pil_img)
    return a.transpose(2, 0, 1) if a.ndim == 3 else a[None]


# ---- the colour ops ----

def test_invert():
    a = np.array([[[0, 1, 254, 255]]], np.uint8)
    np.testing.assert_array_equal(F.invert(pe.from_numpy(a)).numpy(), [[[255, 254, 1, 0]]])
    f = np.array([[[0.0, 0.25, 1.0]]], np.float32)
    np.testing.assert_allclose(F.invert(pe.from_numpy(f)).numpy(), [[[1.0, 0.75, 0.0]]])
    b = _u8()
    np.testing.assert_array_equal(_as_chw(F.invert(_pil(b))), 255 - b)
    with pytest.raises(TypeError, match="permitted channel values"):
        F.invert(pe.zeros(2, 4, 4, dtype=pe.uint8))


def test_posterize():
    a = np.array([[[0, 31, 32, 100, 255]]], np.uint8)
    # 3 bits: keep the top three bits (mask 0b11100000)
    np.testing.assert_array_equal(F.posterize(pe.from_numpy(a), 3).numpy(), [[[0, 0, 32, 96, 224]]])
    np.testing.assert_array_equal(F.posterize(pe.from_numpy(a), 8).numpy(), a)
    np.testing.assert_array_equal(F.posterize(pe.from_numpy(a), 0).numpy(), np.zeros_like(a))
    b = _u8(seed=1)
    np.testing.assert_array_equal(F.posterize(pe.from_numpy(b), 5).numpy(), _as_chw(F.posterize(_pil(b), 5)))
    with pytest.raises(ValueError, match="between 0 and 8"):
        F.posterize(pe.from_numpy(a), 9)
    with pytest.raises(TypeError, match="Only torch.uint8"):
        F.posterize(pe.zeros(3, 2, 2), 4)


def test_solarize():
    a = np.array([[[0, 127, 128, 200, 255]]], np.uint8)
    np.testing.assert_array_equal(F.solarize(pe.from_numpy(a), 128).numpy(), [[[0, 127, 127, 55, 0]]])
    f = np.array([[[0.2, 0.5, 0.9]]], np.float32)
    np.testing.assert_allclose(F.solarize(pe.from_numpy(f), 0.5).numpy(), [[[0.2, 0.5, 0.1]]], rtol=1e-6)
    b = _u8(seed=2)
    np.testing.assert_array_equal(F.solarize(pe.from_numpy(b), 100).numpy(), _as_chw(F.solarize(_pil(b), 100)))
    with pytest.raises(TypeError, match="Threshold should be less than bound"):
        F.solarize(pe.from_numpy(a), 256)


def test_adjust_sharpness_hand_values():
    a = np.array([[[10, 20, 30], [40, 50, 60], [70, 80, 90]]], np.uint8)
    # the smoothed centre: (sum of the 8 neighbours + 5 * centre) / 13 = (400 + 250) / 13 = 50
    blurred = round((a.sum() - 50 + 5 * 50) / 13)
    out0 = F.adjust_sharpness(pe.from_numpy(a), 0.0).numpy()
    expect0 = a.copy()
    expect0[0, 1, 1] = blurred
    np.testing.assert_array_equal(out0, expect0)  # factor 0: the blurred image, border kept
    b = a.copy()
    b[0, 1, 1] = 200  # a bright centre: (400 + 1000) / 13 = 107.69 -> 108
    out2 = F.adjust_sharpness(pe.from_numpy(b), 2.0).numpy()
    assert out2[0, 1, 1] == 255  # 2 * 200 - 108 = 292, clamped
    out_half = F.adjust_sharpness(pe.from_numpy(b), 0.5).numpy()
    assert out_half[0, 1, 1] == int(0.5 * 200 + 0.5 * 108)
    np.testing.assert_array_equal(out_half[0][[0, 2]], b[0][[0, 2]])
    # images of 2 pixels or fewer along a side are returned unchanged
    tiny = pe.from_numpy(_u8((3, 2, 5)))
    assert F.adjust_sharpness(tiny, 3.0) is tiny
    with pytest.raises(ValueError, match="is not non-negative"):
        F.adjust_sharpness(pe.from_numpy(a), -1.0)


@pytest.mark.parametrize("factor", [0.0, 0.3, 1.0, 1.7])
def test_adjust_sharpness_matches_pil(factor):
    b = _u8((3, 9, 11), seed=3)
    np.testing.assert_array_equal(F.adjust_sharpness(pe.from_numpy(b), factor).numpy(),
                                  _as_chw(F.adjust_sharpness(_pil(b), factor)))


def test_autocontrast():
    a = np.array([[[50, 100, 150]], [[7, 7, 7]], [[0, 128, 255]]], np.uint8)
    out = F.autocontrast(pe.from_numpy(a)).numpy()
    np.testing.assert_array_equal(out[0], [[0, int(50 * 255 / 100), 255]])
    np.testing.assert_array_equal(out[1], a[1])  # a flat channel is left alone
    np.testing.assert_array_equal(out[2], a[2])
    f = np.array([[[0.2, 0.4, 0.6]]], np.float32)
    np.testing.assert_allclose(F.autocontrast(pe.from_numpy(f)).numpy(), [[[0.0, 0.5, 1.0]]], rtol=1e-6, atol=1e-7)
    b = _u8(seed=4) // 2 + 40
    np.testing.assert_array_equal(F.autocontrast(pe.from_numpy(b)).numpy(), _as_chw(F.autocontrast(_pil(b))))
    with pytest.raises(TypeError, match="at least 3 dimensions"):
        F.autocontrast(pe.zeros(4, 4, dtype=pe.uint8))


def test_equalize():
    # 4 pixels valued 0, 0, 1, 2: histogram [2, 1, 1], step = (2 + 1) // 255 = 0 -> unchanged
    a = np.array([[[0, 0, 1, 2]]], np.uint8)
    np.testing.assert_array_equal(F.equalize(pe.from_numpy(a)).numpy(), a)
    # 510 pixels: 255 of value 10, 255 of value 20: step = 255 // 255 = 1, lut[20] = cumsum[19] + 0 = 255
    b = np.array([[[10] * 255 + [20] * 255]], np.uint8)
    out = F.equalize(pe.from_numpy(b)).numpy()
    assert set(out[0, 0, :255]) == {0} and set(out[0, 0, 255:]) == {255}
    for seed in range(3):
        c = _u8((3, 16, 20), seed=seed)
        np.testing.assert_array_equal(F.equalize(pe.from_numpy(c)).numpy(), _as_chw(ImageOps.equalize(_pil(c))))
    batch = np.stack([_u8((3, 8, 8), seed=5), _u8((3, 8, 8), seed=6)])
    out = F.equalize(pe.from_numpy(batch)).numpy()
    for i in range(2):
        np.testing.assert_array_equal(out[i], _as_chw(ImageOps.equalize(_pil(batch[i]))))
    with pytest.raises(TypeError, match="Only torch.uint8"):
        F.equalize(pe.zeros(3, 4, 4))


def test_ops_on_noncontiguous_and_grayscale():
    a = _u8((3, 8, 10), seed=7)
    t = pe.from_numpy(a.copy()).transpose(1, 2).contiguous().transpose(1, 2)  # same values, other strides
    assert not t.is_contiguous()
    for fn in (F.invert, F.equalize, F.autocontrast, lambda x: F.posterize(x, 2), lambda x: F.solarize(x, 90),
               lambda x: F.adjust_sharpness(x, 1.5)):
        np.testing.assert_array_equal(fn(t).numpy(), fn(pe.from_numpy(a)).numpy())
    g = _u8((1, 8, 10), seed=8)
    np.testing.assert_array_equal(F.equalize(pe.from_numpy(g)).numpy(), _as_chw(ImageOps.equalize(_pil(g))))


# ---- _apply_op: the ops at a magnitude ----

def test_apply_op_values():
    a = _u8((3, 5, 6), seed=9)
    t = pe.from_numpy(a)
    nearest = T.InterpolationMode.NEAREST
    # TranslateX by 2 (magnitude truncated to int): out[..., x] = in[..., x - 2], the rest filled
    out = _autoaugment._apply_op(t, "TranslateX", 2.7, nearest, [0.0, 0.0, 0.0]).numpy()
    np.testing.assert_array_equal(out[..., 2:], a[..., :-2])
    assert (out[..., :2] == 0).all()
    out = _autoaugment._apply_op(t, "TranslateY", -1.0, nearest, None).numpy()
    np.testing.assert_array_equal(out[:, :-1], a[:, 1:])
    np.testing.assert_array_equal(_autoaugment._apply_op(t, "Identity", 0.0, nearest, None).numpy(), a)
    np.testing.assert_array_equal(_autoaugment._apply_op(t, "Posterize", 4.0, nearest, None).numpy(), a & 0xF0)
    np.testing.assert_array_equal(_autoaugment._apply_op(t, "Brightness", 0.5, nearest, None).numpy(),
                                  np.clip(a * 1.5, 0, 255).astype(np.uint8))
    # the geometric ops give torchvision's PIL result on tensors too (Pillow's resampling per channel)
    for op, mag in [("ShearX", 0.3), ("ShearY", -0.2), ("Rotate", 30.0), ("TranslateX", -3.0)]:
        np.testing.assert_array_equal(_autoaugment._apply_op(t, op, mag, nearest, None).numpy(),
                                      _as_chw(_autoaugment._apply_op(_pil(a), op, mag, nearest, None)))
    with pytest.raises(ValueError, match="not recognized"):
        _autoaugment._apply_op(t, "Blur", 1.0, nearest, None)


# ---- the policies ----

def _spy(monkeypatch):
    calls = []

    def record(img, op_name, magnitude, interpolation, fill):
        calls.append((op_name, magnitude, fill))
        return img
    monkeypatch.setattr(_autoaugment, "_apply_op", record)
    return calls


def test_autoaugment_policies_and_space():
    for policy in T.AutoAugmentPolicy:
        aa = T.AutoAugment(policy)
        assert len(aa.policies) == 25
    assert T.AutoAugment().policy is T.AutoAugmentPolicy.IMAGENET
    assert T.AutoAugment().interpolation == T.InterpolationMode.NEAREST and T.AutoAugment().fill is None
    assert T.AutoAugment().policies[0] == (("Posterize", 0.4, 8), ("Rotate", 0.6, 9))
    assert T.AutoAugment(T.AutoAugmentPolicy.CIFAR10).policies[1] == (("Rotate", 0.7, 2), ("TranslateX", 0.3, 9))
    assert T.AutoAugment(T.AutoAugmentPolicy.SVHN).policies[-1] == (("ShearX", 0.7, 2), ("Invert", 0.1, None))
    assert T.AutoAugmentPolicy("cifar10") is T.AutoAugmentPolicy.CIFAR10
    with pytest.raises(ValueError, match="policy .* is not recognized"):
        T.AutoAugment("imagenet")
    space = T.AutoAugment()._augmentation_space(10, [331, 662])
    assert space["Posterize"][0].tolist() == [8, 8, 7, 7, 6, 6, 5, 5, 4, 4]
    np.testing.assert_allclose(space["TranslateX"][0].numpy()[-1], 150.0, rtol=1e-6)
    np.testing.assert_allclose(space["TranslateY"][0].numpy()[-1], 300.0, rtol=1e-6)
    np.testing.assert_allclose(space["Rotate"][0].numpy(), np.linspace(0, 30, 10), rtol=1e-6)
    assert space["Solarize"][0].tolist()[0] == 255.0 and space["Solarize"][0].tolist()[-1] == 0.0
    assert list(space) == ["ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Brightness", "Color",
                           "Contrast", "Sharpness", "Posterize", "Solarize", "AutoContrast", "Equalize", "Invert"]
    assert repr(T.AutoAugment(fill=[1, 2, 3])) == "AutoAugment(policy=AutoAugmentPolicy.IMAGENET, fill=[1, 2, 3])"


def test_autoaugment_draws(monkeypatch):
    calls = _spy(monkeypatch)
    aa = T.AutoAugment(T.AutoAugmentPolicy.CIFAR10, fill=7)
    img = pe.from_numpy(_u8((3, 10, 20)))
    for seed in range(40):
        calls.clear()
        pe.manual_seed(seed)
        policy_id = int(pe.randint(25, (1,)).item())
        probs, signs = pe.rand((2,)), pe.randint(2, (2,))
        pe.manual_seed(seed)
        assert aa(img) is img
        expected = []
        space = aa._augmentation_space(10, [20, 10])
        for i, (name, p, bin_) in enumerate(aa.policies[policy_id]):
            if probs[i] <= p:
                mags, signed = space[name]
                mag = float(mags[bin_].item()) if bin_ is not None else 0.0
                expected.append((name, -mag if signed and signs[i] == 0 else mag, [7.0, 7.0, 7.0]))
        assert calls == expected


def test_randaugment(monkeypatch):
    ra = T.RandAugment()
    assert (ra.num_ops, ra.magnitude, ra.num_magnitude_bins, ra.fill) == (2, 9, 31, None)
    assert ra.interpolation == T.InterpolationMode.NEAREST
    space = ra._augmentation_space(31, [32, 32])
    assert "Identity" in space and "Invert" not in space and len(space) == 14
    calls = _spy(monkeypatch)
    ra = T.RandAugment(num_ops=3, magnitude=10)
    pil = _pil(_u8((3, 12, 12)))
    pe.manual_seed(3)
    ra(pil)
    assert len(calls) == 3
    names = list(space)
    pe.manual_seed(3)
    for name, mag, fill in calls:
        assert name == names[int(pe.randint(14, (1,)).item())]
        mags, signed = space[name]
        base = float(mags[10].item()) if mags.ndim > 0 else 0.0
        if signed and int(pe.randint(2, (1,)).item()):
            base = -base
        assert mag == pytest.approx(base) and fill is None
    assert repr(T.RandAugment()) == ("RandAugment(num_ops=2, magnitude=9, num_magnitude_bins=31, "
                                     f"interpolation={T.InterpolationMode.NEAREST}, fill=None)")


def test_trivial_augment_wide(monkeypatch):
    ta = T.TrivialAugmentWide()
    space = ta._augmentation_space(31)
    np.testing.assert_allclose(space["Rotate"][0].numpy()[-1], 135.0)
    np.testing.assert_allclose(space["ShearX"][0].numpy()[-1], 0.99, rtol=1e-6)
    assert space["Posterize"][0].tolist()[:6] == [8, 8, 8, 7, 7, 7] and space["Posterize"][0].tolist()[-1] == 2
    calls = _spy(monkeypatch)
    img = pe.from_numpy(_u8())
    seen = set()
    for seed in range(60):
        calls.clear()
        pe.manual_seed(seed)
        ta(img)
        (name, mag, _), = calls
        seen.add(name)
        mags, signed = space[name]
        allowed = {0.0} if mags.ndim == 0 else {float(m) for m in mags.tolist()}
        assert abs(mag) in allowed or round(abs(mag), 5) in {round(m, 5) for m in allowed}
    assert len(seen) >= 10  # the draws cover the op list


def test_policies_run_on_pil_and_uint8_batches():
    pe.manual_seed(0)
    a = _u8((3, 16, 16), seed=11)
    batch = pe.from_numpy(np.stack([a, _u8((3, 16, 16), seed=12)]))
    for tr in (T.AutoAugment(), T.AutoAugment(T.AutoAugmentPolicy.SVHN), T.RandAugment(num_ops=4, magnitude=20),
               T.TrivialAugmentWide(fill=128), T.AugMix()):
        for _ in range(5):
            out = tr(batch)
            assert out.shape == batch.shape and out.dtype == pe.uint8
            p = tr(_pil(a))
            assert isinstance(p, Image.Image) and p.size == (16, 16) and p.mode == "RGB"
            g = tr(Image.fromarray(a[0]))
            assert g.mode == "L"


def test_augmix(monkeypatch):
    with pytest.raises(ValueError, match=r"severity must be between \[1, 10\]"):
        T.AugMix(severity=11)
    am = T.AugMix()
    assert (am.severity, am.mixture_width, am.chain_depth, am.alpha, am.all_ops) == (3, 3, -1, 1.0, True)
    assert am.interpolation == T.InterpolationMode.BILINEAR
    assert len(am._augmentation_space(10, [8, 8])) == 13
    assert len(T.AugMix(all_ops=False)._augmentation_space(10, [8, 8])) == 9
    assert am._augmentation_space(10, [8, 8])["Posterize"][0].tolist() == [4, 4, 3, 3, 2, 2, 1, 1, 0, 0]
    # with every op the identity, the mix is the image: Beta and Dirichlet weights sum to one
    calls = _spy(monkeypatch)
    a = _u8((3, 6, 6), seed=13)
    pe.manual_seed(1)
    out = T.AugMix(mixture_width=4, chain_depth=2)(pe.from_numpy(a)).numpy()
    assert len(calls) == 8
    assert np.abs(out.astype(int) - a).max() <= 1
    space = am._augmentation_space(10, [6, 6])
    for name, mag, _ in calls:  # severity 3: one of the first three magnitude bins (of 10)
        mags, signed = space[name]
        allowed = [0.0] if mags.ndim == 0 else [float(m) for m in mags.tolist()[:3]]
        assert min(abs(abs(mag) - m) for m in allowed) < 1e-5, (name, mag)
    w = T.AugMix._sample_dirichlet(pe.tensor([1.0, 1.0, 1.0]).expand(5, -1))
    np.testing.assert_allclose(w.sum(-1).numpy(), np.ones(5), rtol=1e-6)
    assert (w.numpy() > 0).all()


def test_per_channel_fill_on_tensors():
    a = _u8((3, 5, 6), seed=14)
    t = pe.from_numpy(a)
    out = _autoaugment._apply_op(t, "TranslateX", 2.0, T.InterpolationMode.NEAREST, [10.0, 20.0, 30.0]).numpy()
    np.testing.assert_array_equal(out[:, :, :2], np.broadcast_to(np.array([10, 20, 30])[:, None, None], (3, 5, 2)))
    pil = _autoaugment._apply_op(_pil(a), "TranslateX", 2.0, T.InterpolationMode.NEAREST, (10, 20, 30))
    np.testing.assert_array_equal(out, _as_chw(pil))
    batch = pe.from_numpy(np.stack([a, a]))
    out_b = F.rotate(batch, 45.0, fill=[1.0, 2.0, 3.0]).numpy()
    np.testing.assert_array_equal(out_b[0], out_b[1])
    np.testing.assert_array_equal(out_b[0], _as_chw(F.rotate(_pil(a), 45.0, fill=(1, 2, 3))))
    with pytest.raises(ValueError, match="number of elements in 'fill'"):
        F.rotate(t, 10.0, fill=[1.0, 2.0])
    # AutoAugment turns a number fill into one value per channel
    pe.manual_seed(0)
    for _ in range(20):
        T.AutoAugment(T.AutoAugmentPolicy.SVHN, fill=5)(t)
