"""torch.profiler / torch.autograd.profiler on pyengine: real op names and call counts, self vs total CPU time
with nesting, input shapes, record_function, PyTorch's table format, Chrome trace JSON, schedule/step/
on_trace_ready (the schedule's actions equal PyTorch's), refusals, and nothing left instrumented afterwards."""
import json
import re

import pytest

import pyengine as pe
from pyengine import nn
from pyengine.profiler import ProfilerActivity, profile, record_function, schedule
from pyengine.profiler._events import EventList, FunctionEvent


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
