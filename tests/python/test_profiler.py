"""torch.profiler / torch.autograd.profiler on pyengine: real op names and call counts, self vs total CPU time
with nesting, input shapes, record_function, PyTorch's table format, Chrome trace JSON, schedule/step/
on_trace_ready (the schedule's actions equal PyTorch's), refusals, and nothing left instrumented afterwards."""
import json
import re

import pytest

import pyengine as pe
from pyengine import nn
from pyengine.profiler import ProfilerActivity, profile, record_function, schedule
from pyengine.profiler._events import DeviceType, EventList, FunctionEvent
from pe_testing import cuda_required


def _model_step():
    pe.manual_seed(0)
    m = nn.Linear(3, 4)
    x = pe.randn(5, 3)
    return m, x


def test_op_names_counts_and_shapes():
    m, x = _model_step()
    a = pe.randn(4, 4)
    mm, mul = pe.mm, pe.Tensor.__mul__
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
        with record_function("model_inference"):
            y = m(x)
            z = (y * 2).sum()
        for _ in range(3):
            pe.mm(a, a)
        a.relu()
    avg = {e.key: e for e in prof.key_averages()}
    assert avg["aten::mm"].count == 3
    assert avg["aten::linear"].count == 1 and avg["aten::mul"].count == 1 and avg["aten::sum"].count == 1
    assert avg["aten::relu"].count == 1 and avg["model_inference"].count == 1
    by_shape = {(e.key, str(e.input_shapes)) for e in prof.key_averages(group_by_input_shape=True)}
    assert ("aten::linear", "[[5, 3], [4, 3], [4]]") in by_shape
    assert ("aten::mul", "[[5, 4], []]") in by_shape
    assert ("aten::mm", "[[4, 4], [4, 4]]") in by_shape
    # nesting: the range's total covers its ops; self = total - children
    rng = [e for e in prof.events() if e.name == "model_inference"][0]
    names = sorted(c.name for c in rng.cpu_children)
    assert names == ["aten::linear", "aten::mul", "aten::sum"]
    assert rng.cpu_time_total >= sum(c.cpu_time_total for c in rng.cpu_children)
    assert rng.self_cpu_time_total == pytest.approx(rng.cpu_time_total - sum(c.cpu_time_total
                                                                            for c in rng.cpu_children))
    for e in prof.events():
        assert e.cpu_time_total >= 0 and e.self_cpu_time_total >= -1e-6
    assert float(z) == float(z)
    # profiling is off again: the original bindings are back
    assert pe.mm is mm and pe.Tensor.__mul__ is mul


def test_table_format_matches_torch_layout():
    events = EventList([FunctionEvent(1, "aten::mm", 1, 0.0, 30.0), FunctionEvent(2, "outer", 1, 0.0, 1500.0,
                                                                                    is_user_annotation=True)])
    events[0].cpu_parent = events[1]
    events[1].cpu_children.append(events[0])
    table = events.key_averages().table(sort_by="cpu_time_total")
    expected = (
        "------------  ------------  ------------  ------------  ------------  ------------  ------------  \n"
        "        Name    Self CPU %      Self CPU   CPU total %     CPU total  CPU time avg    # of Calls  \n"
        "------------  ------------  ------------  ------------  ------------  ------------  ------------  \n"
        "       outer        98.00%       1.470ms       100.00%       1.500ms       1.500ms             1  \n"
        "    aten::mm         2.00%      30.000us         2.00%      30.000us      30.000us             1  \n"
        "------------  ------------  ------------  ------------  ------------  ------------  ------------  \n"
        "Self CPU time total: 1.500ms\n")
    assert table == expected
    torch = pytest.importorskip("torch")
    from torch.autograd.profiler_util import EventList as TEventList, FunctionEvent as TFunctionEvent
    t_events = TEventList([TFunctionEvent(1, "aten::mm", 1, 0, 30, stack=[]),
                           TFunctionEvent(2, "outer", 1, 0, 1500, stack=[])])
    t_events[1].append_cpu_child(t_events[0])
    t_events[0].set_cpu_parent(t_events[1])
    t_events._tree_built = True
    assert t_events.key_averages().table(sort_by="cpu_time_total") == expected


def test_sort_by_row_limit_and_top_level():
    m, x = _model_step()
    with profile() as prof:
        for _ in range(2):
            m(x).sum()
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=1)
    rows = [ln for ln in table.splitlines() if "aten::" in ln]
    assert len(rows) == 1
    with pytest.raises(AttributeError):
        prof.key_averages().table(sort_by="nonsense")
    assert "Self CPU time total:" in str(prof.key_averages())


def test_chrome_trace_is_valid_json(tmp_path):
    m, x = _model_step()
    with profile(record_shapes=True) as prof:
        with record_function("step"):
            m(x).sum()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    doc = json.loads(path.read_text())
    evs = doc["traceEvents"]
    assert {e["name"] for e in evs} >= {"step", "aten::linear", "aten::sum"}
    for e in evs:
        assert e["ph"] == "X" and e["dur"] >= 0 and isinstance(e["ts"], float) and "pid" in e and "tid" in e
    lin = [e for e in evs if e["name"] == "aten::linear"][0]
    assert lin["cat"] == "cpu_op" and lin["args"]["Input Dims"] == [[5, 3], [4, 3], [4]]
    assert [e for e in evs if e["name"] == "step"][0]["cat"] == "user_annotation"


def test_schedule_matches_torch_and_drives_on_trace_ready(tmp_path):
    torch = pytest.importorskip("torch")
    for kw in (dict(wait=1, warmup=1, active=2), dict(wait=0, warmup=2, active=1, repeat=2, skip_first=1),
               dict(wait=2, warmup=1, active=3, repeat=1)):
        ours, theirs = schedule(**kw), torch.profiler.schedule(**kw)
        assert [ours(i).name for i in range(20)] == [theirs(i).name for i in range(20)], kw
    windows = []
    a = pe.randn(3, 3)
    with profile(schedule=schedule(wait=1, warmup=1, active=2, repeat=2),
                 on_trace_ready=lambda p: windows.append(p.key_averages())) as prof:
        for step in range(10):
            for _ in range(step + 1):
                pe.mm(a, a)
            prof.step()
    # active steps are 2,3 and 6,7: (3 + 4) and (7 + 8) mm calls
    assert [{e.key: e.count for e in w}["aten::mm"] for w in windows] == [7, 15]
    handler = pe.profiler.tensorboard_trace_handler(str(tmp_path / "tb"), worker_name="w0")
    with profile(on_trace_ready=handler):
        pe.mm(a, a)
    files = list((tmp_path / "tb").iterdir())
    assert len(files) == 1 and re.fullmatch(r"w0\.\d+\.pt\.trace\.json", files[0].name)
    json.loads(files[0].read_text())


def test_autograd_profiler_legacy_api():
    m, x = _model_step()
    with pe.autograd.profiler.profile(record_shapes=True) as prof:
        with pe.autograd.profiler.record_function("fwd"):
            loss = m(x).pow(2).mean()
        loss.backward()
    keys = {e.key for e in prof.key_averages()}
    assert {"fwd", "aten::linear", "aten::pow", "aten::mean"} <= keys
    assert prof.self_cpu_time_total > 0
    assert "Self CPU time total" in prof.key_averages().table(sort_by="self_cpu_time_total")
    with pe.autograd.profiler.profile(enabled=False) as off:
        pe.mm(x.t(), x)
    with pytest.raises(RuntimeError, match="Profiler didn't finish running"):
        off.key_averages()


def test_record_function_decorator_and_without_profiler():
    @record_function("my_fn")
    def f(t):
        return t * 3

    x = pe.ones(2)
    assert pe.equal(f(x), x * 3)  # no profiler: just runs
    with profile() as prof:
        f(x)
    assert {e.key: e.count for e in prof.key_averages()}["my_fn"] == 1


def test_refusals():
    with pytest.raises(NotImplementedError, match="CPU activity only"):
        profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA])
    for kw in ("profile_memory", "with_stack", "with_flops", "with_modules"):
        with pytest.raises(NotImplementedError, match=kw):
            profile(**{kw: True})
    with pytest.raises(NotImplementedError, match="use_cuda"):
        pe.autograd.profiler.profile(use_cuda=True)
    with pytest.raises(AssertionError, match="Invalid profiler schedule arguments"):
        schedule(wait=0, warmup=0, active=0)


# ---- events from the C++ hook: the autograd engine and the ops that C++ code runs ----

def _mlp_profile(torch_mod):
    """Forward + backward of a small MLP under the profiler (a warm-up step first, so .grad exists and
    AccumulateGrad adds into it)."""
    torch_mod.manual_seed(0)
    nn_ = torch_mod.nn
    model = nn_.Sequential(nn_.Linear(4, 8), nn_.ReLU(), nn_.Linear(8, 2))
    x, y = torch_mod.randn(3, 4), torch_mod.randn(3, 2)
    nn_.functional.mse_loss(model(x), y).backward()
    with torch_mod.profiler.profile(record_shapes=True) as prof:
        nn_.functional.mse_loss(model(x), y).backward()
    return prof


def _counts(prof):
    counts = {}
    for e in prof.events():
        counts[e.name] = counts.get(e.name, 0) + 1
    return counts


def test_mlp_names_and_counts_match_torch():
    torch = pytest.importorskip("torch")
    ours, ref = _counts(_mlp_profile(pe)), _counts(_mlp_profile(torch))
    # the backward: every node PyTorch's engine evaluates, with the same names and counts
    backward = {k: v for k, v in ref.items() if k.startswith("autograd::engine::evaluate_function: ")}
    assert backward and {k: ours.get(k, 0) for k in backward} == backward
    nodes = {k[len("autograd::engine::evaluate_function: "):] for k in backward}
    assert {k: ours.get(k, 0) for k in nodes} == {k: ref[k] for k in nodes}
    assert not any(k.startswith("autograd::engine::evaluate_function: ") and k not in backward for k in ours)
    # the ops whose decomposition is PyTorch's: forward (linear -> t, addmm), the mm of the backward nodes and
    # AccumulateGrad's add_
    for name in ("aten::linear", "aten::addmm", "aten::relu", "aten::mse_loss", "aten::mm", "aten::add_"):
        assert ours.get(name, 0) == ref[name], name


def test_mlp_input_shapes_match_torch():
    torch = pytest.importorskip("torch")

    def shapes(prof, name):
        return sorted(str(e.input_shapes) for e in prof.key_averages(group_by_input_shape=True) if e.key == name)
    ours, ref = _mlp_profile(pe), _mlp_profile(torch)
    for name in ("aten::linear", "aten::addmm", "aten::add_"):
        assert shapes(ours, name) == shapes(ref, name), name
    # the input's gradient in AddmmBackward0 is grad.mm(mat2.t()) in both; PyTorch computes the weight's as
    # grad.t().mm(mat1).t() for a transposed mat2, pyengine as mat1.t().mm(grad)
    assert "[[3, 2], [2, 8]]" in shapes(ours, "aten::mm") and "[[3, 2], [2, 8]]" in shapes(ref, "aten::mm")


def test_backward_nesting_and_self_time():
    prof = _mlp_profile(pe)
    events = prof.events()
    for e in events:
        assert 0 <= e.self_cpu_time_total <= e.cpu_time_total + 1e-6
        assert e.self_cpu_time_total == pytest.approx(e.cpu_time_total - sum(c.cpu_time_total
                                                                             for c in e.cpu_children), abs=1e-3)
        for c in e.cpu_children:  # children lie inside their parent, on its thread
            assert e.start_us <= c.start_us and c.end_us <= e.end_us and c.thread == e.thread
            assert c.cpu_parent is e
    evaluate = [e for e in events if e.name == "autograd::engine::evaluate_function: AddmmBackward0"]
    assert len(evaluate) == 2
    for e in evaluate:
        # the node runs inside its evaluate_function range, and the mm of its formula inside the node
        node = [c for c in e.cpu_children if c.name == "AddmmBackward0"]
        assert len(node) == 1 and e.cpu_parent is None
        assert "aten::mm" in {c.name for c in node[0].cpu_children}
    acc = [e for e in events if e.name == "torch::autograd::AccumulateGrad"]
    assert len(acc) == 4 and all([c.name for c in e.cpu_children] == ["aten::add_"] for e in acc)
    # the forward: aten::addmm and aten::t inside aten::linear, and the C++ scope of aten::linear merged
    # with the Python entry's (one event, not two nested ones)
    linear = [e for e in events if e.name == "aten::linear"]
    assert len(linear) == 2 and all(e.cpu_parent is None for e in linear)
    assert all(sorted(c.name for c in e.cpu_children) == ["aten::addmm", "aten::t"] for e in linear)


def test_graph_root_as_torch():
    # one root: no root node runs (as PyTorch); several: torch::autograd::GraphRoot
    a = pe.ones(2, requires_grad=True)
    with profile() as prof:
        (a * 2).sum().backward()
    assert not any("GraphRoot" in e.name for e in prof.events())
    with profile() as prof:
        pe.autograd.backward([(a * 2).sum(), (a * 3).sum()])
    counts = _counts(prof)
    assert counts["autograd::engine::evaluate_function: torch::autograd::GraphRoot"] == 1
    assert counts["torch::autograd::GraphRoot"] == 1
    assert counts["autograd::engine::evaluate_function: MulBackward0"] == 2


def test_record_function_around_backward_and_threads():
    import threading
    m, x = _model_step()
    tids = {}

    def work():
        tids["worker"] = threading.get_ident()
        pe.mm(pe.ones(2, 2), pe.ones(2, 2))
    with profile() as prof:
        with record_function("train_step"):
            m(x).sum().backward()
        t = threading.Thread(target=work)
        t.start()
        t.join()
    step = [e for e in prof.events() if e.name == "train_step"][0]
    inside = set()
    stack = list(step.cpu_children)
    while stack:
        e = stack.pop()
        inside.add(e.name)
        stack.extend(e.cpu_children)
    assert {"aten::linear", "aten::sum", "autograd::engine::evaluate_function: AddmmBackward0", "AddmmBackward0",
            "aten::mm"} <= inside
    mm_worker = [e for e in prof.events() if e.name == "aten::mm" and e.thread == tids["worker"]]
    assert len(mm_worker) == 1 and mm_worker[0].cpu_parent is None
    assert all(e.thread == threading.get_ident() for e in prof.events() if e.name == "train_step")


def test_cpp_hook_off_outside_profiling_and_after_errors():
    from pyengine import _C
    assert not _C._profiler_active()
    a = pe.ones(2, 3)
    with profile() as prof:
        assert _C._profiler_active()
        with pytest.raises(RuntimeError):
            pe.mm(a, a)  # the failing op's scope still closes
        pe.mm(a, a.t())
    assert not _C._profiler_active()
    mm = [e for e in prof.events() if e.name == "aten::mm"]
    assert len(mm) == 2 and all(e.end_us >= e.start_us for e in mm)
    (a * 2).sum()  # not recorded anywhere: nothing is left behind for the next profile
    with profile() as prof2:
        pass
    assert len(prof2.events()) == 0
    assert all(e.device_type == pe.profiler._events.DeviceType.CPU for e in prof.events())


def test_backward_chrome_trace(tmp_path):
    prof = _mlp_profile(pe)
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    doc = json.loads(path.read_text())
    events = doc["traceEvents"]
    assert len(events) == len(prof.events())
    for e in events:
        assert e["ph"] == "X" and isinstance(e["ts"], (int, float)) and e["dur"] >= 0
        assert isinstance(e["pid"], int) and isinstance(e["tid"], int)
    names = {e["name"] for e in events}
    assert {"autograd::engine::evaluate_function: AddmmBackward0", "AddmmBackward0", "aten::mm"} <= names
    shapes = [e["args"]["Input Dims"] for e in events if e["name"] == "aten::addmm"]
    assert sorted(map(str, shapes)) == ["[[2], [3, 8], [8, 2], [], []]", "[[8], [3, 4], [4, 8], [], []]"]


def test_schedule_windows_see_backward(tmp_path):
    m, x = _model_step()
    windows = []
    with profile(schedule=schedule(wait=1, warmup=1, active=2, repeat=1),
                 on_trace_ready=lambda p: windows.append(_counts(p))) as prof:
        for _ in range(5):
            m(x).sum().backward()
            prof.step()
    assert len(windows) == 1
    assert windows[0]["autograd::engine::evaluate_function: AddmmBackward0"] == 2
    assert windows[0]["aten::linear"] == 2


@cuda_required
def test_cuda_ops_recorded_as_cpu_side_launches():
    # ops on CUDA tensors are recorded where they are launched, on the CPU, as PyTorch's CPU events are
    def run(device):
        pe.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).to(device)
        x = pe.randn(3, 4, device=device)
        with profile(record_shapes=True) as prof:
            model(x).sum().backward()
            pe.cuda.synchronize()
        return prof
    on_cuda, on_cpu = run("cuda"), run("cpu")
    assert _counts(on_cuda) == _counts(on_cpu)
    assert all(e.device_type == DeviceType.CPU for e in on_cuda.events())
    mm = [e for e in on_cuda.events() if e.name == "aten::addmm"]
    assert sorted(map(str, (e.input_shapes for e in mm))) == ["[[2], [3, 8], [8, 2], [], []]",
                                                               "[[8], [3, 4], [4, 8], [], []]"]
