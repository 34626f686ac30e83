"""``DistributedSampler``: each of ``num_replicas`` processes visits its own share of a data set.

The index list (shuffled or not) is made a multiple of ``num_replicas`` long, by repeating indices
from its start (``drop_last=False``) or cutting its tail (``drop_last=True``); process ``rank``
then takes every ``num_replicas``-th index starting at ``rank``. The shuffle is a ``randperm`` from
a Generator seeded with ``seed + epoch``: every process computes the same permutation without
talking to the others, and ``set_epoch`` changes it from one epoch to the next.

``num_replicas`` and ``rank`` default to ``ember.distributed``'s world size and rank (without an
initialised process group that raises PyTorch's ValueError: pass them, or call init_process_group).

Example:
    >>> sampler = DistributedSampler(range(10), num_replicas=4, rank=1, shuffle=False)
    >>> list(sampler)                     # indices 0..9 padded with 0, 1 to 12, then 1::4
    [1, 5, 9]
"""
import math

from ... import distributed as dist
from ..._creation import randperm
from ..._random import Generator
from .sampler import Sampler

__all__ = ["DistributedSampler"]

class DistributedSampler(Sampler):
    """The indices of ``dataset`` that process ``rank`` of ``num_replicas`` visits, as PyTorch's.

    Args:
        dataset: a data set with ``len``.
        num_replicas, rank: the number of processes and this one's rank (0 <= rank < num_replicas);
            default: ``ember.distributed.get_world_size()`` and ``get_rank()``.
        shuffle: a fresh permutation per epoch (from ``seed + epoch``); else 0, 1, 2, ...
        seed: the same on every process.
        drop_last: cut the tail so every process gets ``len // num_replicas`` indices, instead of
            padding with repeated indices to ``ceil(len / num_replicas)``.

    Call ``set_epoch(epoch)`` before each epoch's iteration to reshuffle.

    Example:
        >>> s = DistributedSampler(range(5), num_replicas=2, rank=0, shuffle=False)
        >>> list(s), len(s)                   # 0..4 padded with 0, then every other one from 0
        ([0, 2, 4], 3)
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None:
            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available (pip install 'ember[distributed]'), "
                                   "or pass num_replicas= and rank=")
            num_replicas = dist.get_world_size()
        if rank is None:
            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available (pip install 'ember[distributed]'), "
                                   "or pass num_replicas= and rank=")
            rank = dist.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        self.shuffle = shuffle
        self.seed = seed
        n = len(dataset)
        if drop_last:
            self.num_samples = n // num_replicas          # the largest share that needs no padding
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def _all_indices(self):
        n = len(self.dataset)
        if not self.shuffle:
            return list(range(n))
        g = Generator()
        g.manual_seed(self.seed + self.epoch)
        return randperm(n, generator=g).tolist()

    def __iter__(self):
        indices = self._all_indices()
        if len(indices) < self.total_size:                # pad by repeating from the start (cyclically)
            missing = self.total_size - len(indices)
            indices += (indices * math.ceil(missing / len(indices)))[:missing]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank::self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Use the permutation of ``seed + epoch`` from the next iteration on (with ``shuffle``)."""
        self.epoch = epoch
