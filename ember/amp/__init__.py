"""ember.amp: automatic mixed precision's API (GradScaler, autocast).

ember computes in float32, so there is no lower-precision autocast to switch on: ``autocast`` with
``enabled=False`` is a no-op, a CUDA request is warned about and disabled exactly as PyTorch does
without a GPU, and a CPU bfloat16/float16 request raises NotImplementedError. ``GradScaler`` scales
losses and unscales gradients as PyTorch's does (on the CPU; disabled for CUDA, as PyTorch).
"""
from .autocast_mode import autocast, is_autocast_available  # noqa: F401
from .grad_scaler import GradScaler  # noqa: F401

__all__ = ["GradScaler", "autocast", "is_autocast_available"]
