"""Anomaly detection, as ``torch.autograd.detect_anomaly`` / ``set_detect_anomaly``.

While enabled, every recorded node remembers the stack of the forward call that created it, and
the engine checks each gradient a node returns: a NaN raises an error naming the op and the line
of your code that ran its forward (the full forward traceback is issued as a warning first, as
PyTorch prints it). It costs a traceback per op, so enable it only to hunt a NaN.

Example:
    >>> with ember.autograd.detect_anomaly():
    ...     loss.backward()        # RuntimeError: Function 'DivBackward0' returned nan values ...
"""
import functools
import os
import traceback
import warnings

import numpy as np

_EMBER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class _Anomaly:
    enabled = False
    check_nan = True


def is_anomaly_enabled():
    return _Anomaly.enabled


def is_anomaly_check_nan_enabled():
    return _Anomaly.check_nan


class detect_anomaly:
    """Context manager (or decorator) that turns anomaly detection on inside its block."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should "
                      "only be enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self._prev = (_Anomaly.enabled, _Anomaly.check_nan)
        _Anomaly.enabled, _Anomaly.check_nan = True, self.check_nan

    def __exit__(self, *exc):
        _Anomaly.enabled, _Anomaly.check_nan = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off: as a call, or as a context manager restoring the old mode."""

    def __init__(self, mode, check_nan=True):
        self._prev = (_Anomaly.enabled, _Anomaly.check_nan)
        _Anomaly.enabled, _Anomaly.check_nan = bool(mode), bool(check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _Anomaly.enabled, _Anomaly.check_nan = self._prev
        return False


def record_forward(ctx):
    """Called by ``apply`` while enabled: remember where the op's forward was called."""
    ctx._forward_stack = traceback.extract_stack()[:-2]


def check_gradients(node, in_grads):
    """Raise if a gradient returned by ``node`` holds a NaN (PyTorch's message, plus the call site)."""
    for i, g in enumerate(in_grads):
        if g is None:
            continue
        values = g._data if hasattr(g, "_data") else g
        if np.issubdtype(values.dtype, np.floating) and np.isnan(values).any():
            stack = getattr(node, "_forward_stack", None)
            where = ""
            if stack:
                warnings.warn("Error detected in " + node.name() + ". Traceback of forward call that caused "
                              "the error:\n" + "".join(traceback.format_list(stack)), UserWarning, stacklevel=3)
                user = [f for f in stack if not os.path.abspath(f.filename).startswith(_EMBER_DIR)]
                frame = (user or stack)[-1]
                where = f" The forward call that created it is at {frame.filename}:{frame.lineno} ({frame.line})."
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.{where}")
