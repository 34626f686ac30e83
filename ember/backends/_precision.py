"""``set_float32_matmul_precision`` / ``get_float32_matmul_precision``, as PyTorch's.

The setting is validated and stored as PyTorch does ('highest', 'high', 'medium'; any other string
warns and changes nothing; a non-string raises RuntimeError). It selects TF32/bfloat16 internal
precision for float32 matmuls in PyTorch; ember's matmuls are NumPy float32 GEMMs whatever it says,
which is what 'highest' means (the default). As in PyTorch, it also sets
``backends.cuda.matmul.allow_tf32`` ('highest' -> False, otherwise True).
"""
import warnings

from . import cuda

_VALID = ("highest", "high", "medium")
_precision = "highest"


def set_float32_matmul_precision(precision):
    global _precision
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}")
    if precision not in _VALID:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current "
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _precision = precision
    cuda.matmul.allow_tf32 = precision != "highest"


def get_float32_matmul_precision():
    return _precision
