"""pyengine.vision.ops (torchvision.ops): box utilities, NMS and the conv/norm/activation block."""
from .boxes import (batched_nms, box_area, box_convert, box_iou, clip_boxes_to_image, nms,  # noqa: F401
                    remove_small_boxes)
from .misc import Conv2dNormActivation, ConvNormActivation  # noqa: F401
from .roi import RoIAlign, RoIPool, roi_align, roi_pool  # noqa: F401

__all__ = ["batched_nms", "box_area", "box_convert", "box_iou", "clip_boxes_to_image", "nms",
           "remove_small_boxes", "Conv2dNormActivation", "ConvNormActivation", "RoIAlign", "RoIPool", "roi_align",
           "roi_pool"]
