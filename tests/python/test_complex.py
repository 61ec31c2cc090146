"""Complex dtypes (Note [Complex dtypes]): creation, promotion, casts, printing, the numpy bridge, the part views,
arithmetic, math, reductions and the refusals, against PyTorch on contiguous, non-contiguous, broadcast, 0-d and
empty tensors."""
import numpy as np
import pytest
import torch

import pyengine as pe

CDTYPES = [("complex64", np.complex64), ("complex128", np.complex128)]


def cplx(shape, npdt, seed=0):
    rng = np.random.default_rng(seed)
    return np.asarray(rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(npdt)


def layouts(npdt):
    """(name, numpy array) of every layout the tests cover."""
    base = cplx((4, 6), npdt)
    return [("contiguous", base), ("transposed", base.T), ("strided", base[:, ::2]), ("0-d", cplx((), npdt)),
            ("empty", cplx((0, 3), npdt))]


def pe_of(a: np.ndarray):
    """A pyengine tensor with a's values and a's layout (non-contiguous arrays stay non-contiguous)."""
    if a.ndim == 2 and not a.flags.c_contiguous:
        base = pe.from_numpy(np.ascontiguousarray(a.base if a.base is not None else a))
        if a.base is not None and a.shape == a.base.shape[::-1]:
            return base.t()
        return base[:, ::2]
    return pe.from_numpy(np.ascontiguousarray(a))


def close(got, want, rtol=1e-5, atol=1e-6):
    want = want.resolve_conj().numpy() if isinstance(want, torch.Tensor) else np.asarray(want)
    assert str(got.dtype).replace("torch.", "") == str(want.dtype).replace("numpy.", ""), (got.dtype, want.dtype)
    assert tuple(got.shape) == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=rtol, atol=atol)


def test_dtype_objects_and_names():
    assert pe.complex64 is pe.cfloat and pe.complex128 is pe.cdouble
    assert pe.complex64.is_complex and not pe.complex64.is_floating_point and pe.complex64.itemsize == 8
    assert pe.complex128.itemsize == 16 and str(pe.complex128) == "torch.complex128"
    assert pe.float32.to_complex() is pe.complex64 and pe.complex128.to_real() is pe.float64


@pytest.mark.parametrize("a,b", [("complex64", "float64"), ("complex64", "float32"), ("complex128", "float32"),
                                 ("complex64", "int64"), ("complex64", "bool"), ("complex64", "complex128"),
                                 ("float16", "complex64")])
def test_promote_types(a, b):
    assert str(pe.promote_types(getattr(pe, a), getattr(pe, b))) == str(torch.promote_types(getattr(torch, a),
                                                                                          getattr(torch, b)))


def test_result_type_with_python_complex():
    x = pe.ones(3)
    assert (x * 1j).dtype is pe.complex64
    assert (pe.ones(3, dtype=pe.float64) + 2j).dtype is pe.complex128
    assert (pe.ones(3, dtype=pe.int64) * 1j).dtype is pe.complex64
    assert pe.tensor(1 + 2j).dtype is pe.complex64
    assert pe.tensor([1, 2.5, 3j]).dtype is pe.complex64
    pe.set_default_dtype(pe.float64)
    try:
        assert pe.tensor(1j).dtype is pe.complex128
    finally:
        pe.set_default_dtype(pe.float32)


def test_creation_numpy_item_tolist_printing():
    z = pe.tensor([[1 + 2j, -3.5j], [0, 4]])
    t = torch.tensor([[1 + 2j, -3.5j], [0, 4]])
    assert repr(z) == repr(t)
    assert repr(z.to(pe.complex128)) == repr(t.to(torch.complex128))
    assert z.tolist() == t.tolist()
    assert z[0, 0].item() == (1 + 2j) and isinstance(z[0, 0].item(), complex)
    a = cplx((3,), np.complex128)
    shared = pe.from_numpy(a)
    shared[0] = 5 - 1j
    assert a[0] == 5 - 1j  # from_numpy shares memory
    assert shared.numpy().dtype == np.complex128
    assert pe.zeros(2, 3, dtype=pe.cfloat).numpy().tolist() == [[0j] * 3] * 2
    assert pe.full((2,), 1 - 1j).dtype is pe.complex64
    with pytest.raises(TypeError, match="can't convert complex"):
        pe.tensor([1j], dtype=pe.float32)


@pytest.mark.parametrize("name,npdt", CDTYPES)
def test_casts(name, npdt):
    a = cplx((5,), npdt)
    z = pe.from_numpy(a)
    with pytest.warns(UserWarning, match="discards the imaginary part"):
        close(z.to(pe.float64), torch.from_numpy(a).to(torch.float64))  # complex -> real keeps the real part
    close(z.to(pe.complex128 if name == "complex64" else pe.complex64),
          torch.from_numpy(a).to(torch.complex128 if name == "complex64" else torch.complex64))
    close(z.to(pe.bool), torch.from_numpy(a).to(torch.bool))
    r = np.arange(4, dtype=np.int64)
    close(pe.from_numpy(r).to(getattr(pe, name)), torch.from_numpy(r).to(getattr(torch, name)))
    assert pe.from_numpy(r).cdouble().dtype is pe.complex128 and pe.from_numpy(r).cfloat().dtype is pe.complex64


@pytest.mark.parametrize("name,npdt", CDTYPES)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "pow"])
def test_binary_arithmetic(name, npdt, op):
    for lname, a in layouts(npdt):
        b = cplx(a.shape, npdt, seed=1)
        got = getattr(pe, op)(pe_of(a), pe.from_numpy(b))
        want = getattr(torch, op)(torch.from_numpy(np.ascontiguousarray(a)), torch.from_numpy(b))
        close(got, want, rtol=1e-4 if name == "complex64" else 1e-10, atol=1e-5 if name == "complex64" else 1e-12)
    # broadcast against a row and a Python number, and alpha
    a, row = cplx((3, 4), npdt), cplx((4,), npdt, seed=2)
    close(pe.from_numpy(a) * pe.from_numpy(row), torch.from_numpy(a) * torch.from_numpy(row))
    close(pe.add(pe.from_numpy(a), pe.from_numpy(row), alpha=2 - 1j),
          torch.add(torch.from_numpy(a), torch.from_numpy(row), alpha=2 - 1j), rtol=1e-5)
    close(pe.from_numpy(a) - (1 + 1j), torch.from_numpy(a) - (1 + 1j))
    close((1 + 1j) / pe.from_numpy(a), (1 + 1j) / torch.from_numpy(a), rtol=1e-5)


def test_mixed_real_complex_operands():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    z = cplx((3,), np.complex64)
    close(pe.from_numpy(x) * pe.from_numpy(z), torch.from_numpy(x) * torch.from_numpy(z))
    close(pe.from_numpy(x.astype(np.float64)) + pe.from_numpy(z), torch.from_numpy(x.astype(np.float64)) +
          torch.from_numpy(z))
    y = pe.from_numpy(z.copy())
    y *= 2
    close(y, torch.from_numpy(z) * 2)
    with pytest.raises(RuntimeError, match="can't be cast"):
        pe.ones(3).add_(pe.from_numpy(z))


@pytest.mark.parametrize("name,npdt", CDTYPES)
@pytest.mark.parametrize("op", ["exp", "log", "sqrt", "sin", "cos", "tanh", "reciprocal", "sigmoid", "neg", "abs",
                                "angle", "conj", "isnan", "isfinite"])
def test_unary(name, npdt, op):
    for lname, a in layouts(npdt):
        got = getattr(pe, op)(pe_of(a))
        want = getattr(torch, op)(torch.from_numpy(np.ascontiguousarray(a)))
        close(got, want, rtol=1e-5 if name == "complex64" else 1e-12, atol=1e-6 if name == "complex64" else 1e-14)


def test_real_imag_are_views():
    z = pe.from_numpy(cplx((2, 3), np.complex128))
    r, i = z.real, z.imag
    assert r.dtype is pe.float64 and r.stride() == (6, 2) and i.storage_offset() == 1
    r.add_(1)
    i.zero_()
    assert np.allclose(z.numpy().imag, 0) and z._version > 0
    z.real = pe.zeros(2, 3, dtype=pe.float64)
    assert np.allclose(z.numpy(), 0)
    x = pe.ones(3)
    assert x.real is x
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex dtypes"):
        x.imag


def test_view_as_real_complex():
    a = cplx((3, 4), np.complex64)
    z = pe.from_numpy(a)
    v = pe.view_as_real(z)
    close(v, torch.view_as_real(torch.from_numpy(a)))
    back = pe.view_as_complex(v)
    close(back, torch.from_numpy(a))
    v[0, 0, 1] = 7  # shares storage
    assert z[0, 0].item().imag == 7
    close(pe.view_as_real(z.t()), torch.view_as_real(torch.from_numpy(a).t()))
    close(pe.view_as_real(pe.tensor(1 + 2j)), torch.view_as_real(torch.tensor(1 + 2j)))
    for bad, t_bad in [(pe.ones(3, 3), torch.ones(3, 3)), (pe.ones(4, 2)[:, :1], torch.ones(4, 2)[:, :1]),
                       (pe.ones(2, 4).t(), torch.ones(2, 4).t()), (pe.ones(5, dtype=pe.float16).view(-1),
                                                                    torch.ones(5, dtype=torch.float16))]:
        with pytest.raises(RuntimeError):
            torch.view_as_complex(t_bad)
        with pytest.raises(RuntimeError):
            pe.view_as_complex(bad)
    with pytest.raises(RuntimeError, match="only supported for complex tensors"):
        pe.view_as_real(pe.ones(2))


def test_complex_and_polar():
    re, im = np.random.rand(3, 1), np.random.rand(4)
    close(pe.complex(pe.from_numpy(re), pe.from_numpy(im)), torch.complex(torch.from_numpy(re),
                                                                           torch.from_numpy(im)))
    close(pe.polar(pe.from_numpy(re), pe.from_numpy(im)), torch.polar(torch.from_numpy(re), torch.from_numpy(im)),
          rtol=1e-12)
    with pytest.raises(RuntimeError, match="Expected object of scalar type Float but got scalar type Double"):
        pe.complex(pe.ones(2), pe.ones(2, dtype=pe.float64))
    with pytest.raises(RuntimeError, match="Expected both inputs to be Half, Float or Double"):
        pe.complex(pe.ones(2, dtype=pe.int64), pe.ones(2, dtype=pe.int64))


@pytest.mark.parametrize("name,npdt", CDTYPES)
def test_sum_mean(name, npdt):
    for lname, a in layouts(npdt):
        za, ta = pe_of(a), torch.from_numpy(np.ascontiguousarray(a))
        close(za.sum(), ta.sum(), rtol=1e-5)
        if a.ndim:
            close(za.sum(0), ta.sum(0), rtol=1e-5, atol=1e-5)
            close(za.mean(-1, keepdim=True), ta.mean(-1, keepdim=True), rtol=1e-5, atol=1e-5)
    with pytest.raises(RuntimeError):
        pe.from_numpy(cplx((3,), npdt)).sum(dtype=pe.float32)


def test_refusals_name_the_dtype():
    z = pe.tensor([1 + 1j, 2])
    for fn in (lambda: z.max(), lambda: z.relu(), lambda: z.prod(), lambda: pe.remainder(z, 2),
               lambda: pe.erf(z), lambda: pe.nan_to_num(z), lambda: z < z):
        with pytest.raises(NotImplementedError, match="ComplexFloat|complex64"):
            fn()
    with pytest.raises(RuntimeError, match="not supported for complex inputs"):
        z.floor()
    with pytest.raises(RuntimeError, match="torch.sgn"):
        z.sign()
    with pytest.raises(RuntimeError, match="cannot require gradients"):
        z.requires_grad_()
    with pytest.raises(RuntimeError, match="cannot require gradients"):
        pe.zeros(2, dtype=pe.complex64, requires_grad=True)
    with pytest.raises(RuntimeError, match="without overflow"):
        pe.ones(2).fill_(1 + 1j)


def test_complex_outputs_have_no_grad_fn():
    x = pe.randn(4, requires_grad=True)
    z = x * 1j
    assert z.grad_fn is None and not z.requires_grad


def test_cuda_refuses_complex_kernels():
    if not pe.cuda.is_available():
        pytest.skip("CUDA not available")
    z = pe.tensor([1 + 1j, 2]).cuda()  # a copy moves the bytes
    assert z.device.type == "cuda" and z.cpu().tolist() == [1 + 1j, 2 + 0j]
    with pytest.raises(NotImplementedError, match="complex64|ComplexFloat"):
        z + z


@pytest.mark.parametrize("name,npdt", CDTYPES)
def test_matmul_family(name, npdt):
    tol = dict(rtol=1e-4, atol=1e-5) if name == "complex64" else dict(rtol=1e-10, atol=1e-12)
    a, b = cplx((3, 4), npdt), cplx((4, 5), npdt, seed=1)
    pa, pb, ta, tb = pe.from_numpy(a), pe.from_numpy(b), torch.from_numpy(a), torch.from_numpy(b)
    close(pa @ pb, ta @ tb, **tol)
    close(pe.mm(pb.t(), pa.t()), torch.mm(tb.t(), ta.t()), **tol)  # transposed operands
    close(pe.matmul(pa.expand(2, 3, 4), pb), torch.matmul(ta.expand(2, 3, 4), tb), **tol)
    close(pe.mv(pa, pb[:, 0]), torch.mv(ta, tb[:, 0]), **tol)
    c = cplx((3, 5), npdt, seed=2)
    close(pe.addmm(pe.from_numpy(c), pa, pb, beta=2 - 1j, alpha=0.5j),
          torch.addmm(torch.from_numpy(c), ta, tb, beta=2 - 1j, alpha=0.5j), **tol)
    close(pe.dot(pa[0], pb[:, 1]), torch.dot(ta[0], tb[:, 1]), **tol)
    close(pe.vdot(pa[0], pb[:, 1]), torch.vdot(ta[0], tb[:, 1]), **tol)  # conjugates the first
    close(pe.einsum("ij,jk->ik", pa, pb), torch.einsum("ij,jk->ik", ta, tb), **tol)
    close(pe.from_numpy(np.zeros((0, 4), npdt)) @ pb, torch.from_numpy(np.zeros((0, 4), npdt)) @ tb)


def test_selection_comparison_and_norms():
    a, b = cplx((3, 4), np.complex64), cplx((3, 4), np.complex64, seed=1)
    pa, pb, ta, tb = pe.from_numpy(a), pe.from_numpy(b), torch.from_numpy(a), torch.from_numpy(b)
    close(pe.where(pa.real > 0, pa, pb), torch.where(ta.real > 0, ta, tb))
    close(pe.isclose(pa, pa * (1 + 1e-7)), torch.isclose(ta, ta * (1 + 1e-7)))
    assert pe.allclose(pa, pa + 1e-9) and not pe.allclose(pa, pb)
    assert pe.equal(pa, pa.clone()) and not pe.equal(pa, pb)
    close(pe.sgn(pa), torch.sgn(ta))
    close(pe.sgn(pa * 0), torch.sgn(ta * 0))
    close(pa.norm(), ta.norm())
    close(pe.linalg.vector_norm(pa, 1, dim=1), torch.linalg.vector_norm(ta, 1, dim=1))
    close(pe.nn.functional.pad(pa, (1, 2), value=2.5), torch.nn.functional.pad(ta, (1, 2), value=2.5))
    close(pe.cat([pa, pb], 1), torch.cat([ta, tb], 1))
    close(pe.stack([pa, pb]), torch.stack([ta, tb]))
    close(pa[pe.tensor([2, 0])], ta[torch.tensor([2, 0])])
    close(pa[pa.real > 0], ta[ta.real > 0])
    close(pa.flip(1), ta.flip(1))
    for fn in (lambda t: t.cumsum(0), lambda t: t.logsumexp(0)):
        with pytest.raises(NotImplementedError):
            fn(pa)


def test_save_load_round_trip_with_pytorch(tmp_path):
    z = pe.from_numpy(cplx((2, 3), np.complex128))
    pe.save({"z": z, "zt": z.t()}, tmp_path / "a.pt")
    d = torch.load(tmp_path / "a.pt")
    np.testing.assert_array_equal(d["z"].numpy(), z.numpy())
    np.testing.assert_array_equal(d["zt"].numpy(), z.t().numpy())
    t = torch.randn(4, dtype=torch.complex64)
    torch.save({"t": t}, tmp_path / "b.pt")
    back = pe.load(tmp_path / "b.pt")["t"]
    assert back.dtype is pe.complex64
    np.testing.assert_array_equal(back.numpy(), t.numpy())


def test_finfo_of_complex_is_its_parts():
    for d in ("complex64", "complex128"):
        a, b = pe.finfo(getattr(pe, d)), torch.finfo(getattr(torch, d))
        assert (a.eps, a.max, a.tiny, a.bits) == (b.eps, b.max, b.tiny, b.bits)


def test_random_complex_tensors():
    """rand/randn/normal_/uniform_ on complex dtypes: each part drawn independently, as PyTorch (randn: each part
    N(0, 1/2), so E|z|^2 = 1)."""
    z = pe.randn(100000, dtype=pe.complex64, generator=pe.Generator().manual_seed(0))
    assert z.dtype is pe.complex64 and z.is_contiguous()
    assert abs(float(z.real.var()) - 0.5) < 0.02 and abs(float(z.imag.var()) - 0.5) < 0.02
    assert abs(float((z.abs() ** 2).mean()) - 1.0) < 0.02
    u = pe.rand(50000, dtype=pe.complex128)
    assert 0 <= float(u.real.min()) and float(u.imag.max()) < 1 and abs(float(u.imag.mean()) - 0.5) < 0.02
    n = pe.empty(50000, dtype=pe.cdouble).normal_(1.0, 2.0)
    assert abs(float(n.real.mean()) - 1.0) < 0.05 and abs(float(n.imag.var()) - 2.0) < 0.1
    assert pe.randn_like(z[:3]).dtype is pe.complex64
    a = pe.rand(3, dtype=pe.cfloat, generator=pe.Generator().manual_seed(5))
    b = pe.rand(3, dtype=pe.cfloat, generator=pe.Generator().manual_seed(5))
    assert pe.equal(a, b)
    with pytest.raises(RuntimeError, match="cannot require gradients"):
        pe.randn(2, dtype=pe.complex64, requires_grad=True)


def test_composites_conjugate_or_refuse():
    a = cplx((3, 3), np.complex128)
    z, t = pe.from_numpy(a), torch.from_numpy(a)
    close(pe.linalg.vecdot(z, z.flip(0)), torch.linalg.vecdot(t, t.flip(0)), rtol=1e-12)  # conj(x) * y
    for name in ("kron", "inner"):
        close(getattr(pe, name)(z, z), getattr(torch, name)(t, t), rtol=1e-12)
    close(pe.diff(z), torch.diff(t))
    close(pe.linalg.norm(z), torch.linalg.norm(t), rtol=1e-12)
    with pytest.raises(RuntimeError, match="nansum does not support complex"):
        pe.nansum(z)
    with pytest.raises(NotImplementedError):
        pe.cov(z)
    with pytest.raises(NotImplementedError):
        pe.nn.functional.cosine_similarity(z, z)


def test_float_composites_keep_complex():
    a = cplx((5,), np.complex128)
    close(pe.sinc(pe.from_numpy(a)), torch.sinc(torch.from_numpy(a)), rtol=1e-12)
    for g, w in zip(pe.gradient(pe.from_numpy(a)), torch.gradient(torch.from_numpy(a))):
        close(g, w, rtol=1e-12)
    for fn in (pe.isneginf, pe.isposinf):
        with pytest.raises(RuntimeError, match="does not support complex"):
            fn(pe.from_numpy(a))
