"""The trapezoid rule: ``trapezoid`` (alias ``trapz``) and ``cumulative_trapezoid`` along a dim, with a
constant spacing ``dx`` or sample points ``x``.

``sum((y[1:] + y[:-1]) / 2 * diff(x))``, composed from slicing, diff, mul, sum and cumsum (so gradients
and double gradients come from those ops).
"""
from .. import _dtype
from .._tensor import Tensor
from ._cast import to_dtype
from ._util import norm_dim
from .arithmetic import add, mul
from .cumulative import cumsum
from .index import getitem
from .reduce import sum as _sum
from .shape_extra import diff
from .views import reshape

__all__ = ["trapezoid", "trapz", "cumulative_trapezoid"]


def _along(d, sel):
    return (slice(None),) * d + (sel,)


def _trapezoid_parts(name, y, x, dx, dim):
    if y._data.ndim == 0:
        raise RuntimeError(f"{name}: y must be at least 1-dimensional (got a 0-d tensor)")
    d = norm_dim(dim, y._data.ndim)
    nd = y._data.ndim
    hi = getitem(y, _along(d, slice(1, None)))
    lo = getitem(y, _along(d, slice(None, -1)))
    mid = add(hi, lo)
    if x is None:
        return d, mul(mid, dx / 2) if not isinstance(dx, Tensor) else mul(mid, mul(dx, 0.5))
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): x must be a Tensor, got {type(x).__name__} (pass a number as dx= instead)")
    if x._data.ndim == 1:
        if x._data.shape[0] != y._data.shape[d]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point (x has "
                               f"{x._data.shape[0]}, y has {y._data.shape[d]} along dim {dim})")
        gaps = diff(x)
        view = [1] * nd
        view[d] = gaps._data.shape[0]
        gaps = reshape(gaps, *view)
    else:
        gaps = diff(x, dim=d - nd if x._data.ndim >= nd else dim)
    return d, mul(mul(mid, gaps), 0.5)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoid rule along ``dim``: spacing ``dx`` (default 1) or sample points ``x`` (a tensor).

    Example:
        >>> ember.trapezoid(ember.tensor([1., 2., 3.]))
        tensor(4.)
    """
    if x is not None and dx is not None:
        raise TypeError("trapezoid() received an invalid combination of arguments: pass x or dx, not both")
    if y._data.dtype.kind in "biu" and x is None:
        y = to_dtype(y, _dtype.to_numpy_dtype(_dtype.get_default_dtype()))
    d, parts = _trapezoid_parts("trapezoid", y, x, 1 if dx is None else dx, dim)
    return _sum(parts, d)


def trapz(y, x=None, *, dx=None, dim=-1):
    """Alias of ``trapezoid``.

    Example:
        >>> ember.trapz(ember.tensor([1., 2., 3.]))
        tensor(4.)
    """
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoid-rule integral along ``dim`` (one element fewer than ``y`` there).

    Example:
        >>> ember.cumulative_trapezoid(ember.tensor([1., 2., 3.]))
        tensor([1.5000, 4.0000])
    """
    if x is not None and dx is not None:
        raise TypeError("cumulative_trapezoid() received an invalid combination of arguments: pass x or dx, "
                        "not both")
    if y._data.dtype.kind in "biu" and x is None:
        y = to_dtype(y, _dtype.to_numpy_dtype(_dtype.get_default_dtype()))
    d, parts = _trapezoid_parts("cumulative_trapezoid", y, x, 1 if dx is None else dx, dim)
    return cumsum(parts, d)
