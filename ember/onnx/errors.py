"""``torch.onnx.errors``: the exporter's exceptions."""
from ._registry import OnnxExporterError, UnsupportedOperatorError  # noqa: F401

__all__ = ["OnnxExporterError", "UnsupportedOperatorError"]
