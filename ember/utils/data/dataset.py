"""Datasets: the map-style ``Dataset`` and stream-style ``IterableDataset`` and their combinators."""
import bisect
import math
import warnings

from ... import _sampling
from ..._random import _gen, default_generator
from ..._tensor import Tensor

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "ChainDataset", "Subset",
           "StackDataset", "random_split"]


class Dataset:
    """A map-style data set: ``__getitem__(index)`` returns one sample, ``__len__`` the count.

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self): return 10
        ...     def __getitem__(self, i): return i * i
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"Subclasses of Dataset should implement __getitem__ "
                                  f"({type(self).__name__} does not)")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A data set that is a stream: subclasses implement ``__iter__``.

    With ``num_workers > 0`` every worker iterates its own copy; use
    ``ember.utils.data.get_worker_info()`` inside ``__iter__`` to give each worker its share.

    Example:
        >>> class Count(IterableDataset):
        ...     def __iter__(self): return iter(range(5))
    """

    def __iter__(self):
        raise NotImplementedError(f"Subclasses of IterableDataset should implement __iter__ "
                                  f"({type(self).__name__} does not)")

    def __add__(self, other):
        return ChainDataset([self, other])


class _SizeMismatch(ValueError, AssertionError):
    """Raised for tensors of different lengths (an AssertionError in PyTorch, a ValueError here)."""


class TensorDataset(Dataset):
    """Samples are the rows of the given tensors: ``dataset[i] == (t0[i], t1[i], ...)``.

    Example:
        >>> ds = TensorDataset(ember.randn(100, 3), ember.randint(0, 2, (100,)))
        >>> x, y = ds[0]
    """

    def __init__(self, *tensors):
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: argument {i} is a {type(t).__name__}, expected a Tensor; "
                                f"convert it with ember.tensor(...) or ember.from_numpy(...)")
            if t._data.ndim == 0:
                raise ValueError(f"TensorDataset: argument {i} is a 0-d tensor; every tensor needs a first "
                                 f"dimension that indexes the samples")
        sizes = [t._data.shape[0] for t in tensors]
        if len(set(sizes)) > 1:
            raise _SizeMismatch(f"Size mismatch between tensors: TensorDataset needs the same first "
                                f"dimension in every tensor, got sizes {sizes} (shapes "
                                f"{[tuple(t.shape) for t in tensors]})")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0]._data.shape[0] if self.tensors else 0


class StackDataset(Dataset):
    """Zips data sets of equal length: samples are tuples (positional) or dicts (keyword).

    Example:
        >>> ds = StackDataset(images=image_ds, labels=label_ds); ds[0]["images"]
    """

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("StackDataset: give data sets either as positional arguments (tuple samples) "
                             "or as keyword arguments (dict samples), not both")
        datasets = args or kwargs
        items = list(datasets.values()) if kwargs else list(args)
        if not items:
            raise ValueError("StackDataset: at least one data set is required")
        lengths = [len(d) for d in items]
        if len(set(lengths)) > 1:
            raise ValueError(f"StackDataset: size mismatch between data sets, lengths {lengths}")
        self._length = lengths[0]
        self.datasets = datasets

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self):
        return self._length


class ConcatDataset(Dataset):
    """Map-style data sets one after another.

    Example:
        >>> ds = ConcatDataset([train_a, train_b]); len(ds) == len(train_a) + len(train_b)
    """

    @staticmethod
    def cumsum(sequence):
        out, total = [], 0
        for d in sequence:
            total += len(d)
            out.append(total)
        return out

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise _SizeMismatch("datasets should not be an empty iterable (ConcatDataset needs at least one)")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset does not support IterableDataset; use ChainDataset instead")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise ValueError(f"absolute value of index should not exceed dataset length "
                                 f"(index {idx}, length {n})")
            idx += n
        if idx >= n:
            raise IndexError(f"index {idx} is out of range for ConcatDataset of length {n}")
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][idx - start]


class ChainDataset(IterableDataset):
    """Iterable data sets one after another (lazily).

    Example:
        >>> for x in ChainDataset([stream_a, stream_b]): ...
    """

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset only supports IterableDataset, got {type(d).__name__}")
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``.

    Example:
        >>> first_ten = Subset(ds, range(10))
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        inner = getattr(self.dataset, "__getitems__", None)
        if callable(inner):
            return inner([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths, generator=default_generator):
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given lengths or fractions.

    Fractions that sum to 1 become lengths ``floor(n * f)``; the remainder is handed out one
    sample at a time round-robin from the first subset.

    Example:
        >>> train, val = random_split(ds, [0.8, 0.2], generator=ember.Generator().manual_seed(42))
    """
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        fractions = lengths
        for i, f in enumerate(fractions):
            if f < 0 or f > 1:
                raise ValueError(f"random_split: fraction at index {i} is not between 0 and 1 (got {f})")
        lengths = [int(math.floor(n * f)) for f in fractions]
        for i in range(n - sum(lengths)):
            lengths[i % len(lengths)] += 1
        for i, size in enumerate(lengths):
            if size == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.")
    if any(int(x) != x or x < 0 for x in lengths):
        raise ValueError(f"random_split: lengths must be non-negative integers or fractions summing to 1, "
                         f"got {lengths}")
    if sum(lengths) != n:
        raise ValueError(f"Sum of input lengths does not equal the length of the input dataset! "
                         f"(lengths {lengths} sum to {sum(lengths)}, the dataset has {n} samples)")
    perm = _sampling.randperm(_gen(generator), n).tolist()
    out, start = [], 0
    for size in lengths:
        out.append(Subset(dataset, perm[start:start + int(size)]))
        start += int(size)
    return out
