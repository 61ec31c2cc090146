"""pyengine.Generator: the engine's Philox generator as an object (Note [Generators], csrc/core/rng.h).
The API and errors are PyTorch's; the numbers are not (another algorithm) but are reproducible from the
seed, independent between generators, and used by every op and data-pipeline draw that takes one."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

import pyengine as pe
import pyengine.nn as nn
import pyengine.utils.data as D

G = pe.Generator


def draws(g):
    """One draw from every op that takes generator=, as lists."""
    t = pe.empty(5)
    return [
        pe.rand(4, generator=g).tolist(),
        pe.randn(2, 3, generator=g).tolist(),
        pe.randint(3, 9, (5,), generator=g).tolist(),
        pe.randperm(7, generator=g).tolist(),
        pe.normal(1.0, 2.0, (3,), generator=g).tolist(),
        pe.normal(pe.zeros(3), pe.ones(3), generator=g).tolist(),
        pe.bernoulli(pe.full((6,), 0.5), generator=g).tolist(),
        pe.bernoulli(pe.zeros(6), 0.5, generator=g).tolist(),
        t.uniform_(-1, 1, generator=g).tolist(),
        t.normal_(0, 1, generator=g).tolist(),
        t.random_(0, 100, generator=g).tolist(),
        t.bernoulli_(0.3, generator=g).tolist(),
        pe.rand_like(t, generator=g).tolist(),
        pe.randn_like(t, generator=g).tolist(),
        pe.randint_like(t, 3, 7, generator=g).tolist(),
    ]


def test_same_seed_same_numbers_and_generators_are_independent():
    a = draws(G().manual_seed(7))
    pe.manual_seed(1)
    default_before = pe.get_rng_state()
    g1, g2 = G().manual_seed(7), G().manual_seed(7)
    b = draws(g1)
    # g1's draws neither moved g2 nor the default generator
    assert draws(g2) == a == b
    assert pe.get_rng_state().tolist() == default_before.tolist()
    assert draws(G().manual_seed(8)) != a
    # a new generator starts from PyTorch's default seed
    assert G().initial_seed() == 67280421310721 == pe.Generator().initial_seed()


def test_default_generator_is_a_generator_and_seeding_goes_through_it():
    torch = pytest.importorskip("torch")
    assert isinstance(pe.default_generator, pe.Generator)
    assert pe.default_generator.device == pe.device("cpu")
    r = pe.manual_seed(11)
    assert r is pe.default_generator and type(torch.manual_seed(11)) is torch.Generator
    assert pe.initial_seed() == 11 == pe.default_generator.initial_seed()
    x = pe.rand(5).tolist()
    # the default generator and a fresh one with the same seed give the same stream
    assert pe.rand(5, generator=G().manual_seed(11)).tolist() == x
    st = pe.get_rng_state()
    assert st.dtype == pe.uint8 and st.dim() == 1
    y = pe.randn(3).tolist()
    pe.set_rng_state(st)
    assert pe.randn(3).tolist() == y
    s = pe.seed()
    assert pe.initial_seed() == s and 0 <= s < 2 ** 64


def test_state_round_trip_and_seed():
    g = G().manual_seed(3)
    st = g.get_state()
    first = draws(g)
    assert g.set_state(st) is g
    assert draws(g) == first
    g.set_state(bytes(st.numpy().tobytes()))  # bytes are fine too
    assert draws(g) == first
    s = g.seed()
    assert g.initial_seed() == s
    assert draws(G().manual_seed(s)) == draws(g.manual_seed(s))


def test_set_state_validates_without_unpickling():
    torch = pytest.importorskip("torch")
    g = G()
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        g.set_state(pe.zeros(24))
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        torch.Generator().set_state(torch.zeros(24))
    with pytest.raises(TypeError, match="expected a torch.ByteTensor, but got list"):
        g.set_state([1, 2])
    with pytest.raises(TypeError, match="expected a torch.ByteTensor, but got list"):
        torch.Generator().set_state([1, 2])
    with pytest.raises(RuntimeError, match="input RNG state size to be 3"):
        g.set_state(pe.zeros(3, dtype=pe.uint8))
    with pytest.raises(RuntimeError, match="input RNG state size to be 3"):
        torch.Generator().set_state(torch.zeros(3, dtype=torch.uint8))
    # right size, wrong content (a pickle payload is just bytes here: refused, never loaded)
    bad = pickle.dumps((1, 2))
    bad = (bad + b"\0" * 24)[:24]
    with pytest.raises(RuntimeError, match="Invalid generator state"):
        g.set_state(pe.from_numpy(np.frombuffer(bad, dtype=np.uint8).copy()))
    state = g.get_state()
    assert g.initial_seed() == 67280421310721  # failed set_state calls changed nothing
    state[0] = 0
    with pytest.raises(RuntimeError, match="Invalid generator state"):
        g.set_state(state)


def test_manual_seed_arguments_like_torch():
    torch = pytest.importorskip("torch")
    for M in (torch, pe):
        g = M.Generator()
        assert g.manual_seed(-1).initial_seed() == 2 ** 64 - 1
        assert g.manual_seed(2 ** 64 - 1).initial_seed() == 2 ** 64 - 1
        with pytest.raises(ValueError, match="Overflow when unpacking long long"):
            g.manual_seed(2 ** 64)
        with pytest.raises(RuntimeError, match="manual_seed expected a long, but got float"):
            g.manual_seed(1.5)


def test_generator_argument_type_and_device():
    with pytest.raises(TypeError, match="argument 'generator' must be torch.Generator, not int"):
        pe.rand(2, generator=5)
    with pytest.raises(TypeError, match="must be torch.Generator"):
        pe.empty(2).uniform_(generator="x")
    if not pe.cuda.is_available():
        with pytest.raises(RuntimeError):
            G(device="cuda")
        return
    gc = G(device="cuda")
    assert gc.device.type == "cuda"
    with pytest.raises(RuntimeError, match="Expected a 'cuda' device type for generator but found 'cpu'"):
        pe.rand(2, device="cuda", generator=G())
    with pytest.raises(RuntimeError, match="Expected a 'cpu' device type for generator but found 'cuda'"):
        pe.rand(2, generator=gc)
    a = pe.rand(5, device="cuda", generator=G(device="cuda").manual_seed(4)).cpu().tolist()
    assert pe.rand(5, device="cuda", generator=G(device="cuda").manual_seed(4)).cpu().tolist() == a


def test_generator_pickles_with_its_state():
    g = G().manual_seed(5)
    pe.rand(3, generator=g)
    h = pickle.loads(pickle.dumps(g))
    assert isinstance(h, pe.Generator) and h.initial_seed() == 5
    assert pe.rand(4, generator=h).tolist() == pe.rand(4, generator=g).tolist()


def test_nn_init_uses_the_generator():
    def init_all(g):
        out = []
        for fn, shape in [(nn.init.uniform_, (3, 4)), (nn.init.normal_, (3, 4)), (nn.init.xavier_uniform_, (3, 4)),
                          (nn.init.xavier_normal_, (3, 4)), (nn.init.kaiming_uniform_, (3, 4)),
                          (nn.init.kaiming_normal_, (3, 4)), (nn.init.trunc_normal_, (3, 4)),
                          (nn.init.orthogonal_, (3, 4))]:
            out.append(fn(pe.empty(shape), generator=g).tolist())
        out.append(nn.init.sparse_(pe.empty(4, 3), 0.5, generator=g).tolist())
        return out
    pe.manual_seed(0)
    before = pe.get_rng_state().tolist()
    a = init_all(G().manual_seed(9))
    assert pe.get_rng_state().tolist() == before  # the default generator was not used
    assert init_all(G().manual_seed(9)) == a
    assert init_all(G().manual_seed(10)) != a


def test_samplers_and_split_draw_from_the_generator():
    pe.manual_seed(0)
    before = pe.get_rng_state().tolist()

    def run(seed):
        g = G().manual_seed(seed)
        return [list(D.RandomSampler(range(40), generator=g)),
                list(D.RandomSampler(range(5), replacement=True, num_samples=70, generator=g)),
                list(D.SubsetRandomSampler([3, 5, 7, 9, 11], generator=g)),
                list(D.WeightedRandomSampler([0.1, 0.0, 2.0, 1.0], 50, generator=g)),
                list(D.WeightedRandomSampler([0.1, 0.0, 2.0, 1.0], 3, replacement=False, generator=g)),
                [s.indices for s in D.random_split(range(10), [4, 6], generator=g)],
                [b.tolist() for b in D.DataLoader(list(range(12)), batch_size=5, shuffle=True, generator=g)]]

    a = run(1)
    assert pe.get_rng_state().tolist() == before
    assert run(1) == a and run(2) != a
    assert sorted(a[0]) == list(range(40)) and 1 not in a[3] and 1 not in a[4]
    assert sorted(a[4]) == [0, 2, 3]


def test_data_pipeline_has_one_rng_design():
    import pyengine.utils.data._random as R
    assert not hasattr(R, "Generator") and not hasattr(D, "Generator")
    assert pe.Generator is pe._C.Generator
    # with generator=None the draws come from the default generator: reproducible from manual_seed
    pe.manual_seed(3)
    a = (list(D.RandomSampler(range(20))), D.random_split(range(10), [5, 5])[0].indices,
         list(D.WeightedRandomSampler([1.0, 2.0, 3.0], 10)))
    pe.manual_seed(3)
    assert (list(D.RandomSampler(range(20))), D.random_split(range(10), [5, 5])[0].indices,
            list(D.WeightedRandomSampler([1.0, 2.0, 3.0], 10))) == a


def test_weighted_sampling_distribution():
    g = G().manual_seed(0)
    w = np.array([1.0, 0.0, 3.0, 6.0])
    counts = np.bincount(list(D.WeightedRandomSampler(list(w), 20000, generator=g)), minlength=4)
    np.testing.assert_allclose(counts / counts.sum(), w / w.sum(), atol=0.015)
    assert counts[1] == 0
    # without replacement: heavy categories come first more often
    firsts = [list(D.WeightedRandomSampler([1.0, 9.0], 2, replacement=False, generator=g))[0] for _ in range(2000)]
    assert abs(np.mean(firsts) - 0.9) < 0.03


def test_fork_rng_restores():
    pe.manual_seed(2)
    with pe.random.fork_rng():
        pe.rand(10)
    assert pe.rand(3).tolist() == pe.rand(3, generator=G().manual_seed(2)).tolist()
