"""``fit`` on N processes (``ember train TASK --nproc N``, started by ``distributed_launch``).

Each rank runs the whole ``ember train`` command with ``EMBER_TRAIN_NPROC=N`` set. ``TrainingWorld``
then initialises the process group, wraps the model in ``DistributedDataParallel``, splits each
epoch's shuffled training set with ``DistributedSampler`` (seeded with ``--seed``, ``set_epoch``
per epoch), sums the epoch's loss/accuracy over the ranks and lets rank 0 alone print and write the
outputs. ``--batch-size`` stays the *global* batch (each rank takes ``batch_size / N`` rows), so
the recipe's learning rate keeps its meaning. With one process every method is a no-op.
"""
import os

import numpy as np

import ember
import ember.distributed as dist
from ember.nn.parallel import DistributedDataParallel
from ember.utils.data import DataLoader
from ember.utils.data.distributed import DistributedSampler

__all__ = ["ENV", "TrainingWorld"]

ENV = "EMBER_TRAIN_NPROC"


class TrainingWorld:
    """What ``fit`` does differently on N ranks; a no-op for one process."""

    def __init__(self):
        self.size = int(os.environ.get(ENV, "1") or 1)
        self.rank = 0
        self.dist = None
        if self.size > 1:
            if not dist.is_initialized():
                dist.init_process_group("mpi")
            self.dist, self.rank, self.size = dist, dist.get_rank(), dist.get_world_size()

    @property
    def is_main(self):
        return self.rank == 0

    def check(self, config):
        """None, or why ``config`` cannot run on this many processes."""
        if self.size == 1:
            return None
        if config.get("diagnose"):
            return "--diagnose cannot be combined with --nproc (it records one process's hooks)"
        if config["batch_size"] % self.size:
            return (f"--batch-size {config['batch_size']} is the global batch and must be a multiple of "
                           f"--nproc {self.size} (each process takes an equal share)")
        return None

    def wrap(self, model):
        if self.size == 1:
            return model
        return DistributedDataParallel(model)

    def train_loader(self, dataset, batch_size, generator, seed, **kw):
        if self.size == 1:
            return DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=generator, **kw)
        sampler = DistributedSampler(dataset, shuffle=True, seed=seed)
        return DataLoader(dataset, batch_size=batch_size // self.size, sampler=sampler, **kw)

    def set_epoch(self, loader, epoch):
        if self.size > 1:
            loader.sampler.set_epoch(epoch)

    def sums(self, *values):
        """The values summed over the ranks (float64)."""
        if self.size == 1:
            return values
        t = ember.tensor(np.array(values, np.float64))
        self.dist.all_reduce(t)
        return tuple(float(v) for v in t.numpy())

    def log(self, log):
        return log if self.is_main else (lambda message: None)

    def close(self):
        if self.dist is not None and self.dist.is_initialized():
            self.dist.destroy_process_group()
