"""pyengine.vision.models / ops / io: torchvision's architectures (parameter counts equal torchvision's
documented num_params, state_dict keys named as torchvision's, forward shapes), weights= behaviour offline and
with local files, a residual block against PyTorch functional code, box ops and NMS against hand-computed
values and a brute-force reference, PNG/JPEG read/write round trips. (torchvision cannot be installed beside
the reference PyTorch here, so its documented definitions are the reference.)"""
import numpy as np
import pytest

import pyengine as pe
from pyengine import nn
from pyengine.vision import io, models, ops

# torchvision's documented parameter counts (weights meta "num_params") and state_dict sizes
ARCHS = [
    ("resnet18", 11689512, 122, ["conv1.weight", "bn1.running_mean", "layer1.0.conv1.weight",
                                 "layer2.0.downsample.0.weight", "layer2.0.downsample.1.num_batches_tracked",
                                 "layer4.1.bn2.bias", "fc.weight", "fc.bias"]),
    ("resnet34", 21797672, 218, ["layer3.5.conv2.weight"]),
    ("resnet50", 25557032, 320, ["layer1.0.conv3.weight", "layer1.0.bn3.weight", "layer4.2.conv3.weight"]),
    ("vgg11", 132863336, 22, ["features.0.weight", "features.18.bias", "classifier.0.weight", "classifier.6.bias"]),
    ("vgg16", 138357544, 32, ["features.28.weight", "classifier.3.weight"]),
    ("alexnet", 61100840, 16, ["features.0.weight", "features.10.bias", "classifier.1.weight", "classifier.6.bias"]),
    ("mobilenet_v2", 3504872, 314, ["features.0.0.weight", "features.0.1.running_var", "features.1.conv.0.0.weight",
                                    "features.1.conv.1.weight", "features.2.conv.0.0.weight",
                                    "features.17.conv.3.bias", "features.18.0.weight", "classifier.1.weight"]),
    ("squeezenet1_0", 1248424, 52, ["features.0.weight", "features.3.squeeze.weight", "features.12.expand3x3.bias",
                                    "classifier.1.weight"]),
    ("densenet121", 7978856, 727, ["features.conv0.weight", "features.denseblock1.denselayer1.norm1.weight",
                                   "features.denseblock4.denselayer16.conv2.weight", "features.transition3.conv.weight",
                                   "features.norm5.running_var", "classifier.weight"]),
]


@pytest.mark.parametrize("name,num_params,num_keys,keys", ARCHS, ids=[a[0] for a in ARCHS])
def test_architecture_matches_torchvision(name, num_params, num_keys, keys):
    model = getattr(models, name)()
    assert sum(p.numel() for p in model.parameters()) == num_params
    sd = model.state_dict()
    assert len(sd) == num_keys
    for k in keys:
        assert k in sd, k
    small = getattr(models, name)(num_classes=7).eval()
    size = 80 if name == "alexnet" else 48
    with pe.no_grad():
        out = small(pe.randn(2, 3, size, size))
    assert out.shape == (2, 7) and bool(pe.isfinite(out).all())


def test_models_train_step_and_get_model():
    pe.manual_seed(0)
    model = models.get_model("resnet18", num_classes=3)
    opt = pe.optim.SGD(model.parameters(), lr=0.01)
    x, y = pe.randn(4, 3, 32, 32), pe.tensor([0, 1, 2, 1])
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    assert model.conv1.weight.grad is not None
    assert "resnet50" in models.list_models() and models.list_models(include="vgg1*") == [
        "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]


def test_weights_from_hub_cache_and_local(tmp_path, monkeypatch):
    import urllib.error
    from pyengine import hub
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))

    def offline(url, timeout=60.0):
        raise urllib.error.URLError("no network in this test")
    monkeypatch.setattr(hub, "_urlopen", offline)
    # not in the cache and no network: urllib's URLError (as torchvision's), naming where the file would go
    cached = tmp_path / "th" / "hub" / "checkpoints" / "squeezenet1_0-b66bff10.pth"
    with pytest.raises(urllib.error.URLError, match="put the file at .*squeezenet1_0-b66bff10.pth"):
        models.squeezenet1_0(weights=models.SqueezeNet1_0_Weights.IMAGENET1K_V1)
    with pytest.raises(urllib.error.URLError):
        models.squeezenet1_0(weights="DEFAULT")
    # in the cache: loaded from there without a download, as torchvision does
    src = models.squeezenet1_0()
    pe.save(src.state_dict(), str(cached))
    for kw in ({"weights": models.SqueezeNet1_0_Weights.IMAGENET1K_V1}, {"weights": "IMAGENET1K_V1"},
               {"weights": "DEFAULT"}):
        got = models.squeezenet1_0(**kw)
        assert pe.equal(got.classifier[1].weight, src.classifier[1].weight), kw
    with pytest.warns(UserWarning, match="weights=SqueezeNet1_0_Weights.IMAGENET1K_V1"):
        got = models.squeezenet1_0(pretrained=True)
    assert pe.equal(got.features[0].weight, src.features[0].weight)
    with pytest.raises(ValueError, match="Failed to find Weights"):
        models.resnet18(weights="IMAGENET9K")
    assert models.ResNet50_Weights.DEFAULT is models.ResNet50_Weights.IMAGENET1K_V2
    assert models.ResNet18_Weights.DEFAULT.url.endswith("resnet18-f37072fd.pth")
    preprocess = models.ResNet18_Weights.DEFAULT.transforms()
    batch = preprocess(pe.randint(0, 256, (3, 300, 260), dtype=pe.uint8))
    assert batch.shape == (3, 224, 224) and batch.dtype == pe.float32
    # a local file saved with torch.save (here pyengine.save) loads through weights=
    src = models.squeezenet1_1(num_classes=5)
    path = tmp_path / "sq.pth"
    pe.save(src.state_dict(), str(path))
    loaded = models.squeezenet1_1(num_classes=5, weights=str(path))
    for (k, a), (_, b) in zip(src.state_dict().items(), loaded.state_dict().items()):
        assert pe.equal(a, b), k
    loaded2 = models.squeezenet1_1(num_classes=5, weights=src.state_dict())
    assert pe.equal(loaded2.classifier[1].weight, src.classifier[1].weight)


def test_torch_state_dict_loads_and_basic_block_matches_torch():
    """A state dict made by PyTorch for the same structure loads, and a BasicBlock computes what PyTorch's
    functional ops compute with the same weights."""
    torch = pytest.importorskip("torch")
    import torch.nn.functional as TF
    block = models.resnet.BasicBlock(4, 8, stride=2, downsample=nn.Sequential(
        models.resnet.conv1x1(4, 8, 2), nn.BatchNorm2d(8))).eval()
    rng = np.random.default_rng(0)
    sd = {k: torch.tensor(rng.standard_normal(tuple(v.shape)).astype(np.float32)) if v.is_floating_point()
          else torch.tensor(v.numpy()) for k, v in block.state_dict().items()}
    for k in sd:
        if k.endswith("running_var"):
            sd[k] = sd[k].abs() + 0.5
    block.load_state_dict({k: pe.tensor(v.numpy()) for k, v in sd.items()})
    x = rng.standard_normal((2, 4, 9, 9)).astype(np.float32)

    def bn(t, p):
        return TF.batch_norm(t, sd[p + ".running_mean"], sd[p + ".running_var"], sd[p + ".weight"], sd[p + ".bias"])
    tx = torch.tensor(x)
    out = TF.relu(bn(TF.conv2d(tx, sd["conv1.weight"], stride=2, padding=1), "bn1"))
    out = bn(TF.conv2d(out, sd["conv2.weight"], padding=1), "bn2")
    out = TF.relu(out + bn(TF.conv2d(tx, sd["downsample.0.weight"], stride=2), "downsample.1"))
    with pe.no_grad():
        got = block(pe.tensor(x))
    np.testing.assert_allclose(got.numpy(), out.numpy(), rtol=1e-4, atol=1e-4)


def test_dropout2d_and_relu6_match_torch_semantics():
    torch = pytest.importorskip("torch")
    x = pe.ones(8, 16, 3, 3)
    y = nn.Dropout2d(0.5)(x)
    per_channel = y.reshape(8, 16, 9)
    assert bool(((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all())  # whole channels
    assert pe.equal(nn.Dropout2d(0.5).eval()(x), x)
    assert repr(nn.Dropout2d(0.3)) == repr(torch.nn.Dropout2d(0.3))
    v = np.linspace(-3, 9, 13).astype(np.float32)
    np.testing.assert_array_equal(nn.ReLU6()(pe.tensor(v)).numpy(), torch.nn.ReLU6()(torch.tensor(v)).numpy())
    assert repr(nn.ReLU6(inplace=True)) == repr(torch.nn.ReLU6(inplace=True))
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        nn.Dropout2d(1.5)


# ---- ops ----

def test_box_iou_and_area_hand_computed():
    b1 = pe.tensor([[0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 3.0, 4.0]])
    b2 = pe.tensor([[1.0, 1.0, 2.0, 2.0], [5.0, 5.0, 6.0, 6.0], [0.0, 0.0, 2.0, 2.0]])
    assert ops.box_area(b1).tolist() == [4.0, 6.0]
    iou = ops.box_iou(b1, b2).numpy()
    np.testing.assert_allclose(iou, [[1 / 4, 0, 1], [1 / 6, 0, 1 / 9]], rtol=1e-6)
    np.testing.assert_allclose(ops.box_convert(b1, "xyxy", "cxcywh").numpy(), [[1, 1, 2, 2], [2, 2.5, 2, 3]])
    np.testing.assert_allclose(ops.box_convert(ops.box_convert(b1, "xyxy", "xywh"), "xywh", "xyxy").numpy(),
                               b1.numpy())
    with pytest.raises(ValueError, match="shape \\(N, 4\\)"):
        ops.box_iou(pe.ones(3), b2)


def _nms_reference(boxes, scores, thr):
    order = list(np.argsort(-scores, kind="stable"))
    keep = []
    while order:
        i = order.pop(0)
        keep.append(i)
        remaining = []
        for j in order:
            xx1, yy1 = max(boxes[i, 0], boxes[j, 0]), max(boxes[i, 1], boxes[j, 1])
            xx2, yy2 = min(boxes[i, 2], boxes[j, 2]), min(boxes[i, 3], boxes[j, 3])
            inter = max(0.0, xx2 - xx1) * max(0.0, yy2 - yy1)
            a = (boxes[i, 2] - boxes[i, 0]) * (boxes[i, 3] - boxes[i, 1])
            b = (boxes[j, 2] - boxes[j, 0]) * (boxes[j, 3] - boxes[j, 1])
            if inter / (a + b - inter) <= thr:
                remaining.append(j)
        order = remaining
    return keep


def test_nms():
    boxes = pe.tensor([[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 11.0, 11.0], [20.0, 20.0, 30.0, 30.0],
                       [0.0, 0.0, 10.0, 9.0]])
    scores = pe.tensor([0.9, 0.8, 0.7, 0.95])
    keep = ops.nms(boxes, scores, 0.5)
    assert keep.dtype == pe.int64 and keep.tolist() == [3, 2]  # 0 and 1 overlap box 3 by IoU > 0.5
    rng = np.random.default_rng(0)
    xy = rng.random((60, 2)) * 50
    wh = rng.random((60, 2)) * 20 + 1
    b = np.concatenate([xy, xy + wh], 1)
    s = rng.random(60)
    for thr in (0.1, 0.3, 0.7):
        assert ops.nms(pe.tensor(b), pe.tensor(s), thr).tolist() == _nms_reference(b, s, thr)
    idxs = pe.tensor([0, 1, 0, 1])
    assert sorted(ops.batched_nms(boxes, scores, idxs, 0.5).tolist()) == [0, 2, 3]  # 1 loses to 3 (IoU 0.61)


# ---- io ----

def test_png_round_trip_and_modes(tmp_path):
    img = pe.randint(0, 256, (3, 7, 9), dtype=pe.uint8)
    path = str(tmp_path / "a.png")
    io.write_png(img, path)
    back = io.read_image(path)
    assert back.dtype == pe.uint8 and pe.equal(back, img)
    gray = io.read_image(path, io.ImageReadMode.GRAY)
    assert gray.shape == (1, 7, 9)
    expected = (img.double() * pe.tensor([299.0, 587.0, 114.0]).reshape(3, 1, 1) / 1000).sum(0)
    assert float((gray[0].double() - expected).abs().max()) <= 1.0  # Pillow's L conversion, rounded
    data = io.read_file(path)
    assert data.dim() == 1 and pe.equal(io.decode_image(data), img)
    assert pe.equal(io.decode_png(io.encode_png(img, compression_level=9)), img)
    rgba = pe.randint(0, 256, (4, 5, 5), dtype=pe.uint8)
    assert pe.equal(io.decode_image(io.encode_png(rgba)), rgba)
    assert io.decode_image(io.encode_png(rgba), mode=io.ImageReadMode.RGB).shape == (3, 5, 5)


def test_jpeg_round_trip(tmp_path):
    yy, xx = np.mgrid[0:32, 0:32]
    smooth = np.stack([xx * 8, yy * 8, (xx + yy) * 4]).astype(np.uint8)
    img = pe.tensor(smooth)
    path = str(tmp_path / "a.jpg")
    io.write_jpeg(img, path, quality=95)
    back = io.read_image(path)
    assert back.shape == (3, 32, 32)
    assert float((back.double() - img.double()).abs().mean()) < 3.0
    with pytest.raises(ValueError, match="between 1 and 100"):
        io.encode_jpeg(img, quality=0)
    with pytest.raises(RuntimeError, match="dtype should be uint8"):
        io.encode_png(img.float())
