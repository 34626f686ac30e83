"""Bessel functions of ``torch.special`` (the math: ``ember/ops/_bessel_math.py``).

- With a gradient, as PyTorch: ``i1`` (d/dx I₁ = I₀ - I₁/x, ½ at 0), ``i0e`` = e^-|x|·I₀
  (d/dx = i1e(x) - sgn(x)·i0e(x)), ``i1e`` = e^-|x|·I₁ (d/dx = i0e(x) - i1e(x)·(sgn(x) + 1/x), ½ at 0);
- without one (PyTorch gives their results no ``grad_fn``, so ``backward`` raises that the tensor
  does not require grad): ``bessel_j0/j1/y0/y1``, ``modified_bessel_i0/i1/k0/k1``,
  ``scaled_modified_bessel_k0/k1`` (eˣ·Kν), ``spherical_bessel_j0`` (sin x / x), and the Airy
  function ``airy_ai`` (Ai, from K_{1/3} for x > 2).

Computed in float64 and rounded to the input's float dtype; integer and bool inputs give float32.

Layer: above special (uses its ``BesselI`` op) and special_extra.
"""
import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.function import Op
from ..autograd.xp import array_namespace
from . import _bessel_math as _bm
from ._cast import to_dtype
from ._util import require_tensor
from .special import BesselI, _in64
from .special_extra import no_half

__all__ = ["i1", "i0e", "i1e", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0",
           "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0",
           "scaled_modified_bessel_k1", "spherical_bessel_j0", "airy_ai"]


def _float_input(name, input):
    require_tensor(name, "input", input)
    if input._data.dtype.kind != "f":
        input = to_dtype(input, np.float32)
    return input


def _overflow32(f):
    """``f``, and for float32 arrays ±inf where |x| > log(FLT_MAX): PyTorch's float32 kernels form eˣ in
    float32 there (I₀, I₁ up to 3.4e38 would otherwise be finite)."""
    def g(x):
        out = f(x)
        if x.dtype == np.float32:
            big = np.isfinite(x) & (np.abs(x) > np.float32(88.72284))
            out = np.where(big, np.copysign(np.inf, out), out)
        return out
    return g


def i1(input):
    """The modified Bessel function of the first kind of order 1, I₁(x).
    Example: ``ember.special.i1(ember.tensor([1.]))`` is ``tensor([0.5652])``."""
    return BesselI.apply(_float_input("i1", input), 1)


class ScaledBesselI(Op):
    """e^-|x|·Iν(x), ν = 0 or 1; d/dx (ν = 0) = i1e(x) - sgn(x)·i0e(x),
    (ν = 1) = i0e(x) - i1e(x)·(sgn(x) + 1/x), ½ at 0."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, order):
        out = _in64(a, lambda x: _bm.i_scaled(order, x))
        ctx.save_for_backward(a, out)
        ctx.order = order
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        xp = array_namespace(grad)
        if isinstance(a, Tensor):
            other = ScaledBesselI.apply(a, 1 - ctx.order)
        else:
            other = _in64(a, lambda x: _bm.i_scaled(1 - ctx.order, x))
        if ctx.order == 0:
            return grad * (other - xp.sign(a) * out)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = other - out * (xp.sign(a) + 1.0 / xp.where(a == 0, 1.0, a))
            return grad * xp.where(a == 0, 0.5, d)


def i0e(input):
    """The exponentially scaled I₀, e^-|x|·I₀(x) (no overflow for large |x|).
    Example: ``ember.special.i0e(ember.tensor([0.]))`` is ``tensor([1.])``."""
    return ScaledBesselI.apply(_float_input("i0e", input), 0)


def i1e(input):
    """The exponentially scaled I₁, e^-|x|·I₁(x). Example: ``ember.special.i1e(ember.tensor([1.]))``."""
    return ScaledBesselI.apply(_float_input("i1e", input), 1)


def _no_grad(name, f, doc, overflow32=False):
    """A function whose result has no gradient (as PyTorch's): f on float64, rounded back."""
    def fn(input):
        t = _float_input(name, input)
        no_half(name, t)
        x = t._data
        out = _in64(x, f)
        return _wrap(_overflow32(lambda a: out)(x) if overflow32 else out)
    fn.__name__ = name
    fn.__doc__ = doc
    return fn


def _jy(i):
    return lambda x: _bm.bessel_jy(x)[i]


bessel_j0 = _no_grad("bessel_j0", _jy(0), "The Bessel function of the first kind of order 0, J₀(x) (no gradient, "
                     "as PyTorch). Example: ``ember.special.bessel_j0(ember.tensor([0., 1.]))``.")
bessel_j1 = _no_grad("bessel_j1", _jy(1), "The Bessel function of the first kind of order 1, J₁(x) (no gradient). "
                     "Example: ``ember.special.bessel_j1(ember.tensor([1.]))``.")
bessel_y0 = _no_grad("bessel_y0", _jy(2), "The Bessel function of the second kind of order 0, Y₀(x) (nan below 0, "
                     "-inf at 0; no gradient). Example: ``ember.special.bessel_y0(ember.tensor([1.]))``.")
bessel_y1 = _no_grad("bessel_y1", _jy(3), "The Bessel function of the second kind of order 1, Y₁(x) (nan below 0, "
                     "-inf at 0; no gradient). Example: ``ember.special.bessel_y1(ember.tensor([1.]))``.")
modified_bessel_i0 = _no_grad("modified_bessel_i0", _bm.i0, "I₀(x) (nan at ±inf, as PyTorch; no gradient). "
                              "Example: ``ember.special.modified_bessel_i0(ember.tensor([1.]))``.", True)
modified_bessel_i1 = _no_grad("modified_bessel_i1", _bm.i1, "I₁(x) (nan at ±inf, as PyTorch; no gradient). "
                              "Example: ``ember.special.modified_bessel_i1(ember.tensor([1.]))``.", True)
modified_bessel_k0 = _no_grad("modified_bessel_k0", lambda x: _bm.k(0, x),
                              "The modified Bessel function of the second kind K₀(x) (inf at 0, nan below; no "
                              "gradient). Example: ``ember.special.modified_bessel_k0(ember.tensor([1.]))``.")
modified_bessel_k1 = _no_grad("modified_bessel_k1", lambda x: _bm.k(1, x),
                              "K₁(x) (inf at 0, nan below; no gradient). "
                              "Example: ``ember.special.modified_bessel_k1(ember.tensor([1.]))``.")
scaled_modified_bessel_k0 = _no_grad("scaled_modified_bessel_k0", lambda x: _bm.k_scaled(0, x),
                                     "eˣ·K₀(x) (no gradient). "
                                     "Example: ``ember.special.scaled_modified_bessel_k0(ember.tensor([1.]))``.")
scaled_modified_bessel_k1 = _no_grad("scaled_modified_bessel_k1", lambda x: _bm.k_scaled(1, x),
                                     "eˣ·K₁(x) (no gradient). "
                                     "Example: ``ember.special.scaled_modified_bessel_k1(ember.tensor([1.]))``.")
spherical_bessel_j0 = _no_grad("spherical_bessel_j0", _bm.spherical_j0,
                               "The spherical Bessel function j₀(x) = sin(x)/x (1 at 0; no gradient). "
                               "Example: ``ember.special.spherical_bessel_j0(ember.tensor([0., 1.]))``.")
airy_ai = _no_grad("airy_ai", _bm.airy_ai, "The Airy function Ai(x) (nan at ±inf, as PyTorch; no gradient). "
                   "Example: ``ember.special.airy_ai(ember.tensor([0., 1.]))`` is ``tensor([0.3550, 0.1353])``.")
