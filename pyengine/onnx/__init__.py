"""torch.onnx: importable, so programs that reference it run; exporting is not supported by pyengine.

``is_in_onnx_export()`` (which models call in ``forward``) is always False here; ``export`` raises
``OnnxExporterError`` naming the reason instead of writing a file that is not a model.
"""
from __future__ import annotations

from typing import Any

__all__ = ["export", "is_in_onnx_export", "OnnxExporterError"]


class OnnxExporterError(RuntimeError):
    """Raised by :func:`export`: pyengine has no ONNX exporter."""


def is_in_onnx_export() -> bool:
    return False


def export(model: Any, args: Any = (), f: Any = None, *a: Any, **kw: Any) -> None:
    raise OnnxExporterError("torch.onnx.export is not supported by pyengine (it has no graph capture to build an "
                            "ONNX model from); export the model with PyTorch, e.g. after loading a state_dict saved "
                            "by pyengine.save into the same torch.nn architecture.")
