"""``ember.onnx`` (``torch.onnx``): export a model as an ONNX file.

``export`` runs the forward once while recording every ember op (``_trace.py``), translates each
op into standard ONNX operators (``ops_*.py``, registered in ``_registry.py``) and writes the
model with the ``onnx`` package (optional: ``pip install ember[onnx]``), checked by
``onnx.checker``. See ``export`` for what is supported.
"""
from . import errors  # noqa: F401
from ._export import (DEFAULT_OPSET, OperatorExportTypes, TrainingMode, export,  # noqa: F401
                      is_in_onnx_export, select_model_mode_for_export)
from ._registry import OnnxExporterError, UnsupportedOperatorError  # noqa: F401

producer_name = "ember"

__all__ = ["export", "is_in_onnx_export", "select_model_mode_for_export", "TrainingMode", "OperatorExportTypes",
           "OnnxExporterError", "errors", "producer_name"]
