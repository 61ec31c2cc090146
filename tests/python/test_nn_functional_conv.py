"""conv2d (+ its input/weight/bias backward kernels) and linear against a float64 numpy reference and
torch (forward values and autograd gradients)."""
import numpy as np
import pytest
from nn_testing import LAYOUTS, close, pt, raises_like_torch, rand, torch_mod, tt

import pyengine as pe
import pyengine.nn.functional as F

_nn = pe._C._nn


def np_conv2d(x, w, b, stride, padding, dilation, groups):
    n, _, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for g in range(groups):
        xs = xp[:, g * cg:(g + 1) * cg]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
                out[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", patch, w[g * og:(g + 1) * og, :, i, j])
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


CASES = [
    # x shape, w shape, stride, padding, dilation, groups, bias
    ((2, 3, 8, 8), (4, 3, 3, 3), (1, 1), (0, 0), (1, 1), 1, True),
    ((2, 3, 9, 7), (4, 3, 3, 2), (2, 1), (1, 2), (1, 1), 1, False),
    ((1, 4, 10, 9), (6, 2, 3, 3), (1, 2), (2, 1), (2, 1), 2, True),
    ((3, 6, 7, 7), (6, 1, 3, 3), (1, 1), (1, 1), (1, 1), 6, True),   # depthwise
    ((2, 5, 6, 6), (3, 5, 1, 1), (1, 1), (0, 0), (1, 1), 1, True),   # 1x1: no im2col
    ((2, 4, 6, 6), (4, 2, 1, 1), (2, 2), (1, 0), (1, 1), 2, False),  # 1x1 strided, padded
    ((2, 3, 12, 11), (2, 3, 5, 5), (3, 2), (2, 2), (1, 2), 1, True),
    ((2, 3, 9, 10), (4, 3, 3, 2), (1, 1), (2, 1), (2, 3), 1, True),    # direct kernel with dilation
    ((2, 80, 6, 5), (72, 80, 3, 3), (1, 1), (1, 2), (1, 1), 1, True),  # many channels: im2col + GEMM
    ((1, 2, 5, 6), (2, 2, 3, 3), (1, 1), (3, 2), (1, 1), 1, True),     # padding > k - 1: im2col backward
]


def _args(case):
    xs, ws, s, p, d, g, bias = case
    x, w = rand(xs, seed=1), rand(ws, seed=2)
    b = rand((ws[0],), seed=3) if bias else None
    return x, w, b, s, p, d, g


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_conv2d_matches_numpy(case, layout):
    x, w, b, s, p, d, g = _args(case)
    got = F.conv2d(pt(x, layout), pt(w, layout), None if b is None else pe.tensor(b), s, p, d, g)
    close(got, np_conv2d(x, w, b, s, p, d, g), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_conv2d_backward_kernels_match_torch(case):
    torch = torch_mod()
    x, w, b, s, p, d, g = _args(case)
    xt, wt = tt(x, True), tt(w, True)
    bt = None if b is None else tt(b, True)
    y = torch.nn.functional.conv2d(xt, wt, bt, s, p, d, g)
    go = rand(tuple(y.shape), seed=4)
    y.backward(tt(go))
    pgo = pt(go, "transposed")
    close(_nn.conv2d_backward_input(pgo, pe.tensor(w), x.shape, s, p, d, g), xt.grad, rtol=1e-10, atol=1e-12)
    close(_nn.conv2d_backward_weight(pgo, pe.tensor(x), w.shape, s, p, d, g), wt.grad, rtol=1e-10, atol=1e-12)
    if b is not None:
        close(_nn.conv2d_backward_bias(pgo), bt.grad, rtol=1e-10, atol=1e-12)


def test_conv2d_weight_grad_with_inf_input_matches_torch():
    # the direct kernel's garbage columns would turn 0 * inf into nan: such inputs take im2col
    torch = torch_mod()
    x, w = rand((2, 2, 6, 6), seed=30), rand((3, 2, 3, 3), seed=31)
    x[0, 1, 2, 0] = np.inf
    go = rand((2, 3, 4, 4), seed=32)
    want = torch.nn.grad.conv2d_weight(tt(x), w.shape, tt(go))
    got = _nn.conv2d_backward_weight(pe.tensor(go), pe.tensor(x), w.shape)
    np.testing.assert_array_equal(np.isfinite(got.numpy()), np.isfinite(want.numpy()))


@pytest.mark.parametrize("isa", ["baseline", "avx2"])
def test_conv2d_direct_kernels_on_narrower_isas(isa, tmp_path):
    """The direct kernels' baseline and AVX2 builds (by default the widest the CPU has is used)."""
    import os
    import subprocess
    import sys
    code = (
        "import sys, numpy as np, pyengine as pe\n"
        "rng = np.random.default_rng(0)\n"
        "out = []\n"
        "for dt in (np.float32, np.float64):\n"
        "    x = pe.tensor(rng.standard_normal((3, 4, 9, 7)).astype(dt))\n"
        "    w = pe.tensor(rng.standard_normal((6, 4, 3, 3)).astype(dt))\n"
        "    go = pe.tensor(rng.standard_normal((3, 6, 9, 7)).astype(dt))\n"
        "    out += [pe.conv2d(x, w, None, 1, 1).numpy().ravel(),\n"
        "            pe._C._nn.conv2d_backward_input(go, w, (3, 4, 9, 7), 1, 1).numpy().ravel(),\n"
        "            pe._C._nn.conv2d_backward_weight(go, x, (6, 4, 3, 3), 1, 1).numpy().ravel()]\n"
        "np.save(sys.argv[1], np.concatenate([o.astype(np.float64) for o in out]))\n"
    )
    env = dict(os.environ, PE_CONV_ISA=isa)
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "isa.npy")], env=env, check=True)
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "ref.npy")], check=True)
    np.testing.assert_allclose(np.load(tmp_path / "isa.npy"), np.load(tmp_path / "ref.npy"), rtol=1e-4, atol=1e-4)


def test_conv2d_float32_lenet_shapes_match_torch():
    torch = torch_mod()
    for xs, ws in [((8, 3, 32, 32), (6, 3, 5, 5)), ((8, 6, 14, 14), (16, 6, 5, 5))]:
        x, w, b = rand(xs, seed=5).astype(np.float32), rand(ws, seed=6).astype(np.float32), rand(ws[:1], seed=7)
        b = b.astype(np.float32)
        xt, wt, bt = tt(x, True), tt(w, True), tt(b, True)
        y = torch.nn.functional.conv2d(xt, wt, bt)
        go = rand(tuple(y.shape), seed=8).astype(np.float32)
        y.backward(tt(go))
        out = pe.conv2d(pe.tensor(x), pe.tensor(w), pe.tensor(b))
        assert out.dtype is pe.float32
        close(out, y, rtol=1e-4, atol=1e-5)
        close(_nn.conv2d_backward_input(pe.tensor(go), pe.tensor(w), x.shape), xt.grad, rtol=1e-4, atol=1e-4)
        close(_nn.conv2d_backward_weight(pe.tensor(go), pe.tensor(x), w.shape), wt.grad, rtol=1e-4, atol=1e-3)
        close(_nn.conv2d_backward_bias(pe.tensor(go)), bt.grad, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("ksize", [(3, 3), (4, 2), (2, 5)])
@pytest.mark.parametrize("dilation", [1, 2])
def test_conv2d_same_and_valid_padding(ksize, dilation):
    torch = torch_mod()
    x, w, b = rand((2, 3, 7, 10), seed=9), rand((4, 3) + ksize, seed=10), rand((4,), seed=11)
    for padding in ("same", "valid"):
        want = torch.nn.functional.conv2d(tt(x), tt(w), tt(b), padding=padding, dilation=dilation)
        got = F.conv2d(pe.tensor(x), pe.tensor(w), pe.tensor(b), padding=padding, dilation=dilation)
        close(got, want, rtol=1e-10, atol=1e-12)
    assert F.conv2d(pe.tensor(x), pe.tensor(w), padding="same", dilation=dilation).shape == (2, 4, 7, 10)


def test_conv2d_unbatched_empty_and_zero_channels():
    x, w, b = rand((3, 6, 6), seed=12), rand((2, 3, 3, 3), seed=13), rand((2,), seed=14)
    got = F.conv2d(pe.tensor(x), pe.tensor(w), pe.tensor(b), padding=1)
    assert got.shape == (2, 6, 6)
    close(got, np_conv2d(x[None], w, b, (1, 1), (1, 1), (1, 1), 1)[0], rtol=1e-10, atol=1e-12)
    gi = _nn.conv2d_backward_input(pe.tensor(rand((2, 6, 6), seed=15)), pe.tensor(w), (3, 6, 6), 1, 1)
    assert gi.shape == (3, 6, 6)
    assert _nn.conv2d_backward_weight(pe.tensor(rand((2, 6, 6), seed=15)), pe.tensor(x), w.shape, 1, 1).shape == w.shape
    assert F.conv2d(pe.zeros(0, 3, 8, 8, dtype=pe.float64), pe.tensor(w)).shape == (0, 2, 6, 6)
    np.testing.assert_array_equal(
        _nn.conv2d_backward_weight(pe.zeros(0, 2, 6, 6), pe.zeros(0, 3, 8, 8), w.shape).numpy(), np.zeros(w.shape))


def test_conv2d_errors():
    nnf = lambda m: m.nn.functional  # noqa: E731
    x = lambda m: m.zeros(2, 3, 8, 8)  # noqa: E731
    w = lambda m: m.zeros(4, 3, 3, 3)  # noqa: E731
    raises_like_torch(RuntimeError, "Expected 3D \\(unbatched\\) or 4D \\(batched\\) input to conv2d",
                      lambda m: nnf(m).conv2d(m.zeros(3, 8), w(m)))
    raises_like_torch(RuntimeError, "Input type .* and weight type .* should be the same",
                      lambda m: nnf(m).conv2d(x(m), w(m).double()))
    raises_like_torch(RuntimeError, r"Input type \(float\) and bias type \(double\) should be the same",
                      lambda m: nnf(m).conv2d(x(m), w(m), m.zeros(4, dtype=m.float64)))
    raises_like_torch(RuntimeError, r"expected input\[2, 3, 8, 8\] to have 2 channels, but got 3 channels instead",
                      lambda m: nnf(m).conv2d(x(m), m.zeros(4, 2, 3, 3)))
    raises_like_torch(RuntimeError, "expected bias to be 1-dimensional with 4 elements",
                      lambda m: nnf(m).conv2d(x(m), w(m), m.zeros(5)))
    raises_like_torch(RuntimeError, "Kernel size can't be greater than actual input size",
                      lambda m: nnf(m).conv2d(x(m), m.zeros(4, 3, 9, 9)))
    raises_like_torch(RuntimeError, "expected weight to be divisible by 2 at dimension 0",
                      lambda m: nnf(m).conv2d(m.zeros(2, 4, 8, 8), m.zeros(3, 2, 3, 3), groups=2))
    raises_like_torch(RuntimeError, "non-positive stride is not supported",
                      lambda m: nnf(m).conv2d(x(m), w(m), stride=0))
    raises_like_torch(RuntimeError, "negative padding is not supported",
                      lambda m: nnf(m).conv2d(x(m), w(m), padding=-1))
    raises_like_torch(RuntimeError, "non-positive dilation is not supported",
                      lambda m: nnf(m).conv2d(x(m), w(m), dilation=0))
    raises_like_torch(RuntimeError, "padding='same' is not supported for strided convolutions",
                      lambda m: nnf(m).conv2d(x(m), w(m), padding="same", stride=2))
    raises_like_torch(RuntimeError, "Invalid padding string: 'foo'", lambda m: nnf(m).conv2d(x(m), w(m), padding="foo"))
    raises_like_torch(RuntimeError, "a list of 2 values", lambda m: nnf(m).conv2d(x(m), w(m), stride=(1, 1, 1)))
    # integer conv2d is computed (test_reliability_edges.py); bool is not, as in PyTorch
    raises_like_torch(NotImplementedError, "not implemented for 'Bool'",
                      lambda m: nnf(m).conv2d(m.zeros(1, 1, 4, 4, dtype=m.bool), m.zeros(1, 1, 2, 2, dtype=m.bool)))
    with pytest.raises(RuntimeError, match="grad_output"):
        _nn.conv2d_backward_input(pe.zeros(2, 4, 5, 5), pe.zeros(4, 3, 3, 3), (2, 3, 8, 8))


# ---------------------------------------------------------------- linear

@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("x_shape", [(5, 3), (2, 4, 3), (3,), (0, 3)])
def test_linear_matches_numpy(layout, x_shape):
    x, w, b = rand(x_shape, seed=16), rand((4, 3), seed=17), rand((4,), seed=18)
    close(F.linear(pt(x, layout), pt(w, layout), pe.tensor(b)), x @ w.T + b, rtol=1e-12, atol=1e-12)
    close(F.linear(pt(x, layout), pe.tensor(w)), x @ w.T, rtol=1e-12, atol=1e-12)


def test_linear_float32_1d_weight_and_broadcast_bias():
    torch = torch_mod()
    x, w = rand((6, 5), seed=19).astype(np.float32), rand((7, 5), seed=20).astype(np.float32)
    close(F.linear(pe.tensor(x), pe.tensor(w)), torch.nn.functional.linear(tt(x), tt(w)), rtol=1e-5)
    v = rand((5,), seed=21)
    close(F.linear(pe.tensor(x.astype(np.float64)), pe.tensor(v)), x.astype(np.float64) @ v, rtol=1e-12)
    b2 = rand((6, 7), seed=22).astype(np.float32)
    close(F.linear(pe.tensor(x), pe.tensor(w), pe.tensor(b2)),
          torch.nn.functional.linear(tt(x), tt(w), tt(b2)), rtol=1e-5)


def test_linear_errors():
    raises_like_torch(RuntimeError, r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 5x4\)",
                      lambda m: m.nn.functional.linear(m.zeros(2, 3), m.zeros(4, 5)))
    raises_like_torch(RuntimeError, "expected m1 and m2 to have the same dtype, but got: float != double",
                      lambda m: m.nn.functional.linear(m.zeros(2, 3), m.zeros(4, 3, dtype=m.float64)))
