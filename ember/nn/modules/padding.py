"""Padding layers: ZeroPad, ConstantPad, ReflectionPad, ReplicationPad, CircularPad (1d/2d/3d)."""
from .. import functional as F
from .module import Module

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d"]


def _expand(padding, n):
    if isinstance(padding, int):
        return (padding,) * (2 * n)
    padding = tuple(padding)
    if len(padding) != 2 * n:
        raise ValueError(f"padding must be an int or a {2 * n}-tuple (left, right{', top, bottom' if n > 1 else ''}"
                         f"{', front, back' if n > 2 else ''}), got {padding}")
    return padding


class _PadNd(Module):
    _mode = "constant"
    _dims = 1

    def __init__(self, padding):
        super().__init__()
        self.padding = _expand(padding, self._dims)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


def _make(base, name, mode, dims, doc):
    return type(name, (base,), {"_mode": mode, "_dims": dims, "__doc__": doc, "__module__": __name__})


_DOC = ("Pad the last {d} dim(s) {how}; ``padding`` is an int or (left, right{tb}).\n\n    Example:\n"
        "        >>> ember.nn.{name}(1)(ember.zeros(1, 2, 3, 3))\n")


def _doc(name, d, how):
    return _DOC.format(d=d, how=how, tb=", top, bottom" if d > 1 else "", name=name)


ZeroPad1d = _make(_ZeroPadNd, "ZeroPad1d", "constant", 1, _doc("ZeroPad1d", 1, "with zeros"))
ZeroPad2d = _make(_ZeroPadNd, "ZeroPad2d", "constant", 2, _doc("ZeroPad2d", 2, "with zeros"))
ZeroPad3d = _make(_ZeroPadNd, "ZeroPad3d", "constant", 3, _doc("ZeroPad3d", 3, "with zeros"))
ConstantPad1d = _make(_ConstantPadNd, "ConstantPad1d", "constant", 1, _doc("ConstantPad1d", 1, "with ``value``"))
ConstantPad2d = _make(_ConstantPadNd, "ConstantPad2d", "constant", 2, _doc("ConstantPad2d", 2, "with ``value``"))
ConstantPad3d = _make(_ConstantPadNd, "ConstantPad3d", "constant", 3, _doc("ConstantPad3d", 3, "with ``value``"))
ReflectionPad1d = _make(_PadNd, "ReflectionPad1d", "reflect", 1, _doc("ReflectionPad1d", 1, "by reflection"))
ReflectionPad2d = _make(_PadNd, "ReflectionPad2d", "reflect", 2, _doc("ReflectionPad2d", 2, "by reflection"))
ReflectionPad3d = _make(_PadNd, "ReflectionPad3d", "reflect", 3, _doc("ReflectionPad3d", 3, "by reflection"))
ReplicationPad1d = _make(_PadNd, "ReplicationPad1d", "replicate", 1, _doc("ReplicationPad1d", 1, "repeating the edge"))
ReplicationPad2d = _make(_PadNd, "ReplicationPad2d", "replicate", 2, _doc("ReplicationPad2d", 2, "repeating the edge"))
ReplicationPad3d = _make(_PadNd, "ReplicationPad3d", "replicate", 3, _doc("ReplicationPad3d", 3, "repeating the edge"))
CircularPad1d = _make(_PadNd, "CircularPad1d", "circular", 1, _doc("CircularPad1d", 1, "wrapping around"))
CircularPad2d = _make(_PadNd, "CircularPad2d", "circular", 2, _doc("CircularPad2d", 2, "wrapping around"))
CircularPad3d = _make(_PadNd, "CircularPad3d", "circular", 3, _doc("CircularPad3d", 3, "wrapping around"))
