"""``ember.onnx`` (``torch.onnx``): export a model as an ONNX file.

``export`` runs the forward once while recording every ember op (``_trace.py``), translates each
op into standard ONNX operators (``ops_*.py``, registered in ``_registry.py``) and writes the
model with the ``onnx`` package (optional: ``pip install ember[onnx]``), checked by
``onnx.checker``. See ``export`` for what is supported.
"""
from ._export import (DEFAULT_OPSET, OperatorExportTypes, TrainingMode, export,  # noqa: F401
                      is_in_onnx_export)
from ._registry import UnsupportedOp  # noqa: F401

__all__ = ["export", "is_in_onnx_export", "TrainingMode", "OperatorExportTypes", "UnsupportedOp"]
