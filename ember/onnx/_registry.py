"""The table from ember op classes to their ONNX translations.

A translation is ``fn(g, call)``: ``g`` is the graph being built (``_graph.Graph``), ``call``
one traced op (``_graph.Call``: its tensor inputs as ONNX value names, its constant arguments,
its shapes in the one or two traces). It emits ONNX nodes through ``g`` and returns the ONNX
names of the op's outputs (a name, or a list for an op with several outputs).
"""

TRANSLATIONS = {}


def translates(*op_classes):
    """Register the decorated function as the translation of ``op_classes``."""
    def register(fn):
        for cls in op_classes:
            TRANSLATIONS[cls] = fn
        return fn
    return register


class OnnxExporterError(RuntimeError):
    """An error of the ONNX exporter (``torch.onnx.OnnxExporterError``)."""


class UnsupportedOperatorError(OnnxExporterError):
    """An op (or an argument of it, or a way of computing a value) that ember.onnx.export cannot write
    as ONNX (``torch.onnx.errors.UnsupportedOperatorError``)."""
