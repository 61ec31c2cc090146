"""utils.data without workers: datasets, random_split, samplers and default_collate against PyTorch's rules."""
import collections
import warnings

import numpy as np
import pytest

import pyengine
import pyengine.utils.data as D


def _np(t):
    return np.asarray(t.tolist())


# ---------------------------------------------------------------- datasets
def test_tensor_dataset():
    x = pyengine.arange(12).reshape(6, 2)
    y = pyengine.arange(6)
    ds = D.TensorDataset(x, y)
    assert len(ds) == 6
    a, b = ds[4]
    assert a.tolist() == [8, 9] and b.item() == 4
    with pytest.raises(AssertionError, match="Size mismatch"):
        D.TensorDataset(x, pyengine.arange(5))


class Squares(D.Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i


def test_concat_and_add():
    ds = Squares(3) + Squares(4)
    assert isinstance(ds, D.ConcatDataset)
    assert len(ds) == 7 and ds.cumulative_sizes == [3, 7]
    assert [ds[i] for i in range(7)] == [0, 1, 4, 0, 1, 4, 9]
    assert ds[-1] == 9 and ds[-7] == 0
    with pytest.raises(ValueError, match="absolute value of index"):
        ds[-8]
    with pytest.raises(AssertionError, match="empty iterable"):
        D.ConcatDataset([])


class Count(D.IterableDataset):
    def __init__(self, start, end):
        self.start, self.end = start, end

    def __iter__(self):
        info = D.get_worker_info()
        if info is None:
            return iter(range(self.start, self.end))
        per = int(np.ceil((self.end - self.start) / info.num_workers))
        lo = self.start + info.id * per
        return iter(range(lo, min(lo + per, self.end)))

    def __len__(self):
        return self.end - self.start


def test_iterable_chain_and_stack():
    ch = Count(0, 3) + Count(10, 12)
    assert isinstance(ch, D.ChainDataset) and list(ch) == [0, 1, 2, 10, 11] and len(ch) == 5
    with pytest.raises(AssertionError):
        D.ConcatDataset([Squares(2), Count(0, 2)])
    st = D.StackDataset(Squares(3), Squares(3))
    assert st[2] == (4, 4)
    assert D.StackDataset(a=Squares(2), b=Squares(2))[1] == {"a": 1, "b": 1}
    with pytest.raises(ValueError, match="Size mismatch"):
        D.StackDataset(Squares(2), Squares(3))


def test_subset_and_getitems():
    sub = D.Subset(Squares(10), [9, 2, 5])
    assert len(sub) == 3 and sub[0] == 81 and sub.__getitems__([1, 2]) == [4, 25]
    loader = D.DataLoader(sub, batch_size=3)
    assert next(iter(loader)).tolist() == [81, 4, 25]


def test_random_split_lengths_fractions_and_generator():
    ds = Squares(10)
    a, b = D.random_split(ds, [3, 7], generator=pyengine.Generator().manual_seed(42))
    idx = list(a.indices) + list(b.indices)
    assert sorted(idx) == list(range(10)) and len(a) == 3 and len(b) == 7
    a2, b2 = D.random_split(ds, [3, 7], generator=pyengine.Generator().manual_seed(42))
    assert a2.indices == a.indices and b2.indices == b.indices
    c = D.random_split(ds, [3, 7], generator=pyengine.Generator().manual_seed(43))
    assert c[0].indices + c[1].indices != idx
    # fractions: remainder spread round-robin, as PyTorch
    parts = D.random_split(Squares(11), [0.5, 0.3, 0.2])
    assert [len(p) for p in parts] == [6, 3, 2]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        D.random_split(ds, [3, 3])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        D.random_split(Squares(2), [0.9, 0.1])
    assert any("Length of split at index" in str(x.message) for x in w)
    # global seed makes generator=None reproducible
    pyengine.manual_seed(5)
    s1 = D.random_split(ds, [5, 5])[0].indices
    pyengine.manual_seed(5)
    assert D.random_split(ds, [5, 5])[0].indices == s1


def test_random_split_matches_torch_lengths():
    torch = pytest.importorskip("torch")
    for n, fr in [(11, [0.5, 0.3, 0.2]), (7, [0.25, 0.75]), (100, [0.1] * 10)]:
        ours = [len(p) for p in D.random_split(Squares(n), fr)]
        ref = [len(p) for p in torch.utils.data.random_split(range(n), fr)]
        assert ours == ref


def test_numpy_seed_matches_torch_generate_state():
    pytest.importorskip("torch")
    from torch.utils.data._utils.worker import _generate_state as ref
    from pyengine.utils.data._worker import _generate_state
    for base, wid in [(0, 0), (123456789123, 3), (2 ** 62 + 5, 1)]:
        assert _generate_state(base, wid) == ref(base, wid)


# ---------------------------------------------------------------- generator
def test_generator_api():
    g = pyengine.Generator()
    assert g.initial_seed() == 67280421310721
    g.manual_seed(3)
    st = g.get_state()
    a = D.RandomSampler(range(20), generator=g)
    first = list(a)
    g.set_state(st)
    assert list(a) == first
    assert sorted(first) == list(range(20))
    s = g.seed()
    assert g.initial_seed() == s
    if pyengine.cuda.is_available():
        assert pyengine.Generator(device="cuda").device.type == "cuda"
    else:  # no CUDA: a CUDA generator cannot be made (PyTorch's RuntimeError)
        with pytest.raises(RuntimeError):
            pyengine.Generator(device="cuda")


# ---------------------------------------------------------------- samplers
def test_sequential_and_batch_sampler_match_torch():
    torch = pytest.importorskip("torch")
    for n, bs, drop in [(10, 3, False), (10, 3, True), (9, 3, True), (1, 4, False), (0, 2, False)]:
        ours = D.BatchSampler(D.SequentialSampler(range(n)), bs, drop)
        ref = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(n)), bs, drop)
        assert list(ours) == list(ref) and len(ours) == len(ref)
    for bad in (0, -1, True, 2.0):
        with pytest.raises(ValueError, match="batch_size should be a positive integer"):
            D.BatchSampler(range(3), bad, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean"):
        D.BatchSampler(range(3), 2, 1)


def test_random_sampler():
    g = pyengine.Generator().manual_seed(0)
    s = D.RandomSampler(range(50), generator=g)
    perm = list(s)
    assert sorted(perm) == list(range(50)) and perm != list(range(50)) and len(s) == 50
    # num_samples larger than n without replacement: whole permutations then a prefix
    s = D.RandomSampler(range(5), num_samples=12, generator=g)
    out = list(s)
    assert len(out) == 12 and sorted(out[:5]) == list(range(5)) and sorted(out[5:10]) == list(range(5))
    r = list(D.RandomSampler(range(4), replacement=True, num_samples=100, generator=g))
    assert len(r) == 100 and set(r) <= set(range(4)) and len(set(r)) == 4
    with pytest.raises(TypeError, match="replacement should be a boolean"):
        D.RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        D.RandomSampler(range(3), num_samples=0)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        D.RandomSampler([])
    pyengine.manual_seed(1)
    a = list(D.RandomSampler(range(30)))
    b = list(D.RandomSampler(range(30)))
    pyengine.manual_seed(1)
    assert list(D.RandomSampler(range(30))) == a and a != b  # each epoch draws a fresh seed


def test_subset_random_and_weighted_sampler():
    g = pyengine.Generator().manual_seed(0)
    s = D.SubsetRandomSampler([10, 20, 30, 40], generator=g)
    assert sorted(s) == [10, 20, 30, 40] and len(s) == 4
    w = D.WeightedRandomSampler([0.0, 1.0, 3.0], 4000, generator=g)
    counts = np.bincount(list(w), minlength=3)
    assert counts[0] == 0 and abs(counts[2] / counts[1] - 3.0) < 0.4
    no_rep = list(D.WeightedRandomSampler([0.9, 0.4, 0.05, 0.2, 0.3, 0.1], 6, replacement=False, generator=g))
    assert sorted(no_rep) == list(range(6))
    assert w.weights.dtype == pyengine.float64 and len(w) == 4000
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist"):
        list(D.WeightedRandomSampler([1.0, 2.0], 3, replacement=False))
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        D.WeightedRandomSampler([[1.0, 2.0]], 3)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        D.WeightedRandomSampler([1.0], 0)
    with pytest.raises(ValueError, match="replacement should be a boolean"):
        D.WeightedRandomSampler([1.0], 1, replacement=None)
    w2 = D.WeightedRandomSampler(pyengine.tensor([1.0, 1.0]), 3)
    assert len(list(w2)) == 3


# ---------------------------------------------------------------- collate
Point = collections.namedtuple("Point", ["x", "y"])


def _assert_same(ours, ref, torch):
    """Structure, types and values of a collated batch equal PyTorch's."""
    if isinstance(ref, torch.Tensor):
        assert isinstance(ours, pyengine.Tensor)
        assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
        assert tuple(ours.shape) == tuple(ref.shape)
        np.testing.assert_array_equal(_np(ours), ref.numpy())
    elif isinstance(ref, dict):
        assert type(ours) is type(ref) and ours.keys() == ref.keys()
        for k in ref:
            _assert_same(ours[k], ref[k], torch)
    elif isinstance(ref, (list, tuple)):
        assert type(ours) is type(ref) and len(ours) == len(ref)
        for a, b in zip(ours, ref):
            _assert_same(a, b, torch)
    else:
        assert ours == ref


@pytest.mark.parametrize("kind", ["tensor", "numpy", "numbers", "strings", "tuple", "list", "dict", "namedtuple",
                                  "nested", "npscalar", "bool"])
def test_default_collate_matches_torch(kind):
    torch = pytest.importorskip("torch")
    from torch.utils.data import default_collate as ref_collate

    def make(lib, i):
        t = (lambda a, **k: pyengine.tensor(a, **k)) if lib == "pe" else (lambda a, **k: torch.tensor(a, **k))
        return {
            "tensor": t([[i, 2.0], [3.0, i]]),
            "numpy": np.full((2, 3), i, dtype=np.float32),
            "numbers": (i, float(i) / 3),
            "strings": f"s{i}",
            "tuple": (t([i]), i),
            "list": [t(i * 1.5), i, "a"],
            "dict": {"img": np.arange(3, dtype=np.uint8) + i, "label": i, "name": b"x"},
            "namedtuple": Point(t([i, i], dtype=(pyengine.int32 if lib == "pe" else torch.int32)), i * 0.5),
            "nested": {"a": [(i, {"b": float(i)})]},
            "npscalar": np.float32(i) / 2,
            "bool": i % 2 == 0,
        }[kind]

    batch_pe = [make("pe", i) for i in range(3)]
    batch_t = [make("torch", i) for i in range(3)]
    _assert_same(D.default_collate(batch_pe), ref_collate(batch_t), torch)


def test_default_collate_errors_and_convert():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        D.default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        D.default_collate([object(), object()])
    with pytest.raises(TypeError, match="default_collate: batch must contain"):
        D.default_collate([np.array(["a"]), np.array(["b"])])
    conv = D.default_convert({"a": np.arange(3), "b": (np.float64(1.5), "s"), "c": Point(np.array(0), 1)})
    assert isinstance(conv["a"], pyengine.Tensor) and conv["a"].tolist() == [0, 1, 2]
    assert isinstance(conv["b"], list) and conv["b"][1] == "s" and conv["b"][0].dtype == pyengine.float64
    assert isinstance(conv["c"], Point) and conv["c"].y == 1
    assert D.default_convert(np.array(["x"])).tolist() == ["x"]  # string arrays stay numpy


# ---------------------------------------------------------------- DataLoader front end (no workers)
def test_dataloader_basic_len_and_partial_batch():
    x = pyengine.arange(10).float()
    loader = D.DataLoader(D.TensorDataset(x, x.long()), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [b[0].shape[0] for b in batches] == [4, 4, 2]
    assert batches[0][0].dtype == pyengine.float32 and batches[0][1].dtype == pyengine.int64
    assert len(D.DataLoader(range(10), batch_size=4, drop_last=True)) == 2
    # batch_size=None: no batching, default_convert
    out = list(D.DataLoader([np.array([1, 2]), np.array([3, 4])], batch_size=None))
    assert [o.tolist() for o in out] == [[1, 2], [3, 4]]
    # a custom batch_sampler
    bs = [[0, 9], [1, 2, 3]]
    assert [b.tolist() for b in D.DataLoader(range(10), batch_sampler=bs)] == [[0, 9], [1, 2, 3]]
    assert [b.tolist() for b in D.DataLoader(range(5), batch_size=2, collate_fn=lambda b: pyengine.tensor(b) * 10)] \
        == [[0, 10], [20, 30], [40]]


def test_dataloader_iterable_dataset():
    loader = D.DataLoader(Count(0, 10), batch_size=4)
    assert [b.tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert len(loader) == 3
    assert len(D.DataLoader(Count(0, 10), batch_size=4, drop_last=True)) == 2
    assert [b.tolist() for b in D.DataLoader(Count(0, 10), batch_size=4, drop_last=True)] == [[0, 1, 2, 3],
                                                                                           [4, 5, 6, 7]]
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        D.DataLoader(Count(0, 3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        D.DataLoader(Count(0, 3), sampler=[0])


def test_dataloader_argument_errors_match_torch():
    ds = range(10)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        D.DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="timeout option should be non-negative"):
        D.DataLoader(ds, timeout=-1)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified in multiprocessing"):
        D.DataLoader(ds, prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        D.DataLoader(ds, persistent_workers=True)
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        D.DataLoader(ds, sampler=[1], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        D.DataLoader(ds, batch_sampler=[[1]], batch_size=2)
    with pytest.raises(ValueError, match="mutually exclusive with drop_last"):
        D.DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="multiprocessing_context can only be used"):
        D.DataLoader(ds, multiprocessing_context="fork")
    with pytest.raises(ValueError, match="should specify a valid start method"):
        D.DataLoader(ds, num_workers=1, multiprocessing_context="nope")
    loader = D.DataLoader(ds)
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 3
    if not pyengine.cuda.is_available():  # PyTorch warns only where there is no accelerator
        with pytest.warns(UserWarning, match="pin_memory"):
            D.DataLoader(ds, pin_memory=True)


def test_shuffle_deterministic_with_seed_and_generator():
    ds = range(20)
    pyengine.manual_seed(7)
    a = [b.tolist() for b in D.DataLoader(ds, batch_size=5, shuffle=True)]
    pyengine.manual_seed(7)
    b = [b.tolist() for b in D.DataLoader(ds, batch_size=5, shuffle=True)]
    assert a == b and sorted(sum(a, [])) == list(range(20))
    g1 = pyengine.Generator().manual_seed(1)
    g2 = pyengine.Generator().manual_seed(1)
    l1 = [x.tolist() for x in D.DataLoader(ds, batch_size=5, shuffle=True, generator=g1)]
    l2 = [x.tolist() for x in D.DataLoader(ds, batch_size=5, shuffle=True, generator=g2)]
    assert l1 == l2
