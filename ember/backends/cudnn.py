"""ember.backends.cudnn: cuDNN is not available; its flags are stored and, as in PyTorch without a GPU, do nothing.

``cudnn.benchmark``, ``cudnn.deterministic``, ``cudnn.enabled`` and ``cudnn.allow_tf32`` keep the value
set (a bool, or RuntimeError as PyTorch). They select cuDNN algorithms, and ember never calls cuDNN:
its convolutions are deterministic NumPy GEMMs whatever the flags say.
"""
import sys
import types

from ._flags import check_bool


def is_available():
    """False: ember has no cuDNN."""
    return False


def version():
    """None: no cuDNN library is loaded (as PyTorch without CUDA)."""
    return None


def is_acceptable(tensor):
    """False: no tensor can use cuDNN in ember."""
    return False


_SETTERS = {"enabled": "set_enabled_cudnn", "benchmark": "set_benchmark_cudnn",
            "deterministic": "set_deterministic_cudnn", "allow_tf32": "set_allow_tf32_cublas"}  # PyTorch 2.13 names this setter so


class _CudnnModule(types.ModuleType):
    """The module itself, so that assigning ``cudnn.benchmark = 1`` is checked as in PyTorch."""

    def __setattr__(self, name, value):
        if name in _SETTERS:
            value = check_bool(value, _SETTERS[name])
        super().__setattr__(name, value)


enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
benchmark_limit = 10

sys.modules[__name__].__class__ = _CudnnModule
