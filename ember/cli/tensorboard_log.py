"""``ember train --tensorboard [DIR]``: what the training loop sends to TensorBoard.

Per batch: ``Loss/train_batch`` (step = batches seen). Per epoch (step = epoch): ``Loss/train``,
``Loss/test``, ``Accuracy/train``, ``Accuracy/test``, ``LearningRate``, and for every parameter
a histogram of its values (``weights/<name>``) and of its last gradient (``grads/<name>``).
The run's configuration goes in as text (``config``). Non-finite tensors are skipped, not fatal.

Example:
    >>> tb = TrainLogger("runs/phone-price/tensorboard", config)
    >>> tb.epoch(1, row, model)
    >>> tb.close()
"""
import json

import numpy as np

from ..utils.tensorboard import SummaryWriter
from .trainer import CLIError

__all__ = ["TrainLogger"]


class TrainLogger:
    """A ``SummaryWriter`` fed by ``fit``; a missing tensorboard package is a one-line CLI error."""

    def __init__(self, log_dir, config):
        try:
            self.writer = SummaryWriter(log_dir)
        except ImportError as e:
            raise CLIError(f"--tensorboard: {e}") from None
        self.log_dir = log_dir
        self._epoch, self._k = None, 0
        self.writer.add_text("config", "```\n" + json.dumps(config, indent=1, default=str) + "\n```", 0)

    def batch(self, epoch, batches_per_epoch, loss):
        """The loss of one batch of (0-based) ``epoch``; the step counts batches since the first epoch."""
        if epoch != self._epoch:
            self._epoch, self._k = epoch, 0
        self.writer.add_scalar("Loss/train_batch", loss, epoch * batches_per_epoch + self._k)
        self._k += 1

    def epoch(self, epoch, row, model):
        w = self.writer
        w.add_scalar("Loss/train", row["train_loss"], epoch)
        w.add_scalar("Loss/test", row["test_loss"], epoch)
        w.add_scalar("Accuracy/train", row["train_accuracy"], epoch)
        w.add_scalar("Accuracy/test", row["test_accuracy"], epoch)
        w.add_scalar("LearningRate", row["lr"], epoch)
        for name, p in model.named_parameters():
            for kind, t in (("weights", p), ("grads", p.grad)):
                if t is not None and t.numel() and np.isfinite(t._data).all():
                    w.add_histogram(f"{kind}/{name}", t, epoch)
        w.flush()

    def close(self):
        self.writer.close()
