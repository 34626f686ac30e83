"""ember.accelerator: PyTorch's device-agnostic accelerator queries, answered for a CPU-only framework.

ember computes on the CPU (NumPy), so there is never an accelerator: code written as
``torch.accelerator.current_accelerator() or torch.device('cpu')`` picks the CPU, as PyTorch does on a
machine without a GPU.
"""

__all__ = ["current_accelerator", "device_count", "is_available"]


def is_available():
    """False: ember has no accelerator (as PyTorch on a CPU-only machine)."""
    return False


def current_accelerator(check_available=False):
    """None: there is no accelerator."""
    return None


def device_count():
    """0 accelerators."""
    return 0
