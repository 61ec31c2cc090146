"""torch.utils.tensorboard.SummaryWriter on pyengine: real event files, read back with tensorboard's own
EventAccumulator (scalars, add_scalars runs, histograms, images, text, hparams), and the summaries equal the ones
torch.utils.tensorboard builds from the same data."""
import os

import numpy as np
import pytest

import pyengine as pe

try:
    import tensorboard  # noqa: F401
except ImportError:
    pytest.skip("optional dependency tensorboard not installed", allow_module_level=True)

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

from pyengine.utils.tensorboard import SummaryWriter  # noqa: E402
from pyengine.utils.tensorboard import _summary  # noqa: E402


def _load(path):
    acc = EventAccumulator(str(path), size_guidance={"scalars": 0, "histograms": 0, "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def test_scalars_histograms_images_text_read_back(tmp_path):
    w = SummaryWriter(log_dir=str(tmp_path))
    for step in range(5):
        w.add_scalar("Loss/train", 1.0 / (step + 1), step)
        w.add_scalar("acc", pe.tensor(0.5 + step / 10), global_step=step)
    values = pe.tensor(np.random.default_rng(0).standard_normal(1000))
    w.add_histogram("weights", values, 3)
    img = pe.rand(3, 8, 10)
    w.add_image("img", img, 1)
    w.add_image("hwc", (pe.rand(6, 4, 1) * 255).to(pe.uint8), 2, dataformats="HWC")
    w.add_images("batch", pe.rand(10, 1, 5, 5), 0)
    w.add_text("note", "hello **world**", 7)
    w.flush()
    w.close()
    acc = _load(tmp_path)
    tags = acc.Tags()
    assert set(tags["scalars"]) == {"Loss/train", "acc"}
    loss = acc.Scalars("Loss/train")
    assert [e.step for e in loss] == list(range(5))
    np.testing.assert_allclose([e.value for e in loss], [1.0 / (s + 1) for s in range(5)], rtol=1e-6)
    np.testing.assert_allclose([e.value for e in acc.Scalars("acc")], [0.5 + s / 10 for s in range(5)], rtol=1e-6)
    h = acc.Histograms("weights")[0]
    assert h.step == 3 and h.histogram_value.num == 1000
    assert h.histogram_value.min == pytest.approx(float(values.min()))
    assert h.histogram_value.sum == pytest.approx(float(values.sum()))
    assert sum(h.histogram_value.bucket) == 1000
    im = acc.Images("img")[0]
    assert (im.height, im.width, im.step) == (8, 10, 1)
    from io import BytesIO

    from PIL import Image
    decoded = np.asarray(Image.open(BytesIO(im.encoded_image_string)))
    expected = (img.permute(1, 2, 0).numpy() * 255).clip(0, 255).astype(np.uint8)
    np.testing.assert_array_equal(decoded, expected)
    grid = acc.Images("batch")[0]
    assert (grid.height, grid.width) == (10, 40)  # 10 images, 8 per row -> 2 rows of 5x5 tiles, 8 columns
    assert acc.Images("hwc")[0].width == 4
    text = acc.Tensors("note/text_summary")[0]
    assert text.step == 7 and text.tensor_proto.string_val[0].decode() == "hello **world**"


def test_add_scalars_and_hparams_runs(tmp_path):
    with SummaryWriter(log_dir=str(tmp_path)) as w:
        for step in range(3):
            w.add_scalars("run", {"a": step, "b": 2 * step}, step)
        w.add_hparams({"lr": 0.1, "bsize": 32, "opt": "sgd", "nesterov": True}, {"hparam/loss": 0.25},
                      run_name="trial")
    assert sorted(os.listdir(tmp_path / "run_a")) and sorted(os.listdir(tmp_path / "run_b"))
    b = _load(tmp_path / "run_b")
    assert [e.value for e in b.Scalars("run")] == [0.0, 2.0, 4.0]
    hp = _load(tmp_path / "trial")
    assert [e.value for e in hp.Scalars("hparam/loss")] == [0.25]
    from tensorboard.plugins.hparams import plugin_data_pb2
    meta = hp.SummaryMetadata("_hparams_/session_start_info")
    data = plugin_data_pb2.HParamsPluginData.FromString(meta.plugin_data.content)
    assert data.session_start_info.hparams["lr"].number_value == 0.1
    assert data.session_start_info.hparams["opt"].string_value == "sgd"
    assert data.session_start_info.hparams["nesterov"].bool_value is True
    with pytest.raises(TypeError, match="hparam_dict and metric_dict should be dictionary"):
        SummaryWriter(log_dir=str(tmp_path / "x")).add_hparams([], {})


def test_summaries_equal_torch(tmp_path):
    torch = pytest.importorskip("torch")
    from torch.utils.tensorboard import summary as ts
    from torch.utils.tensorboard import SummaryWriter as TWriter
    v = np.random.default_rng(1).standard_normal(500) * 3
    tw = TWriter(log_dir=str(tmp_path))
    assert _summary._default_bins() == tw.default_bins
    tw.close()
    assert _summary.histogram("h", pe.tensor(v)) == ts.histogram("h", torch.tensor(v), _summary._default_bins())
    assert _summary.histogram("h", pe.tensor(v), bins=20) == ts.histogram("h", torch.tensor(v), bins=20)
    bins = _summary._default_bins()
    assert _summary.histogram("h", pe.tensor(v), max_bins=30) == ts.histogram("h", torch.tensor(v), bins, max_bins=30)
    assert _summary.scalar("s", 0.5) == ts.scalar("s", 0.5)
    assert _summary.text("t", "abc") == ts.text("t", "abc")
    a = np.random.default_rng(2).random((3, 4, 5)).astype(np.float32)
    assert _summary.image("i", pe.tensor(a), dataformats="CHW") == ts.image("i", torch.tensor(a), dataformats="CHW")
    a = np.random.default_rng(3).random((11, 3, 4, 5)).astype(np.float32)
    assert _summary.image("i", pe.tensor(a)) == ts.image("i", torch.tensor(a))
    exp, ssi, sei = _summary.hparams({"lr": 0.1, "n": 3}, {"m": 1.0})
    texp, tssi, tsei = ts.hparams({"lr": 0.1, "n": 3}, {"m": 1.0})
    assert (exp, ssi, sei) == (texp, tssi, tsei)


def test_add_graph_refused_and_default_logdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_exp")
    assert w.get_logdir().startswith("runs" + os.sep) and w.get_logdir().endswith("_exp")
    with pytest.raises(NotImplementedError, match="no tracer"):
        w.add_graph(pe.nn.Linear(2, 2), pe.ones(1, 2))
    w.close()
