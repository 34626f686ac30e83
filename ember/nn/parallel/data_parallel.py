"""DataParallel as PyTorch's on a machine without a GPU: a wrapper that calls its module.

PyTorch's ``DataParallel.__init__`` finds no accelerator, keeps ``module``, sets ``device_ids = []``
and returns; ``forward`` then calls ``module(*inputs, **kwargs)``. ``device_ids``, ``output_device``
and ``dim`` are accepted and, exactly as PyTorch does without a GPU, not used. The wrapper adds
nothing but the ``module.`` prefix to parameter and state-dict names (so checkpoints saved from a
DataParallel model load the same way as PyTorch's).
"""
from ..modules.module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.device_ids = []

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
