"""Tensor factories: tensor, zeros, ones, arange, rand, randn, ... and their *_like forms."""
import numbers

import numpy as np

from . import _dtype
from . import _sampling
from ._random import _gen
from ._tensor import Tensor, _wrap, device as _device, to_array as _to_array
from .autograd.grad_mode import _State


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (numbers.Integral, Tensor)) or int(s) < 0:
            raise ValueError(f"sizes must be non-negative integers, got {tuple(size)}")
    return tuple(int(s) for s in size)


def _size_or_kw(name, args, size):
    """The shape given positionally (``f(2, 3)``, ``f((2, 3))``) or as ``size=`` (``f(size=(2, 3))``)."""
    if size is not None:
        if args:
            raise TypeError(f"{name}() got the size both positionally and as size=; pass only one")
        args = (size,)
    return _size(args)


def _check_device(device):
    if device is not None:
        _device(device)


def _out(arr, requires_grad):
    t = _wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _float_dtype(dtype):
    return _dtype.to_numpy_dtype(dtype) if dtype is not None else _dtype.get_default_dtype().np


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor copying ``data`` (Python numbers, nested lists, NumPy arrays).

    Python floats become float32, ints int64, bools bool, as in PyTorch.

    Example:
        >>> ember.tensor([[1, 2], [3, 4]], dtype=ember.float32)
    """
    if device is not None:
        _device(device)
    return _out(_to_array(data, dtype=dtype), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a NumPy array or Tensor when the dtype matches."""
    _check_device(device)
    if isinstance(data, Tensor) and (dtype is None or _dtype.to_numpy_dtype(dtype) == data._data.dtype):
        return data
    if isinstance(data, np.ndarray) and data.dtype in _dtype._BY_NP and (
            dtype is None or _dtype.to_numpy_dtype(dtype) == data.dtype):
        return _wrap(data)
    return tensor(data, dtype=dtype)


def from_numpy(array):
    """A tensor sharing memory with the NumPy ``array``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    _dtype.from_numpy_dtype(array.dtype)
    return _wrap(array)


def zeros(*args, size=None, dtype=None, device=None, requires_grad=False, out=None):
    """A tensor of zeros with the given shape (float32 unless ``dtype``); with ``out``, written into it."""
    _check_device(device)
    size = _size_or_kw("zeros", args, size)
    if out is not None:
        return _filled_out("zeros", out, size, 0, dtype, requires_grad)
    return _out(np.zeros(size, _float_dtype(dtype)), requires_grad)


def ones(*args, size=None, dtype=None, device=None, requires_grad=False, out=None):
    """A tensor of ones with the given shape; with ``out``, written into it."""
    _check_device(device)
    size = _size_or_kw("ones", args, size)
    if out is not None:
        return _filled_out("ones", out, size, 1, dtype, requires_grad)
    return _out(np.ones(size, _float_dtype(dtype)), requires_grad)


def _filled_out(name, out, shape, value, dtype, requires_grad):
    """PyTorch's ``out=`` for zeros/ones: ``out`` (resized to ``shape`` if needed, keeping its dtype)
    filled with ``value`` and returned. Writing into a tensor that requires grad needs no_grad."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if dtype is not None and _dtype.to_numpy_dtype(dtype) != out._data.dtype:
        raise RuntimeError(f"{name}(): dtype {dtype} does not match dtype of out parameter ({out.dtype}); "
                           f"pass dtype={out.dtype} or leave dtype out")
    if out.requires_grad and _State.enabled:
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    if out._data.shape == shape and out._data.flags.writeable:
        out._data.fill(value)
    else:  # resized (as in PyTorch, without a warning for factories), or an expanded view made writable
        out._data = np.full(shape, value, out._data.dtype)
    out._vc[0] += 1
    if requires_grad:
        out.requires_grad_(True)
    return out


def empty(*args, size=None, dtype=None, device=None, requires_grad=False, memory_format=None):
    """An uninitialised tensor (ember fills it with zeros)."""
    _check_device(device)
    return _out(np.zeros(_size_or_kw("empty", args, size), _float_dtype(dtype)), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor of ``fill_value``; the dtype follows the value (bool, int64 or float32) unless given."""
    _check_device(device)
    if dtype is None:
        if isinstance(fill_value, bool):
            dtype = _dtype.bool_
        elif isinstance(fill_value, numbers.Integral):
            dtype = _dtype.int64
    if isinstance(size, numbers.Integral):
        size = (size,)
    return _out(np.full(_size(tuple(size)), fill_value, _float_dtype(dtype)), requires_grad)


def _like(t, dtype):
    return _dtype.to_numpy_dtype(dtype) if dtype is not None else t._data.dtype


def zeros_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    _check_device(device)
    return _out(np.zeros(input._data.shape, _like(input, dtype)), requires_grad)


def ones_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    _check_device(device)
    return _out(np.ones(input._data.shape, _like(input, dtype)), requires_grad)


def empty_like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
    _check_device(device)
    return zeros_like(input, dtype=dtype, requires_grad=requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None):
    _check_device(device)
    return _out(np.full(input._data.shape, fill_value, _like(input, dtype)), requires_grad)


def rand_like(input, dtype=None, device=None, requires_grad=False, generator=None):
    _check_device(device)
    return rand(*input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad, generator=generator)


def randn_like(input, dtype=None, device=None, requires_grad=False, generator=None):
    _check_device(device)
    return randn(*input._data.shape, dtype=dtype or input.dtype, requires_grad=requires_grad, generator=generator)


def randint_like(input, low=0, high=None, dtype=None, device=None, requires_grad=False, generator=None):
    _check_device(device)
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, dtype=dtype or input.dtype, generator=generator)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 when all are integers."""
    _check_device(device)
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if dtype is None:
        dtype = _dtype.int64 if all(isinstance(v, numbers.Integral) for v in vals) else _dtype.get_default_dtype()
    npd = _dtype.to_numpy_dtype(dtype)
    start, end, step = vals
    n = max(int(np.ceil((end - start) / step)), 0)
    arr = (start + step * np.arange(n, dtype=np.float64)).astype(npd) if npd.kind == "f" else \
        np.arange(start, end, step).astype(npd)
    return _out(arr, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    _check_device(device)
    return _out(np.linspace(start, end, int(steps)).astype(_float_dtype(dtype)), requires_grad)


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False):
    _check_device(device)
    return _out(np.logspace(start, end, int(steps), base=base).astype(_float_dtype(dtype)), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """The identity matrix (n × m)."""
    _check_device(device)
    return _out(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def rand(*args, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples in [0, 1) (PyTorch's stream after ``manual_seed``)."""
    _check_device(device)
    npd = _float_dtype(dtype)
    return _out(_sampling.uniform(_gen(generator), _size_or_kw("rand", args, size), npd), requires_grad)


def randn(*args, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples (PyTorch's stream after ``manual_seed``)."""
    _check_device(device)
    npd = _float_dtype(dtype)
    return _out(_sampling.normal(_gen(generator), _size_or_kw("randn", args, size), npd), requires_grad)


def randint(low=0, high=None, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers uniformly drawn from [low, high); ``randint(high, size)`` also works."""
    _check_device(device)
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    if high is None or size is None:
        raise TypeError("randint() missing required argument 'size'")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    npd = _dtype.to_numpy_dtype(dtype) if dtype is not None else np.dtype(np.int64)
    arr = _sampling.random_from_to(_gen(generator), _size(tuple(size)), npd, low, high)
    return _out(arr, requires_grad)


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0..n-1 (int64), PyTorch's for the same seed."""
    _check_device(device)
    npd = _dtype.to_numpy_dtype(dtype) if dtype is not None else np.dtype(np.int64)
    if int(n) < 0:
        raise RuntimeError(f"n must be non-negative, got {n}")
    return _out(_sampling.randperm(_gen(generator), n).astype(npd, copy=False), requires_grad)


def normal(mean=0.0, std=1.0, size=None, generator=None, dtype=None, requires_grad=False):
    """Normal samples: ``normal(mean_tensor, std_tensor)`` elementwise or ``normal(m, s, size)``.

    As PyTorch: standard normals of the output's shape, then ``* std + mean``."""
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if np.any(np.asarray(s) < 0):
        raise RuntimeError(f"normal expects all elements of std >= 0.0, got std={std}")
    if size is None:
        size = np.broadcast_shapes(np.shape(m), np.shape(s))
    npd = _float_dtype(dtype) if dtype is not None else (
        m.dtype if isinstance(m, np.ndarray) else s.dtype if isinstance(s, np.ndarray) else _float_dtype(None))
    shape = _size(tuple(size))
    if not isinstance(m, np.ndarray) and not isinstance(s, np.ndarray):
        return _out(_sampling.normal(_gen(generator), shape, npd, m, s), requires_grad)
    z = _sampling.normal(_gen(generator), shape, npd)
    return _out((z * np.asarray(s, dtype=npd) + np.asarray(m, dtype=npd)).astype(npd, copy=False), requires_grad)


def bernoulli(input, p=None, generator=None):
    """1 with probability ``input`` (elementwise), else 0, in ``input``'s dtype."""
    gen = _gen(generator)
    if p is not None:
        return _wrap(_sampling.bernoulli_scalar(gen, input._data.shape, p).astype(input._data.dtype))
    probs = input._data
    if probs.dtype.kind != "f":
        raise RuntimeError(f"bernoulli expects a floating point tensor of probabilities, got {input.dtype}")
    if probs.size and not ((probs >= 0) & (probs <= 1)).all():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false: bernoulli "
                           "probabilities must lie in [0, 1]")
    return _wrap(_sampling.bernoulli_tensor(gen, probs).astype(probs.dtype))


def multinomial(input, num_samples, replacement=False, generator=None):
    """Indices drawn from the categories of each row with weights ``input`` (PyTorch's stream)."""
    probs = input._data
    if probs.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got {probs.ndim}")
    if probs.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {input.dtype}")
    k = probs.shape[-1]
    if num_samples <= 0:
        raise RuntimeError(f"cannot sample n_sample <= 0 samples (got {num_samples})")
    if not replacement and num_samples > k:
        raise RuntimeError(f"cannot sample n_sample > prob_dist.size(-1) samples without replacement "
                           f"(n_sample={num_samples}, prob_dist.size(-1)={k})")
    rows = np.atleast_2d(probs)
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if (rows.sum(-1) <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    out = _sampling.multinomial(_gen(generator), rows, int(num_samples), replacement)
    return _wrap(out.reshape(probs.shape[:-1] + (int(num_samples),)).astype(np.int64))
