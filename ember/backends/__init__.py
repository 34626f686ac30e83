"""ember.backends: PyTorch's backend flags and availability queries, as on a CPU-only PyTorch build.

ember runs on NumPy on the CPU. The GPU back ends (CUDA, cuDNN, MPS) are not available; their
settable flags (``cudnn.benchmark``, ``cuda.matmul.allow_tf32`` ...) are accepted and stored, type-checked
as PyTorch does, and — exactly as in PyTorch without a GPU — have no effect on any computation.
"""
from . import cpu, cuda, cudnn, mkldnn, mps, openmp  # noqa: F401

__all__ = ["cpu", "cuda", "cudnn", "mkldnn", "mps", "openmp"]
