"""Floating-point operation counts for ``profile(with_flops=True)``, PyTorch's formulas: a product
of an (M, K) by a (K, N) matrix is 2·M·K·N; a convolution 2 · output elements · (C_in / groups) ·
kernel size; an elementwise add or multiply one per output element. Other ops count 0 (shown "--").
ember's ``aten::linear`` is one op, so its count is the one PyTorch gives its ``aten::addmm``.

Example:
    >>> flops("aten::linear", (np.ones((5, 4)), np.ones((3, 4))), None)
    120
"""
import math


def _shape(a):
    return tuple(getattr(getattr(a, "_data", a), "shape", ()))


def _out_numel(out):
    return math.prod(_shape(out[0] if type(out) is tuple else out))


def flops(name, args, out):
    """FLOPs of one call of the op ``name`` on ``args`` that returned ``out``."""
    if name in ("aten::linear", "aten::matmul", "aten::mm", "aten::bmm", "aten::addmm") and len(args) >= 2:
        k = _shape(args[0])[-1:] or (1,)
        return 2 * _out_numel(out) * k[0]
    if name.startswith(("aten::conv1d", "aten::conv2d", "aten::conv3d")) and len(args) >= 2:
        weight = _shape(args[1])
        return 2 * _out_numel(out) * math.prod(weight[1:])
    if name in ("aten::add", "aten::mul"):
        return _out_numel(out)
    return 0
