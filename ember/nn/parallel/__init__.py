"""ember.nn.parallel: DataParallel (on the CPU, it calls the wrapped module), DistributedDataParallel (MPI)."""
from .data_parallel import DataParallel  # noqa: F401
from .distributed import DistributedDataParallel  # noqa: F401

__all__ = ["DataParallel", "DistributedDataParallel"]
