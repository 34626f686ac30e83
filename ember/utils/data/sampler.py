"""Samplers: which indices a DataLoader visits, and in what order."""
import numbers

import numpy as np

from ... import _sampling
from ..._random import Generator, _gen, default_generator
from ..._tensor import Tensor
from ..._creation import tensor

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler"]


def _fresh_generator(generator):
    """The Generator to draw from: ``generator`` itself, or (as PyTorch) a new one seeded by one
    int64 draw from the global stream, so ``ember.manual_seed`` fixes the order and each epoch differs."""
    if generator is not None:
        return generator
    seed = int(_sampling.random_full(default_generator, (), np.int64))
    return Generator().manual_seed(seed)


class Sampler:
    """Base class: subclasses implement ``__iter__`` (indices) and usually ``__len__``.

    Example:
        >>> class EvenFirst(Sampler):
        ...     def __init__(self, n): self.n = n
        ...     def __iter__(self): return iter(list(range(0, self.n, 2)) + list(range(1, self.n, 2)))
        ...     def __len__(self): return self.n
    """

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order.

    Example:
        >>> list(SequentialSampler(range(3)))
        [0, 1, 2]
    """

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """Indices in random order: a permutation, or ``num_samples`` draws with ``replacement=True``.

    Without ``generator`` each ``iter()`` seeds itself from ember's global stream, so
    ``ember.manual_seed(s)`` makes the epochs reproducible.

    Example:
        >>> list(RandomSampler(range(5), generator=ember.Generator().manual_seed(0)))
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.num_samples, numbers.Integral) or isinstance(self.num_samples, bool) \
                or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _chunks(self):
        """The indices of one pass, lazily, as int64 arrays: with replacement 32 draws at a time (as
        PyTorch draws them, so ``num_samples=10**10`` costs nothing up front), else one permutation
        of the data per pass through it."""
        n = len(self.data_source)
        gen = _fresh_generator(self.generator)
        if self.replacement:
            full, rest = divmod(self.num_samples, 32)
            for _ in range(full):
                yield _sampling.random_from_to(gen, (32,), np.int64, 0, n)
            yield _sampling.random_from_to(gen, (rest,), np.int64, 0, n)
            return
        full, rest = divmod(self.num_samples, n)
        for _ in range(full):
            yield _sampling.randperm(gen, n)
        yield _sampling.randperm(gen, n)[:rest]

    def _indices(self):
        """All the indices of one pass as one int64 array (what ``__iter__`` yields)."""
        parts = list(self._chunks())
        return np.concatenate(parts) if len(parts) != 1 else parts[0]

    def __iter__(self):
        for chunk in self._chunks():
            yield from chunk.tolist()

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in random order (without replacement).

    Example:
        >>> sampler = SubsetRandomSampler(valid_idx)
    """

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        for i in _sampling.randperm(_gen(self.generator), len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probabilities proportional to ``weights``.

    Example:
        >>> list(WeightedRandomSampler([0.1, 0.9, 0.4], 5, replacement=True))
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, numbers.Integral) or isinstance(num_samples, bool) or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        w = np.asarray(weights._data if isinstance(weights, Tensor) else weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape {tuple(w.shape)}")
        if w.size == 0 or not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
            raise RuntimeError(f"WeightedRandomSampler: weights must be finite, non-negative and not all zero "
                               f"(got min {w.min() if w.size else None}, sum {w.sum()})")
        if not replacement and num_samples > np.count_nonzero(w):
            raise RuntimeError(f"cannot sample n_sample={num_samples} > prob_dist.size(-1)="
                               f"{np.count_nonzero(w)} (non-zero weights) samples without replacement")
        self.weights = tensor(w, dtype=np.float64)
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        picks = _sampling.multinomial(_gen(self.generator), self.weights._data[None], self.num_samples,
                                      self.replacement)
        return iter(picks[0].tolist())

    def __len__(self):
        return self.num_samples


_WHOLE_PASS = 1 << 22  # passes longer than this are batched lazily, item by item


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    Example:
        >>> list(BatchSampler(SequentialSampler(range(5)), batch_size=2, drop_last=False))
        [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self):
        bs = self.batch_size
        if type(self.sampler) in (RandomSampler, SequentialSampler) and len(self.sampler) <= _WHOLE_PASS:
            # One array for the whole pass, cut into lists: the same indices, fewer Python steps.
            idx = (self.sampler._indices() if type(self.sampler) is RandomSampler
                   else np.arange(len(self.sampler.data_source)))
            n = len(idx) - len(idx) % bs if self.drop_last else len(idx)
            flat = idx.tolist()
            for i in range(0, n, bs):
                yield flat[i:i + bs]
            return
        batch = []
        for i in self.sampler:
            batch.append(i)
            if len(batch) == bs:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
