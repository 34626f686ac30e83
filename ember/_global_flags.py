"""Process-wide switches and queries that PyTorch exposes at top level: determinism, the default
device and tensor type, warn-always, inter-op threads, anomaly mode, ``typename``, ``is_storage``.

ember's ops are deterministic (NumPy on the CPU, fixed reduction orders), so the determinism
switches only record the mode, as PyTorch's do on a CPU build.

Example:
    >>> ember.use_deterministic_algorithms(True)
    >>> ember.are_deterministic_algorithms_enabled()
    True
"""
import numbers
import os
import warnings

from . import _dtype
from ._legacy_types import TYPES
from ._tensor import Tensor, device as _device
from .autograd import anomaly_mode as _anomaly
from .autograd.grad_mode import _State

__all__ = ["use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_deterministic_debug_mode",
           "get_deterministic_debug_mode", "set_default_device", "get_default_device", "set_default_tensor_type",
           "is_inference_mode_enabled", "is_anomaly_enabled", "is_anomaly_check_nan_enabled", "set_anomaly_enabled",
           "set_warn_always", "is_warn_always_enabled", "set_num_interop_threads", "get_num_interop_threads",
           "typename", "is_storage"]


class _Flags:
    deterministic = False
    warn_only = False
    warn_always = False
    interop_threads = os.cpu_count() or 1


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Ask for deterministic algorithms (``mode``) and whether a nondeterministic one only warns
    (``warn_only``). Every ember op is deterministic, so this records the mode for the queries."""
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms(): argument 'mode' (position 1) must be bool, "
                        f"not {type(mode).__name__}")
    if not isinstance(warn_only, bool):
        raise TypeError(f"use_deterministic_algorithms(): argument 'warn_only' must be bool, "
                        f"not {type(warn_only).__name__}")
    _Flags.deterministic, _Flags.warn_only = mode, warn_only


def are_deterministic_algorithms_enabled():
    """True after ``use_deterministic_algorithms(True)``."""
    return _Flags.deterministic


def is_deterministic_algorithms_warn_only_enabled():
    """True after ``use_deterministic_algorithms(True, warn_only=True)``."""
    return _Flags.warn_only


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode):
    """``"default"``/0 (off), ``"warn"``/1 (deterministic, warn only) or ``"error"``/2 (deterministic).

    Example: ``ember.set_deterministic_debug_mode("warn")``."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, `error`, "
                               f"but got {debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    elif not isinstance(debug_mode, numbers.Integral) or isinstance(debug_mode, bool):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    _Flags.deterministic, _Flags.warn_only = debug_mode != 0, debug_mode == 1


def get_deterministic_debug_mode():
    """0, 1 or 2 as set by ``set_deterministic_debug_mode`` / ``use_deterministic_algorithms``."""
    if not _Flags.deterministic:
        return 0
    return 1 if _Flags.warn_only else 2


def set_default_device(device):
    """Set where factories put tensors; ember runs on the CPU, so ``"cpu"``, ``ember.device("cpu")``
    and ``None`` are accepted and anything else raises. Example: ``ember.set_default_device("cpu")``."""
    if device is not None:
        _device(device if isinstance(device, (str, _device)) else str(device))


def get_default_device():
    """``device(type='cpu')``: ember's only device."""
    return _device("cpu")


def set_default_tensor_type(t):
    """Deprecated (as in PyTorch): set the default float dtype through a tensor type,
    ``ember.DoubleTensor`` or ``"torch.DoubleTensor"``. Use ``set_default_dtype`` instead."""
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
                  UserWarning, stacklevel=2)
    if isinstance(t, str):
        module, _, name = t.rpartition(".")
        if module in ("torch.cuda", "ember.cuda"):
            raise RuntimeError(f"set_default_tensor_type({t!r}): ember runs on the CPU only; use "
                               f"'{module.split('.')[0]}.{name}'")
        if module not in ("torch", "ember") or name not in TYPES:
            raise AttributeError(f"module '{module or 'torch'}' has no attribute '{name}' (expected a tensor "
                                 "type name such as 'torch.FloatTensor' or 'torch.DoubleTensor')")
        t = TYPES[name]
    d = getattr(t, "dtype", None)
    if not isinstance(t, type) or not isinstance(d, _dtype.dtype):
        raise TypeError("invalid type object: only floating-point types are supported as the default type "
                        f"(got {t!r}; pass ember.FloatTensor or ember.DoubleTensor)")
    if d not in (_dtype.float32, _dtype.float64):
        raise TypeError(f"only floating-point types are supported as the default type (got {t.__name__})")
    _dtype.set_default_dtype(d)


def is_inference_mode_enabled():
    """True inside ``with ember.inference_mode():``."""
    return _State.inference


def is_anomaly_enabled():
    """True while anomaly detection is on (``detect_anomaly``, ``set_anomaly_enabled(True)``)."""
    return _anomaly.is_anomaly_enabled()


def is_anomaly_check_nan_enabled():
    """Whether anomaly mode checks gradients for NaN (True unless turned off)."""
    return _anomaly.is_anomaly_check_nan_enabled()


def set_anomaly_enabled(enabled, check_nan=True):
    """Turn anomaly detection on or off for the rest of the program (``autograd.set_detect_anomaly``)."""
    _anomaly._Anomaly.enabled, _anomaly._Anomaly.check_nan = bool(enabled), bool(check_nan)


def set_warn_always(b):
    """Record whether warnings PyTorch gives once should be given every time (ember's give theirs
    through Python's ``warnings``, whose filters decide)."""
    _Flags.warn_always = bool(b)


def is_warn_always_enabled():
    """The value last given to ``set_warn_always`` (False by default)."""
    return _Flags.warn_always


def set_num_interop_threads(num):
    """Record the inter-op thread count (ember runs ops one after another; see ``set_num_threads``
    for the threads inside ops)."""
    if not isinstance(num, numbers.Integral) or isinstance(num, bool):
        raise TypeError(f"set_num_interop_threads(): argument must be int, not {type(num).__name__}")
    if num <= 0:
        raise RuntimeError(f"Number of inter-op threads must be positive, got {num}")
    _Flags.interop_threads = int(num)


def get_num_interop_threads():
    """The inter-op thread count (the CPU count unless set; ember itself runs one op at a time)."""
    return _Flags.interop_threads


def typename(obj, /):
    """The type name of ``obj``: ``'torch.FloatTensor'`` style for a tensor, else ``module.Class``.

    Example: ``ember.typename(ember.zeros(2))`` is ``'ember.FloatTensor'``."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = obj if isinstance(obj, type) else type(obj)
    module = cls.__module__
    if module in ("builtins", "__builtin__", None):
        return cls.__qualname__
    return f"{module}.{cls.__qualname__}"


def is_storage(obj, /):
    """False: ember has no storage objects (a tensor's memory is its NumPy array)."""
    return False
