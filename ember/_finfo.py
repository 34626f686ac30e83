"""``finfo`` and ``iinfo``: the numerical limits of a dtype, as ``torch.finfo`` / ``torch.iinfo``.

Example:
    >>> ember.finfo(ember.float32).eps
    1.1920928955078125e-07
    >>> ember.iinfo(ember.int8).min
    -128
"""
import numpy as np

from . import _dtype


def _check(name, d):
    if not isinstance(d, _dtype.dtype):
        raise TypeError(f"{name}(): argument 'type' (position 1) must be ember.dtype, not {type(d).__name__} "
                        f"(e.g. ember.{name}(ember.float32) or ember.{name}(x.dtype))")


class finfo:
    """Limits of a floating-point dtype: ``bits``, ``eps``, ``max``, ``min``, ``tiny`` (=
    ``smallest_normal``), ``resolution`` and ``dtype`` (its name). ``finfo()`` describes the default dtype.

    Example: ``x.masked_fill(mask, ember.finfo(x.dtype).min)`` (a large negative attention bias).
    ember's ``bfloat16`` is its float16 (NumPy has no bfloat16), so ``finfo(ember.bfloat16)`` is float16's.
    """
    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")

    def __init__(self, type=None):
        d = _dtype.get_default_dtype() if type is None else type
        _check("finfo", d)
        if not d.is_floating_point:
            raise TypeError("ember.finfo() requires a floating point input type. Use ember.iinfo to handle "
                            f"'ember.finfo' (got {d})")
        info = np.finfo(d.np)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)
        self.dtype = d.name

    def __eq__(self, other):
        return isinstance(other, finfo) and self.dtype == other.dtype

    __hash__ = None

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")

    __str__ = __repr__


class iinfo:
    """Limits of an integer dtype: ``bits``, ``max``, ``min`` (Python ints) and ``dtype`` (its name).

    Example: ``ember.iinfo(ember.int64).max`` is ``9223372036854775807``.
    """
    __slots__ = ("bits", "max", "min", "dtype")

    def __init__(self, type):
        _check("iinfo", type)
        if type.np.kind == "b":
            raise TypeError(f"{type} is not supported by ember.iinfo (bool has no integer range; use 0 and 1)")
        if type.np.kind not in "ui":
            raise TypeError("ember.iinfo() requires an integer input type. Use ember.finfo to handle "
                            f"'ember.iinfo' (got {type})")
        info = np.iinfo(type.np)
        self.bits, self.max, self.min, self.dtype = int(info.bits), int(info.max), int(info.min), type.name

    def __eq__(self, other):
        return isinstance(other, iinfo) and self.dtype == other.dtype

    __hash__ = None

    def __repr__(self):
        return f"iinfo(min={float(self.min):g}, max={float(self.max):g}, dtype={self.dtype})"

    __str__ = __repr__
