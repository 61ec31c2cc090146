"""torchvision.ops box utilities: box_area, box_iou, box_convert, clip_boxes_to_image, remove_small_boxes, nms,
batched_nms. Boxes are (x1, y1, x2, y2) with 0 <= x1 < x2 and 0 <= y1 < y2 unless box_convert says otherwise."""
from __future__ import annotations

import numpy as np

import pyengine

from ..._C import Tensor

__all__ = ["box_area", "box_iou", "box_convert", "clip_boxes_to_image", "remove_small_boxes", "nms", "batched_nms"]


def _check_boxes(boxes: Tensor, name: str = "boxes") -> None:
    if boxes.dim() != 2 or boxes.shape[-1] != 4:
        raise ValueError(f"{name} should be a 2-D tensor of shape (N, 4), got shape {tuple(boxes.shape)}")


def box_area(boxes: Tensor) -> Tensor:
    _check_boxes(boxes)
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def _inter_union(boxes1: Tensor, boxes2: Tensor):
    area1, area2 = box_area(boxes1), box_area(boxes2)
    lt = pyengine.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    rb = pyengine.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[:, :, 0] * wh[:, :, 1]
    return inter, area1[:, None] + area2[None, :] - inter


def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """The (N, M) matrix of intersection over union."""
    _check_boxes(boxes1, "boxes1")
    _check_boxes(boxes2, "boxes2")
    inter, union = _inter_union(boxes1, boxes2)
    return inter / union


def box_convert(boxes: Tensor, in_fmt: str, out_fmt: str) -> Tensor:
    """Between 'xyxy', 'xywh' (corner and size) and 'cxcywh' (centre and size)."""
    allowed = ("xyxy", "xywh", "cxcywh")
    if in_fmt not in allowed or out_fmt not in allowed:
        raise ValueError("Unsupported Bounding Box Conversions for given in_fmt and out_fmt")
    if in_fmt == out_fmt:
        return boxes.clone()
    a, b, c, d = boxes.unbind(-1)
    if in_fmt == "xywh":
        a, b, c, d = a, b, a + c, b + d
    elif in_fmt == "cxcywh":
        a, b, c, d = a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d
    if out_fmt == "xywh":
        return pyengine.stack((a, b, c - a, d - b), -1)
    if out_fmt == "cxcywh":
        return pyengine.stack(((a + c) / 2, (b + d) / 2, c - a, d - b), -1)
    return pyengine.stack((a, b, c, d), -1)


def clip_boxes_to_image(boxes: Tensor, size: tuple[int, int]) -> Tensor:
    height, width = size
    x = boxes[..., 0::2].clamp(min=0, max=width)
    y = boxes[..., 1::2].clamp(min=0, max=height)
    return pyengine.stack((x, y), dim=boxes.dim()).reshape(tuple(boxes.shape))


def remove_small_boxes(boxes: Tensor, min_size: float) -> Tensor:
    ws, hs = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    keep = np.nonzero((ws.detach().numpy() >= min_size) & (hs.detach().numpy() >= min_size))[0]
    return pyengine.tensor(keep, dtype=pyengine.int64)


def nms(boxes: Tensor, scores: Tensor, iou_threshold: float) -> Tensor:
    """Greedy non-maximum suppression: the indices (int64) of the kept boxes by decreasing score; a box is
    dropped when its IoU with a kept higher-scoring box is > iou_threshold."""
    _check_boxes(boxes)
    if scores.dim() != 1 or scores.shape[0] != boxes.shape[0]:
        raise ValueError(f"scores should be a 1-D tensor with one score per box: boxes {tuple(boxes.shape)}, "
                         f"scores {tuple(scores.shape)}")
    b = boxes.detach().cpu().numpy().astype(np.float64)
    s = scores.detach().cpu().numpy()
    order = np.argsort(-s, kind="stable")
    areas = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    suppressed = np.zeros(len(b), dtype=bool)
    keep = []
    for pos, i in enumerate(order):
        if suppressed[i]:
            continue
        keep.append(i)
        rest = order[pos + 1:]
        rest = rest[~suppressed[rest]]
        if rest.size == 0:
            continue
        w = np.clip(np.minimum(b[i, 2], b[rest, 2]) - np.maximum(b[i, 0], b[rest, 0]), 0, None)
        h = np.clip(np.minimum(b[i, 3], b[rest, 3]) - np.maximum(b[i, 1], b[rest, 1]), 0, None)
        inter = w * h
        iou = inter / (areas[i] + areas[rest] - inter)
        suppressed[rest[iou > iou_threshold]] = True
    return pyengine.tensor(np.asarray(keep, dtype=np.int64), device=boxes.device)


def batched_nms(boxes: Tensor, scores: Tensor, idxs: Tensor, iou_threshold: float) -> Tensor:
    """NMS within each category of idxs (boxes of different categories never suppress each other)."""
    if boxes.numel() == 0:
        return pyengine.empty((0,), dtype=pyengine.int64, device=boxes.device)
    b = boxes.detach().cpu().numpy().astype(np.float64)
    offsets = idxs.detach().cpu().numpy().astype(np.float64) * (b.max() + 1)
    shifted = pyengine.tensor(b + offsets[:, None])
    return nms(shifted, scores, iou_threshold)
