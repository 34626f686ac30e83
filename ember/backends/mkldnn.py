"""ember.backends.mkldnn: oneDNN (MKL-DNN) is not used by ember.

PyTorch's CPU wheels are built with oneDNN, so ``torch.backends.mkldnn.is_available()`` is True there;
ember has no oneDNN kernels or ``to_mkldnn`` layout, so it answers False, and code that would take a
oneDNN path stays on the plain one. ``enabled`` is stored (a bool) and has no effect.
"""
import sys
import types

from ._flags import check_bool


def is_available():
    """False: ember computes with NumPy, not oneDNN (PyTorch's CPU build says True)."""
    return False


class _MkldnnModule(types.ModuleType):
    def __setattr__(self, name, value):
        if name == "enabled":
            value = check_bool(value, "set_enabled_mkldnn")
        super().__setattr__(name, value)


enabled = True

sys.modules[__name__].__class__ = _MkldnnModule
