"""Window functions, as PyTorch's ``torch.hann_window``, ``hamming_window``, ``blackman_window``,
``bartlett_window`` and ``kaiser_window``.

``periodic=True`` (the default) gives the first N values of the symmetric window of length N + 1,
the form spectral analysis (``stft``) wants; ``periodic=False`` the symmetric window of length N.
Values are computed in float64 and rounded to ``dtype`` (the default float dtype unless given).

Example:
    >>> ember.hann_window(4)
    tensor([0.0000, 0.5000, 1.0000, 0.5000])
"""
import numbers

import numpy as np

from . import _dtype
from ._creation import _check_device, _out


def _window(name, window_length, periodic, dtype, device, requires_grad, layout, values):
    _check_device(device)
    if not isinstance(window_length, numbers.Integral) or isinstance(window_length, bool):
        raise TypeError(f"{name}(): argument 'window_length' (position 1) must be int, not "
                        f"{type(window_length).__name__}")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    if layout is not None and str(layout).split(".")[-1] != "strided":
        raise NotImplementedError(f"{name}: layout={layout} is not supported by ember (tensors are dense)")
    npd = _dtype.to_numpy_dtype(dtype) if dtype is not None else _dtype.get_default_dtype().np
    if npd.kind != "f":
        raise RuntimeError(f"{name} expects floating point dtypes, got: {_dtype.from_numpy_dtype(npd)}")
    if window_length == 0:
        arr = np.zeros(0, npd)
    elif window_length == 1:
        arr = np.ones(1, npd)
    else:
        n = window_length + 1 if periodic else window_length
        arr = values(np.arange(n, dtype=np.float64), n)[:window_length].astype(npd)
    return _out(arr, requires_grad)


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, layout=None, device=None,
                   requires_grad=False):
    """alpha - beta cos(2 pi n / (N - 1)). Example: ``ember.hamming_window(5, periodic=False)``."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad, layout,
                   lambda k, n: alpha - beta * np.cos(2 * np.pi * k / (n - 1)))


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """0.5 - 0.5 cos(2 pi n / (N - 1)) (a Hamming window with alpha = beta = 0.5)."""
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad, layout,
                   lambda k, n: 0.5 - 0.5 * np.cos(2 * np.pi * k / (n - 1)))


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))."""
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad, layout,
                   lambda k, n: 0.42 - 0.5 * np.cos(2 * np.pi * k / (n - 1)) + 0.08 * np.cos(4 * np.pi * k / (n - 1)))


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The triangle 1 - |2 n / (N - 1) - 1|."""
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad, layout,
                   lambda k, n: 1.0 - np.abs(2.0 * k / (n - 1) - 1.0))


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None, device=None,
                  requires_grad=False):
    """I0(beta sqrt(1 - (2 n / (N - 1) - 1)^2)) / I0(beta), I0 the modified Bessel function of order 0."""
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, layout,
                   lambda k, n: np.i0(beta * np.sqrt(np.clip(1.0 - (2.0 * k / (n - 1) - 1.0) ** 2, 0.0, None)))
                   / np.i0(beta))
