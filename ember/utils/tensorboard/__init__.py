"""ember.utils.tensorboard: PyTorch's ``torch.utils.tensorboard`` (``SummaryWriter``) on ember.

Event files are written by the ``tensorboard`` package (``pip install 'ember[tensorboard]'``);
view them with ``tensorboard --logdir runs``. Under ``ember run``, ``from torch.utils.tensorboard
import SummaryWriter`` gives this class.

Example:
    >>> from ember.utils.tensorboard import SummaryWriter
    >>> writer = SummaryWriter("runs/exp1")
    >>> writer.add_scalar("Loss/train", 0.5, 0)
    >>> writer.close()
"""
from .writer import FileWriter, SummaryWriter  # noqa: F401

__all__ = ["SummaryWriter", "FileWriter"]
