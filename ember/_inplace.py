"""In-place writes into a tensor (``x.add_(y)``, ``x[0] = 1``, ``x.zero_()``, ``x.normal_()``).

PyTorch's rules, which these functions implement:
- every write bumps the tensor's version counter, shared with its views, so a backward that
  needs the old values raises instead of using the new ones;
- a leaf that requires grad (or a view of one) cannot be written while grad mode is on;
- a recorded in-place op becomes the tensor's new ``grad_fn``; written through a view, the base
  gets a ``CopySlices`` node so gradients flow to both.

Attached to Tensor as methods by ``ember._tensor_methods``.
"""
import numpy as np

from . import _sampling
from ._random import _gen
from ._tensor import Tensor, _wrap
from ._creation import tensor as _tensor
from .autograd.grad_mode import _State
from .ops._cast import to_dtype
from .ops.fill import Fill, Zero
from .ops.views import CopySlices, expand


def check_inplace(self):
    """Raise if writing into ``self`` would corrupt a leaf that requires grad."""
    if not _State.enabled:
        return
    if self.grad_fn is None and self.requires_grad:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation. Fix: wrap "
            "the update in `with ember.no_grad():` (as optimizers do), or operate on a clone().")
    base = self
    while getattr(base, "_view_of", None) is not None:
        base = base._view_of[0]
    if base is not self and base.grad_fn is None and base.requires_grad:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place operation. "
            "Fix: wrap the update in `with ember.no_grad():`, or write into a clone() of the leaf.")


def inplace_apply(self, fn, *args, **kwargs):
    """``self <- fn(self, *args)`` in place.

    When the graph is recorded, ``fn`` runs on a snapshot of self's values so that arrays it
    saves for backward are not overwritten by the write into self's buffer.
    """
    if _State.enabled and (self.requires_grad or any(
            isinstance(a, Tensor) and a.requires_grad for a in args + tuple(kwargs.values()))):
        check_inplace(self)
        src = _wrap(self._data.copy(), self.requires_grad)
        src.grad_fn, src._out_idx = self.grad_fn, self._out_idx
        return inplace_from(self, fn(src, *args, **kwargs))
    return inplace_from(self, fn(self, *args, **kwargs))


def inplace_from(self, result):
    """Make ``self`` hold ``result`` (computed out of place from self), keeping its buffer."""
    check_inplace(self)
    old = self._data
    if result._data.dtype != old.dtype and not np.can_cast(result._data.dtype, old.dtype, "same_kind"):
        raise RuntimeError(f"result type {result.dtype} can't be cast to the desired output type "
                           f"{self.dtype} of this in-place operation; use the out-of-place form")
    gf = result.grad_fn
    if gf is not None and any(s is old for s in gf._saved):
        # The new node saved the old buffer, which is about to be overwritten.
        gf._saved = tuple(s.copy() if s is old else s for s in gf._saved)
        gf._versions = tuple(v if v[0] is not self._vc else ([0], 0, v[2], v[3]) for v in gf._versions)
    if result._data.shape != old.shape:
        raise RuntimeError(f"output with shape {list(old.shape)} doesn't match the broadcast shape "
                           f"{list(result._data.shape)}")
    _write(self, result._data)
    if gf is not None:
        self.grad_fn, self._out_idx, self.requires_grad = gf, result._out_idx, True
        if getattr(self, "_view_of", None) is not None:
            rebase_views(self)
    return self


def _write(self, values):
    old = self._data
    if old.flags.writeable:
        np.copyto(old, values, casting="unsafe")
    elif any(st == 0 and n > 1 for st, n in zip(old.strides, old.shape)):
        raise RuntimeError(
            "unsupported operation: more than one element of the written-to tensor refers to a single "
            f"memory location (an expand()ed tensor of shape {tuple(old.shape)}). Please clone() the "
            "tensor before performing the operation.")
    else:
        self._data = values.astype(old.dtype, copy=True)
    self._vc[0] += 1


def rebase_views(self):
    """After an in-place write into a view, give each base a CopySlices grad_fn."""
    view = self
    while getattr(view, "_view_of", None) is not None:
        base, cls, extra = view._view_of
        if base._data.dtype.kind != "f":
            return
        node = CopySlices.apply(base, view, cls, extra).grad_fn
        base.grad_fn, base._out_idx, base.requires_grad = node, 0, True
        view = base


def zero_(self):
    """Fill with zeros in place."""
    return _fill(self, 0, Zero)


def zero_grad_in_place(g):
    """``zero_grad(set_to_none=False)`` for one gradient (Module's and Optimizer's): ``g`` is
    detached from any graph and filled with zeros (a new zero array where it is read-only)."""
    g.grad_fn = None
    g.requires_grad = False
    if g._data.flags.writeable:
        g._data.fill(0)
    else:
        g._data = np.zeros_like(g._data)


def fill_(self, value):
    """Fill with ``value`` in place."""
    return _fill(self, value, Fill)


def _fill(self, value, op):
    if isinstance(value, Tensor):
        value = value.item()
    if _State.enabled and self.requires_grad:
        return inplace_apply(self, op.apply, value)
    check_inplace(self)
    self._data[...] = value
    self._vc[0] += 1
    return self


def copy_(self, src, non_blocking=False):
    """Copy ``src`` (broadcast to this shape) into this tensor."""
    if not isinstance(src, Tensor):
        src = _tensor(src)
    if _State.enabled and (src.requires_grad or self.grad_fn is not None):
        s = src if src._data.dtype == self._data.dtype else to_dtype(src, self._data.dtype)
        return inplace_from(self, expand(s, *self._data.shape))
    check_inplace(self)
    np.copyto(self._data, np.broadcast_to(src._data, self._data.shape), casting="unsafe")
    self._vc[0] += 1
    return self


def set_(self, source):
    """Make this tensor use ``source``'s memory."""
    self._data = source._data
    self._vc[0] += 1
    return self


def _memory_order(arr):
    """Positions (C order) of ``arr``'s elements sorted by address: the order PyTorch's CPU kernels
    fill a non-contiguous tensor in."""
    offsets = np.zeros((), dtype=np.int64)
    for size, stride in zip(arr.shape, arr.strides):
        offsets = offsets[..., None] + np.arange(size, dtype=np.int64) * stride
    return np.argsort(offsets.ravel(), kind="stable")


def _random_fill(self, sample):
    """Write ``sample(n)`` (n values in PyTorch's fill order) into ``self``."""
    check_inplace(self)
    arr = self._data
    values = sample(arr.size)
    if arr.flags.c_contiguous or arr.ndim <= 1:
        arr[...] = values.reshape(arr.shape)
    else:
        flat = np.empty(arr.size, dtype=values.dtype)
        flat[_memory_order(arr)] = values
        arr[...] = flat.reshape(arr.shape)
    self._vc[0] += 1
    return self


def _float_type(self, name):
    if self._data.dtype.kind != "f":
        raise RuntimeError(f"{name} expects a floating point tensor, got {self.dtype}: convert it first, "
                           f"e.g. x.float().{name}(...)")
    return self._data.dtype


def uniform_(self, a=0.0, b=1.0, generator=None):
    """Fill with samples from U(a, b) (PyTorch's stream)."""
    dtype = _float_type(self, "uniform_")
    if not a <= b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}")
    return _random_fill(self, lambda n: _sampling.uniform(_gen(generator), (n,), dtype, a, b))


def normal_(self, mean=0.0, std=1.0, generator=None):
    """Fill with samples from N(mean, std^2) (PyTorch's stream)."""
    dtype = _float_type(self, "normal_")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    contiguous = self._data.flags.c_contiguous or self._data.ndim <= 1 and self._data.strides[0] == self._data.itemsize
    return _random_fill(self, lambda n: _sampling.normal(_gen(generator), (n,), dtype, mean, std,
                                                         contiguous=contiguous))


def bernoulli_(self, p=0.5, generator=None):
    """Fill with 1 with probability p (a number or a tensor of probabilities), else 0."""
    gen = _gen(generator)
    if isinstance(p, Tensor):
        probs = np.broadcast_to(p._data, self._data.shape)
        return _random_fill(self, lambda n: _sampling.bernoulli_tensor(gen, probs.ravel()))
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return _random_fill(self, lambda n: _sampling.bernoulli_scalar(gen, (n,), p))


def random_(self, low=None, high=None, generator=None):
    """Fill with integers: ``random_()`` over the dtype's range, ``random_(to)`` from [0, to),
    ``random_(from, to)`` from [from, to) (PyTorch's stream)."""
    gen = _gen(generator)
    dtype = self._data.dtype
    if low is None:
        return _random_fill(self, lambda n: _sampling.random_full(gen, (n,), dtype))
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    return _random_fill(self, lambda n: _sampling.random_from_to(gen, (n,), dtype, low, high))


def exponential_(self, lambd=1.0, generator=None):
    """Fill with samples from Exp(lambd) (PyTorch's stream)."""
    dtype = _float_type(self, "exponential_")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return _random_fill(self, lambda n: _sampling.exponential(_gen(generator), (n,), lambd).astype(dtype))
