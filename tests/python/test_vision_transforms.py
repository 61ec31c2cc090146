"""vision.transforms and vision.utils against numpy math and torchvision's documented behaviour."""
import numpy as np
import pytest
from PIL import Image

import pyengine
from pyengine.vision import transforms as T
from pyengine.vision import utils as U
from pyengine.vision.transforms import functional as F


def _img(h=6, w=8, seed=0):
    arr = np.random.RandomState(seed).randint(0, 256, (h, w, 3)).astype(np.uint8)
    return Image.fromarray(arr), arr


def test_to_tensor_pil_ndarray_and_modes():
    img, arr = _img()
    t = T.ToTensor()(img)
    assert t.dtype == pyengine.float32 and tuple(t.shape) == (3, 6, 8)
    np.testing.assert_allclose(t.numpy(), arr.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    np.testing.assert_allclose(T.ToTensor()(arr).numpy(), arr.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    gray = T.ToTensor()(arr[:, :, 0])
    assert tuple(gray.shape) == (1, 6, 8)
    f = T.ToTensor()(np.ones((2, 2, 1), np.float32) * 7)  # non-uint8 arrays are not scaled
    assert f.dtype == pyengine.float32 and f.numpy().max() == 7
    i32 = T.ToTensor()(Image.fromarray(np.full((2, 3), 1000, np.int32)))
    assert i32.dtype == pyengine.int32 and i32.numpy().max() == 1000
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        T.ToTensor()([1, 2])
    p = T.PILToTensor()(img)
    assert p.dtype == pyengine.uint8 and np.array_equal(p.numpy(), arr.transpose(2, 0, 1))
    back = T.ToPILImage()(t)
    assert np.array_equal(np.asarray(back), (arr / 255.0 * 255).astype(np.uint8))


def test_normalize():
    x = pyengine.rand(3, 4, 5)
    mean, std = (0.1, 0.5, 0.9), (0.2, 0.3, 0.4)
    y = T.Normalize(mean, std)(x)
    ref = (x.numpy() - np.array(mean, np.float32)[:, None, None]) / np.array(std, np.float32)[:, None, None]
    np.testing.assert_allclose(y.numpy(), ref, rtol=1e-5, atol=1e-6)
    batch = pyengine.rand(2, 3, 4, 5)
    np.testing.assert_allclose(T.Normalize(mean, std)(batch).numpy()[1],
                               T.Normalize(mean, std)(batch[1]).numpy(), rtol=1e-6)
    z = x.clone()
    out = T.Normalize(mean, std, inplace=True)(z)
    np.testing.assert_allclose(z.numpy(), ref, rtol=1e-5, atol=1e-6)
    assert out.data_ptr() == z.data_ptr()
    with pytest.raises(TypeError, match="Input tensor should be a float tensor"):
        T.Normalize(mean, std)(pyengine.zeros(3, 2, 2, dtype=pyengine.uint8))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        T.Normalize(mean, (1.0, 0.0, 1.0))(x)


def test_resize_pil_and_tensor():
    img, arr = _img(6, 8)
    assert T.Resize(3)(img).size == (4, 3)  # smaller edge to 3, aspect kept: (w, h)
    assert T.Resize((5, 7))(img).size == (7, 5)
    ref = np.asarray(img.resize((4, 3), Image.Resampling.BILINEAR)).transpose(2, 0, 1) / 255.0
    t = T.Resize(3)(T.ToTensor()(img))
    assert tuple(t.shape) == (3, 3, 4)
    np.testing.assert_allclose(t.numpy(), ref, atol=3 / 255)
    assert T.Resize(12, max_size=14)(img).size == (14, 10)
    with pytest.raises(ValueError, match="max_size"):
        T.Resize((4, 4), max_size=10)(img)
    u8 = T.Resize((3, 4))(T.PILToTensor()(img))
    assert u8.dtype == pyengine.uint8


def test_center_crop_and_crop_offsets():
    img, arr = _img(7, 9)
    c = T.CenterCrop(4)(img)
    top, left = int(round((7 - 4) / 2.0)), int(round((9 - 4) / 2.0))
    np.testing.assert_array_equal(np.asarray(c), arr[top:top + 4, left:left + 4])
    t = T.CenterCrop((3, 5))(T.PILToTensor()(img))
    top, left = int(round((7 - 3) / 2.0)), int(round((9 - 5) / 2.0))
    np.testing.assert_array_equal(t.numpy(), arr.transpose(2, 0, 1)[:, top:top + 3, left:left + 5])
    big = T.CenterCrop(11)(T.PILToTensor()(img))  # larger than the image: zero padded
    assert tuple(big.shape) == (3, 11, 11) and big.numpy()[:, 0, :].sum() == 0


def test_pad_modes_vs_numpy():
    img, arr = _img(4, 5)
    x = T.PILToTensor()(img)
    for padding, spec in [(2, ((2, 2), (2, 2))), ((1, 3), ((3, 3), (1, 1))), ((1, 2, 3, 4), ((2, 4), (1, 3)))]:
        for mode in ("constant", "edge", "reflect", "symmetric"):
            kw = {"constant_values": 9} if mode == "constant" else {}
            ref = np.pad(arr.transpose(2, 0, 1), ((0, 0),) + spec, mode=mode, **kw)
            got = T.Pad(padding, fill=9 if mode == "constant" else 0, padding_mode=mode)(x)
            np.testing.assert_array_equal(got.numpy(), ref)
            got_pil = T.Pad(padding, fill=9 if mode == "constant" else 0, padding_mode=mode)(img)
            np.testing.assert_array_equal(np.asarray(got_pil).transpose(2, 0, 1), ref)
    with pytest.raises(ValueError, match="Padding mode should be either"):
        T.Pad(1, padding_mode="wrap")
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4"):
        T.Pad((1, 2, 3))


def test_random_crop_with_padding_and_seed():
    img, arr = _img(8, 8)
    pyengine.manual_seed(0)
    a = np.asarray(T.RandomCrop(8, padding=4)(img))
    pyengine.manual_seed(0)
    b = np.asarray(T.RandomCrop(8, padding=4)(img))
    assert a.shape == (8, 8, 3) and np.array_equal(a, b)
    padded = np.pad(arr, ((4, 4), (4, 4), (0, 0)))
    windows = [padded[i:i + 8, j:j + 8] for i in range(9) for j in range(9)]
    assert any(np.array_equal(a, w) for w in windows)
    assert T.RandomCrop(10, pad_if_needed=True)(img).size == (10, 10)
    with pytest.raises(ValueError, match="Required crop size"):
        T.RandomCrop(10)(img)
    t = T.RandomCrop((3, 4))(T.PILToTensor()(img))
    assert tuple(t.shape) == (3, 3, 4)


def test_horizontal_flip():
    img, arr = _img()
    np.testing.assert_array_equal(np.asarray(T.RandomHorizontalFlip(p=1.0)(img)), arr[:, ::-1])
    assert T.RandomHorizontalFlip(p=0.0)(img) is img
    t = T.ToTensor()(img)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=1.0)(t).numpy(), t.numpy()[:, :, ::-1])
    pyengine.manual_seed(3)
    flips = sum(T.RandomHorizontalFlip()(t).numpy()[0, 0, 0] != t.numpy()[0, 0, 0] for _ in range(200))
    assert 60 < flips < 140


def test_grayscale():
    img, arr = _img()
    g = T.Grayscale()(img)
    assert g.mode == "L"
    arr = arr.astype(np.int64)
    ref = (arr[..., 0] * 299 + arr[..., 1] * 587 + arr[..., 2] * 114) / 1000  # ITU-R 601-2, Pillow's
    assert np.abs(np.asarray(g).astype(float) - ref).max() <= 1
    assert np.asarray(T.Grayscale(3)(img)).shape == (6, 8, 3)
    t = T.ToTensor()(img)
    gt = T.Grayscale(num_output_channels=3)(t)
    r, gg, b = t.numpy()
    np.testing.assert_allclose(gt.numpy()[1], 0.2989 * r + 0.587 * gg + 0.114 * b, rtol=1e-5)
    with pytest.raises(ValueError):
        T.Grayscale(2)(img)


def test_lambda_compose_convert_dtype():
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        T.Lambda(3)
    pipe = T.Compose([T.PILToTensor(), T.ConvertImageDtype(pyengine.float32), T.Lambda(lambda x: x * 2)])
    img, arr = _img()
    np.testing.assert_allclose(pipe(img).numpy(), arr.transpose(2, 0, 1) / 255.0 * 2, rtol=1e-6)
    assert "Compose(" in repr(pipe)
    f = pyengine.tensor([0.0, 0.5, 1.0])
    assert F.convert_image_dtype(f, pyengine.uint8).tolist() == [0, 127, 255]
    u = pyengine.tensor([0, 128, 255], dtype=pyengine.uint8)
    assert F.convert_image_dtype(u, pyengine.int16).tolist() == [0, 128 * 128, 255 * 128]
    assert F.convert_image_dtype(pyengine.tensor([32767], dtype=pyengine.int16), pyengine.uint8).tolist() == [255]
    with pytest.raises(RuntimeError, match="cannot be performed safely"):
        F.convert_image_dtype(f, pyengine.int32)


def test_make_grid_layout():
    batch = pyengine.rand(5, 3, 4, 6)
    g = U.make_grid(batch, nrow=2, padding=1, pad_value=0.25)
    # torchvision: xmaps = min(nrow, B), ymaps = ceil(B / xmaps), cell = size + padding, plus one padding
    assert tuple(g.shape) == (3, 3 * 5 + 1, 2 * 7 + 1)
    gn, b = g.numpy(), batch.numpy()
    for k in range(5):
        y, x = divmod(k, 2)
        np.testing.assert_array_equal(gn[:, y * 5 + 1:y * 5 + 5, x * 7 + 1:x * 7 + 7], b[k])
    assert (gn[:, 0, :] == 0.25).all() and (gn[:, 11:, 8:] == 0.25).all()  # padding and the empty 6th cell
    assert tuple(U.make_grid(pyengine.rand(4, 3, 32, 32)).shape) == (3, 36, 138)
    assert tuple(U.make_grid(pyengine.rand(4, 1, 28, 28), nrow=2).shape) == (3, 62, 62)  # gray -> 3 channels
    one = pyengine.rand(1, 2, 3, 3)
    assert tuple(U.make_grid(one).shape) == (2, 3, 3)
    assert tuple(U.make_grid([pyengine.rand(3, 2, 2)] * 3, padding=0).shape) == (3, 2, 6)


def test_make_grid_normalize():
    x = pyengine.tensor([[[[-1.0, 1.0]]], [[[0.0, 3.0]]]])
    g = U.make_grid(x, normalize=True, padding=0).numpy()[0]
    np.testing.assert_allclose(g, [[0.0, 0.5, 0.25, 1.0]])
    g = U.make_grid(x, normalize=True, scale_each=True, padding=0).numpy()[0]
    np.testing.assert_allclose(g, [[0.0, 1.0, 0.0, 1.0]])
    g = U.make_grid(x, normalize=True, value_range=(0.0, 2.0), padding=0).numpy()[0]
    np.testing.assert_allclose(g, [[0.0, 0.5, 0.0, 1.0]])


def test_save_image(tmp_path):
    x = pyengine.rand(4, 3, 8, 8)
    path = tmp_path / "grid.png"
    U.save_image(x, str(path), nrow=2)
    arr = np.asarray(Image.open(path))
    assert arr.shape == (2 * 10 + 2, 2 * 10 + 2, 3)
    ref = np.clip(U.make_grid(x, nrow=2).numpy() * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    np.testing.assert_array_equal(arr, ref)
    U.save_image(pyengine.rand(1, 5, 5), str(tmp_path / "one.png"))
    assert np.asarray(Image.open(tmp_path / "one.png")).shape == (5, 5, 3)
