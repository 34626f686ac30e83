"""autocast: a context manager and decorator; ember computes in float32 and never autocasts.

What each request does, as PyTorch 2.13 on a CPU-only machine where that is possible:

- ``enabled=False``: nothing.
- ``device_type='cuda'``: UserWarning "CUDA is not available ... Disabling autocast." (PyTorch's), nothing.
- ``device_type='cpu'`` with a dtype other than bfloat16/float16: PyTorch's UserWarning, nothing.
- ``device_type='cpu'`` with bfloat16 (the default) or float16: NotImplementedError — ember cannot
  run ops in reduced precision, and silently computing in float32 would be accepting and ignoring.
"""
import functools
import warnings

from .. import _dtype

__all__ = ["autocast", "is_autocast_available"]

_KNOWN = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
          "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


def is_autocast_available(device_type):
    """True for the device types PyTorch knows (it reports them whether or not the device exists)."""
    return device_type in ("cpu", "cuda", "xpu", "mps", "hpu", "xla", "mtia", "maia", "ipu", "privateuseone")


class autocast:
    """``ember.autocast(device_type, dtype=None, enabled=True, cache_enabled=None)``, as ``torch.autocast``."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type not in _KNOWN:
            raise RuntimeError(f"Expected one of {', '.join(_KNOWN)} device type at start of device string: "
                               f"{device_type}")
        self.device = device_type
        self.fast_dtype = dtype if dtype is not None else (_dtype.bfloat16 if device_type == "cpu"
                                                          else _dtype.float16)
        self._cache_enabled = cache_enabled
        self._enabled = bool(enabled)
        if not self._enabled:
            return
        if device_type == "cuda":
            warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", UserWarning,
                          stacklevel=2)
            self._enabled = False
        elif device_type == "cpu" and self.fast_dtype not in (_dtype.bfloat16, _dtype.float16):
            warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                          "CPU Autocast only supports dtypes of torch.bfloat16, torch.float16 currently.",
                          UserWarning, stacklevel=2)
            self._enabled = False
        elif device_type == "cpu":
            raise NotImplementedError(
                f"ember.autocast('cpu', dtype={self.fast_dtype}): ember computes in float32 and has no "
                "reduced-precision autocast; use enabled=False (or drop the autocast context)")
        else:
            raise NotImplementedError(f"ember.autocast: device_type '{device_type}' is not available in ember "
                                      "(it runs on the CPU only)")

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def decorate_autocast(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return decorate_autocast
