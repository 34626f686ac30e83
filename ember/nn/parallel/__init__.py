"""ember.nn.parallel: DataParallel (on the CPU, it calls the wrapped module)."""
from .data_parallel import DataParallel  # noqa: F401

__all__ = ["DataParallel"]
