"""ember.cuda: PyTorch's CUDA queries answered as by a CPU-only PyTorch build.

ember runs on the CPU only. ``is_available()`` is False and ``device_count()`` 0, so device-agnostic
code picks the CPU; seeding is a no-op (PyTorch queues CUDA seeds and drops them without CUDA); calls
that need a GPU (``current_device``, ``get_device_name``, ``synchronize`` ...) raise PyTorch's
AssertionError "Torch not compiled with CUDA enabled".
"""
from . import amp  # noqa: F401

__all__ = ["amp", "current_device", "device_count", "empty_cache", "get_device_capability", "get_device_name",
           "get_device_properties", "init", "is_available", "is_bf16_supported", "is_initialized",
           "manual_seed", "manual_seed_all", "max_memory_allocated", "memory_allocated", "seed", "seed_all",
           "synchronize"]

_NO_CUDA = "Torch not compiled with CUDA enabled"


def _no_cuda():
    raise AssertionError(_NO_CUDA)


def is_available():
    """False: ember has no GPU support."""
    return False


def device_count():
    return 0


def is_initialized():
    return False


def is_bf16_supported(including_emulation=True):
    return False


def manual_seed(seed):
    """No-op: there is no CUDA generator (PyTorch drops the seed without CUDA too)."""


def manual_seed_all(seed):
    """No-op, as ``manual_seed``."""


def seed():
    """No-op without CUDA."""


def seed_all():
    """No-op without CUDA."""


def empty_cache():
    """No-op: no CUDA memory."""


def memory_allocated(device=None):
    return 0


def max_memory_allocated(device=None):
    return 0


def init():
    _no_cuda()


def current_device():
    _no_cuda()


def get_device_name(device=None):
    _no_cuda()


def get_device_properties(device=None):
    _no_cuda()


def get_device_capability(device=None):
    _no_cuda()


def synchronize(device=None):
    _no_cuda()
