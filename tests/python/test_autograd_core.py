"""The autograd core: leaves and .grad, grad_fn graph, backward/grad semantics and errors, retain_graph,
create_graph, grad modes, hooks, retain_grad, in-place safety and rebase, Variable, deep graphs."""
import gc
import threading
import weakref

import numpy as np
import pytest

import pyengine as torch
from pyengine.autograd import Variable, grad


def leaf(*vals, dtype=torch.float64):
    return torch.tensor(list(vals), dtype=dtype, requires_grad=True)


def test_requires_grad_flags_and_leaves():
    x = torch.ones(3)
    assert not x.requires_grad and x.is_leaf and x.grad_fn is None
    x.requires_grad_()
    assert x.requires_grad and x.is_leaf
    y = x * 2
    assert y.requires_grad and not y.is_leaf and type(y.grad_fn).__name__ == "MulBackward0"
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="floating point"):
        torch.ones(2, dtype=torch.int64).requires_grad_()
    assert torch.zeros(2, requires_grad=True).requires_grad


def test_grad_accumulates_and_resets():
    x = leaf(1.0, 2.0)
    (x * 3).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), [6.0, 6.0])
    x.grad.zero_()
    assert x.grad.tolist() == [0.0, 0.0]
    x.grad = None
    assert x.grad is None
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), [2.0, 4.0])
    del x.grad
    assert x.grad is None


def test_grad_setter_checks():
    x = leaf(1.0, 2.0)
    with pytest.raises(RuntimeError, match="different size"):
        x.grad = torch.zeros(3, dtype=torch.float64)
    with pytest.raises(RuntimeError, match="different type"):
        x.grad = torch.zeros(2)
    with pytest.raises(TypeError):
        x.grad = 3


def test_non_leaf_grad_warns_and_retain_grad():
    x = leaf(1.0, 2.0)
    y = x * 2
    y.retain_grad()
    z = (y * y).sum()
    z.backward()
    np.testing.assert_allclose(y.grad.tolist(), [4.0, 8.0])
    assert y.retains_grad
    w = x * 3
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert w.grad is None


def test_data_and_detach():
    x = leaf(1.0, 2.0)
    d = x.data
    assert not d.requires_grad and d.is_leaf
    d.mul_(2)  # invisible to autograd: no version error, values shared
    assert x.tolist() == [2.0, 4.0]
    y = x * x
    e = y.detach()
    assert not e.requires_grad and e.grad_fn is None
    e.add_(1)  # detach shares the version counter: the saved x is untouched, y's output is
    assert y.tolist() == e.tolist()
    z = x * 2
    z.detach_()
    assert not z.requires_grad and z.grad_fn is None


def test_next_functions_and_names():
    x = leaf(1.0, 2.0)
    y = x + 2
    out = (y * y * 3).mean()
    assert type(out.grad_fn).__name__ == "MeanBackward0"
    assert out.grad_fn.name() == "MeanBackward0"
    mul = out.grad_fn.next_functions[0][0]
    assert type(mul).__name__ == "MulBackward0"
    add = y.grad_fn
    nf = add.next_functions
    assert type(nf[0][0]).__name__ == "AccumulateGrad" and nf[0][1] == 0
    assert nf[0][0].variable is x
    assert nf[1] == (None, 0)  # the Python number 2
    assert y.grad_fn is y.grad_fn
    assert type(x.sum(0).grad_fn).__name__ == "SumBackward1"
    assert type((x - 1).grad_fn).__name__ == "SubBackward0"
    assert type((1 - x).grad_fn).__name__ == "RsubBackward1"
    assert type((x / 2).grad_fn).__name__ == "DivBackward0"
    assert type((-x).grad_fn).__name__ == "NegBackward0"


def test_backward_errors():
    x = leaf(1.0, 2.0)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        torch.ones(2).sum().backward()
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(torch.ones(3, dtype=torch.float64))
    y = x * 2
    y.backward(torch.tensor([1.0, 10.0], dtype=torch.float64))
    np.testing.assert_allclose(x.grad.tolist(), [2.0, 20.0])


def test_retain_graph_and_second_backward():
    x = leaf(1.0, 2.0)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.tolist(), [4.0, 8.0])
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_create_graph_higher_order():
    x = leaf(1.0, 2.0, 3.0)
    y = (x * x * x).sum()
    (g,) = grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.tolist(), [3.0, 12.0, 27.0])
    (g2,) = grad(g.sum(), x, create_graph=True)
    np.testing.assert_allclose(g2.tolist(), [6.0, 12.0, 18.0])
    (g3,) = grad(g2.sum(), x)
    np.testing.assert_allclose(g3.tolist(), [6.0, 6.0, 6.0])
    assert x.grad is None  # autograd.grad never touches .grad


def test_backward_create_graph_grad_has_history():
    x = leaf(2.0)
    y = x * x * x
    y.backward(create_graph=True)
    assert x.grad.requires_grad
    np.testing.assert_allclose(x.grad.tolist(), [12.0])


def test_grad_allow_unused_and_unrelated_nodes_skipped():
    x, z = leaf(1.0), leaf(2.0)
    calls = []
    side = z * 3
    side.register_hook(lambda g: calls.append(1))
    y = (x * 2).sum() + side.sum()
    (gx,) = grad(y, x, retain_graph=True)
    assert gx.tolist() == [2.0] and calls == []  # the z branch was not needed, so not run
    with pytest.raises(RuntimeError, match="appears to not have been used"):
        grad((x * 2).sum(), [x, leaf(1.0)])
    gx, gu = grad((x * 2).sum(), [x, leaf(1.0)], allow_unused=True)
    assert gu is None
    gx, gu = grad((x * 2).sum(), [x, leaf(1.0)], materialize_grads=True)
    assert gu.tolist() == [0.0]
    with pytest.raises(RuntimeError, match="does not require grad"):
        grad((x * 2).sum(), torch.ones(1))


def test_grad_with_grad_outputs_and_non_leaf_input():
    x = leaf(1.0, 2.0)
    h = x * 3
    y = h * h
    (gh,) = grad(y, h, torch.tensor([1.0, 0.5], dtype=torch.float64))
    np.testing.assert_allclose(gh.tolist(), [6.0, 6.0])


def test_backward_inputs_argument():
    x, z = leaf(1.0), leaf(2.0)
    (x * z).sum().backward(inputs=[x])
    assert x.grad.tolist() == [2.0] and z.grad is None


def test_grad_modes():
    x = leaf(1.0)
    with torch.no_grad():
        assert not (x * 2).requires_grad
        with torch.enable_grad():
            assert (x * 2).requires_grad
    assert torch.is_grad_enabled()

    @torch.no_grad()
    def f(t):
        return t * 2
    assert not f(x).requires_grad
    torch.set_grad_enabled(False)
    assert not torch.is_grad_enabled()
    torch.set_grad_enabled(True)
    with torch.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert torch.is_grad_enabled()
    with torch.inference_mode():
        assert not (x * 2).requires_grad
    seen = []
    with torch.no_grad():
        t = threading.Thread(target=lambda: seen.append(torch.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]  # thread-local


def test_tensor_hooks():
    x = leaf(1.0, 2.0)
    h = x.register_hook(lambda g: g * 10)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), [20.0, 40.0])
    h.remove()
    x.grad = None
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), [2.0, 4.0])
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(g.tolist()))
    y.register_hook(lambda g: g + 1)
    x.grad = None
    y.sum().backward()
    assert seen == [[1.0, 1.0]]
    np.testing.assert_allclose(x.grad.tolist(), [4.0, 4.0])
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        torch.ones(1).register_hook(lambda g: g)


def test_node_hooks():
    x = leaf(1.0, 2.0)
    y = x * 2
    got = []
    y.grad_fn.register_hook(lambda gin, gout: got.append((len(gin), len(gout))))
    y.grad_fn.register_prehook(lambda gout: (gout[0] * 2,))
    y.sum().backward()
    assert got == [(2, 1)]
    np.testing.assert_allclose(x.grad.tolist(), [4.0, 4.0])


def test_inplace_errors_and_rebase():
    x = leaf(1.0, 2.0)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
        x.narrow(0, 0, 1).mul_(2)
    with torch.no_grad():
        x.add_(1)  # allowed without grad mode
    y = x * 2
    y.add_(1)
    y.mul_(torch.tensor([5.0, 7.0], dtype=torch.float64))
    y.sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), [10.0, 14.0])


def test_modified_saved_tensor_raises():
    x = leaf(1.0, 2.0)
    y = x * 2
    z = y * y
    y.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*MulBackward0.*is at version 1; "
                                           "expected version 0"):
        z.sum().backward()


def test_inplace_on_view_of_non_leaf():
    x = leaf(1.0, 2.0, 3.0)
    y = x * 1
    v = y.narrow(0, 0, 2)
    v.mul_(3)
    assert type(y.grad_fn).__name__ == "CopySlices"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), [3.0, 3.0, 1.0])
    x.grad = None
    y = x * 1
    v = y.narrow(0, 1, 2)
    y.mul_(2)  # the base changed: the view's grad_fn is regenerated from the base's history
    v.sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), [0.0, 2.0, 2.0])


def test_copy_into_view_of_non_requiring_tensor():
    w = leaf(5.0, 6.0)
    buf = torch.zeros(4, dtype=torch.float64)
    buf.narrow(0, 1, 2).copy_(w)
    assert buf.requires_grad and type(buf.grad_fn).__name__ == "CopySlices"
    (buf * torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(w.grad.tolist(), [2.0, 3.0])


def test_out_arguments_refuse_grad():
    x = leaf(1.0)
    with pytest.raises(RuntimeError, match="out=... arguments don't support automatic differentiation"):
        torch.add(x, x, out=torch.zeros(1, dtype=torch.float64))


def test_variable_returns_tensor():
    t = torch.ones(2)
    v = Variable(t, requires_grad=True)
    assert isinstance(v, torch.Tensor) and isinstance(t, Variable)
    assert v.requires_grad and not t.requires_grad
    v.data.add_(1)
    assert t.tolist() == [2.0, 2.0]


def test_deep_chain_does_not_overflow():
    x = leaf(1.0)
    y = x
    for _ in range(100000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0]


def test_no_reference_cycles_through_saved_outputs():
    x = leaf(1.0, 2.0)
    y = x * x
    z = y * y  # y is saved by z's node; z is not saved by its own node
    ref = weakref.ref(z.grad_fn)
    del z
    gc.collect()
    assert ref() is None
    assert y.grad_fn is not None


def test_broadcast_and_dtype_gradients():
    a = torch.ones(2, 3, dtype=torch.float32, requires_grad=True)
    b = torch.ones(3, dtype=torch.float64, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == torch.float32 and a.grad.shape == (2, 3)
    assert b.grad.dtype == torch.float64 and b.grad.tolist() == [2.0, 2.0, 2.0]


CASES = {
    "add": lambda a, b: a + b,
    "add_alpha": lambda a, b: torch.add(a, b, alpha=2.5),
    "sub": lambda a, b: a - b,
    "rsub": lambda a, b: torch.rsub(a, b, alpha=1.5),
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1),
    "neg": lambda a, b: -a * b,
    "scalar_ops": lambda a, b: (2 - a) * 3 + a / 4 + 1 / (b * b + 2),
    "sum_dims": lambda a, b: (a * b).sum(dim=(0, -1), keepdim=True),
    "mean_dim": lambda a, b: (a + b).mean(1),
    "views": lambda a, b: (a.t().reshape(-1).view(3, 2) * b.transpose(0, 1).reshape(3, 2)).permute(1, 0)
    .unsqueeze(0).squeeze(0).expand(2, 2, 3).narrow(2, 1, 2).select(0, 1),
    "split_unbind": lambda a, b: sum((i + 1) * p.sum() for i, p in enumerate((a * b).split(1, 1)))
    + 2 * (a - b).unbind(0)[0].sum() + (a - b).chunk(2, 0)[1].sum(),
    "diagonal_slice": lambda a, b: a.diagonal() * b[0, 0:2] if False else (a * b).diagonal(),
    "mm": lambda a, b: torch.mm(a, b.t()),
    "clone_contiguous": lambda a, b: a.clone() * b.contiguous(),
}


BROADCASTING = {"add", "add_alpha", "sub", "rsub", "mul", "div", "neg", "scalar_ops", "sum_dims", "mean_dim"}


@pytest.mark.parametrize("layout", ["contiguous", "transposed", "strided", "broadcast"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck_basic_ops(name, layout):
    rng = np.random.default_rng(0)
    if layout == "contiguous":
        a = torch.tensor(rng.standard_normal((2, 3)), requires_grad=True)
        b = torch.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    elif layout == "transposed":
        a = torch.tensor(rng.standard_normal((3, 2))).t().requires_grad_()
        b = torch.tensor(rng.standard_normal((3, 2))).t().requires_grad_()
    elif layout == "strided":
        a = torch.tensor(rng.standard_normal((2, 6)))[:, ::2].requires_grad_()
        b = torch.tensor(rng.standard_normal((4, 3)))[::2].requires_grad_()
    else:  # b broadcasts: by the op itself (elementwise), or through expand
        a = torch.tensor(rng.standard_normal((2, 3)), requires_grad=True)
        b = torch.tensor(rng.standard_normal((1, 3)), requires_grad=True)
        if name not in BROADCASTING:
            fn = CASES[name]
            assert torch.autograd.gradcheck(lambda x, y: fn(x, y.expand(2, 3)), (a, b))
            return
    assert torch.autograd.gradcheck(CASES[name], (a, b))


@pytest.mark.parametrize("name", ["mul", "div", "sum_dims", "views", "mm", "scalar_ops"])
def test_gradgradcheck_basic_ops(name):
    rng = np.random.default_rng(1)
    a = torch.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    b = torch.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    assert torch.autograd.gradgradcheck(CASES[name], (a, b))


def test_zero_dim_and_empty():
    x = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    (x * x).backward()
    assert x.grad.tolist() == 6.0
    e = torch.zeros(0, 3, dtype=torch.float64, requires_grad=True)
    (e * 2).sum().backward()
    assert e.grad.shape == (0, 3)
    assert torch.autograd.gradcheck(lambda t: (t * t).sum(), (x,))


def test_to_dtype_gradient():
    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    y = x.to(torch.float32)
    assert type(y.grad_fn).__name__ == "ToCopyBackward0"
    (y * y).sum().backward()
    assert x.grad.dtype == torch.float64 and x.grad.tolist() == [2.0, 4.0]


def test_gradcheck_refuses_overlapping_input():
    b = torch.zeros(1, 3, dtype=torch.float64).expand(2, 3).requires_grad_()
    with pytest.raises(RuntimeError, match="stride 0"):
        torch.autograd.gradcheck(lambda t: t * 2, (b,))


def test_gradcheck_detects_wrong_gradient():
    class Bad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    with pytest.raises(torch.autograd.GradcheckError, match="Jacobian mismatch"):
        torch.autograd.gradcheck(Bad.apply, (x,))
    assert torch.autograd.gradcheck(Bad.apply, (x,), raise_exception=False) is False


def test_custom_function_materialize_grads():
    seen = []

    class Two(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, materialize):
            ctx.set_materialize_grads(materialize)
            return a * 2, a * 3

        @staticmethod
        def backward(ctx, g1, g2):
            seen.append(g2)
            return (g1 * 2 if g1 is not None else None), None

    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    Two.apply(x, False)[0].sum().backward()
    assert seen[-1] is None
    Two.apply(x, True)[0].sum().backward()
    assert seen[-1].tolist() == [0.0, 0.0]


def test_custom_function_features():
    class Scale(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a, k):
            ctx.k = k
            ctx.save_for_backward(a)
            out = a * k
            idx = torch.tensor([0, 1])
            ctx.mark_non_differentiable(idx)
            return out, idx

        @staticmethod
        def backward(ctx, g, gi):
            (a,) = ctx.saved_tensors
            assert ctx.needs_input_grad == (True, False)
            return g * ctx.k, None

    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    out, idx = Scale.apply(x, 3.0)
    assert type(out.grad_fn).__name__ == "ScaleBackward" and out.grad_fn.name() == "ScaleBackward"
    assert not idx.requires_grad
    out.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]

    class AddOne_(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            a.add_(1)
            ctx.mark_dirty(a)
            return a

        @staticmethod
        def backward(ctx, g):
            return g

    y = x * 1
    z = AddOne_.apply(y)
    assert z is y and type(y.grad_fn).__name__ == "AddOne_Backward"
    (z * z).sum().backward()
    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        class Bad(torch.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                return a * b

            @staticmethod
            def backward(ctx, g):
                return (g,)
        Bad.apply(x, x).sum().backward()
