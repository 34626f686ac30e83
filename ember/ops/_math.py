"""Array math shared by several op families: one stable implementation of each function.

These work on NumPy arrays (no autograd); the ops that differentiate them live in their families.
"""
import numpy as np

from .. import _torch_sum
from ._erf_math import erf as _erf64, erf_for_float32 as _erf_for_float32

_EXP_OVERFLOW = {np.dtype(np.float32): 88.0, np.dtype(np.float64): 708.0}


def exp(a, out=None):
    """e**a. Under ``ember run`` (``_torch_sum.ENABLED``) float32 goes through float64 and is rounded
    once: PyTorch's float32 exp agrees with that on ~99% of inputs (NumPy's own float32 exp on ~60%),
    at 3x the time of NumPy's (1M floats: 1.45 against 0.48 ms), so plain ember keeps NumPy's."""
    if _torch_sum.ENABLED and a.__class__ is np.ndarray and a.dtype == np.float32:
        r = np.exp(a, dtype=np.float64)
        if out is None:
            return r.astype(np.float32)         # overflow to inf: the warning np.exp would give (errstate rules)
        np.copyto(out, r, casting="unsafe")
        return out
    return np.exp(a) if out is None else np.exp(a, out=out)


def one_minus_square(y):
    """1 - y * y; under ``ember run`` (``_torch_sum.ENABLED``) rounded once, as PyTorch's fused
    multiply-add in tanh's backward (for float32 through float64, where y * y is exact); other types
    (and Tensors, differentiably) as written."""
    if _torch_sum.ENABLED and y.__class__ is np.ndarray and y.dtype == np.float32:
        y = y.astype(np.float64)
        return (1 - y * y).astype(np.float32)
    return 1 - y * y


def sigmoid(a):
    """1 / (1 + exp(-a)), stable for any |a|, in a's dtype."""
    limit = _EXP_OVERFLOW.get(a.dtype)
    if limit is not None and a.ndim and a.size and a.min() > -limit:
        # Common case: exp(-a) cannot overflow; four in-place passes.
        t = np.negative(a)
        np.exp(t, out=t)
        t += 1
        return np.reciprocal(t, out=t)
    # Stable for any |a|: exp of a non-positive number only.
    e = np.exp(-np.abs(a))
    return np.asarray(np.where(a >= 0, 1 / (1 + e), e / (1 + e))).astype(a.dtype, copy=False)


def softplus(x, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta without overflow; x itself where beta x > threshold (PyTorch's rule)."""
    bx = x * beta if beta != 1 else x
    sp = np.logaddexp(0, bx).astype(x.dtype, copy=False)
    if beta != 1:
        sp = sp / beta
    if threshold is None:
        return sp
    return np.where(bx > threshold, x, sp).astype(x.dtype, copy=False)


def erf(u):
    """The error function in u's dtype: Cody's rational approximations evaluated in float64
    (``_erf_math.erf``; for float32 its mask-free form ``erf_for_float32``), vectorised."""
    if u.dtype == np.float32:
        return _erf_for_float32(u.astype(np.float64)).astype(np.float32)
    return _erf64(u).astype(u.dtype, copy=False)


def erf_and_gauss(u, erf_out=None, gauss_out=None):
    """(erf(u), exp(-u*u)): the two pieces GELU and its gradient need, computed together
    (into ``erf_out`` and ``gauss_out`` when given).

    float32 uses the Abramowitz & Stegun 7.1.26 polynomial in place (|error| < 1e-6, fast);
    other dtypes the exact ``erf``."""
    if u.dtype != np.float32:
        e, g = erf(u), np.exp(-u * u)
        if erf_out is None:
            return e, g
        np.copyto(erf_out, e)
        np.copyto(gauss_out, g)
        return erf_out, gauss_out
    f = u.dtype.type
    au = np.abs(u, out=gauss_out)
    t = au * f(0.3275911)
    t += 1
    np.reciprocal(t, out=t)
    p = np.multiply(t, f(1.061405429), out=erf_out)
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        p += f(c)
        p *= t
    np.square(au, out=au)
    np.negative(au, out=au)
    gauss = np.exp(au, out=au)
    p *= gauss
    np.subtract(1, p, out=p)
    return np.copysign(p, u, out=p), gauss
