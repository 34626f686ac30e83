"""Fetchers: turn one entry of the index sampler into one batch (in the main process or a worker)."""
import numpy as np

from ..._tensor import _wrap
from .collate import default_collate
from .csv import CSVDataset
from .dataset import Subset, TensorDataset


def _rows_source(dataset):
    """``(arrays, index_map, single)`` when every sample is a row of the same tensors, so a batch can be
    gathered with one NumPy take per tensor; else None.

    Covers ``TensorDataset`` (and subclasses that keep its ``__getitem__``), ``CSVDataset`` and a
    ``Subset`` of either. ``single``: samples are one tensor, not a tuple (a target-less CSVDataset).
    The gathered batch equals what ``default_collate([dataset[i] for i in batch])`` returns.
    """
    index_map = None
    if type(dataset).__getitem__ is Subset.__getitem__ and type(dataset).__getitems__ is Subset.__getitems__:
        index_map = np.asarray(dataset.indices)
        if index_map.ndim != 1 or (index_map.size and index_map.dtype.kind not in "iu"):
            return None
        dataset = dataset.dataset
    if not isinstance(dataset, TensorDataset) or getattr(dataset, "__getitems__", None) is not None \
            or type(dataset).__getitem__ not in (TensorDataset.__getitem__, CSVDataset.__getitem__) \
            or not dataset.tensors:
        return None
    single = isinstance(dataset, CSVDataset) and dataset.targets is None
    if any(t.requires_grad for t in dataset.tensors):
        return None  # the general path records the graph of the indexing and stacking
    return [t._data for t in dataset.tensors], index_map, single


class MapFetcher:
    """Fetch samples by index from a map-style data set and collate them."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        getitems = getattr(dataset, "__getitems__", None)
        self._getitems = getitems if callable(getitems) else None
        self._rows = _rows_source(dataset) if auto_collation and collate_fn is default_collate else None

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self._rows is not None and index:
            idx = np.asarray(index)
            if idx.dtype.kind in "iu" and idx.ndim == 1:
                arrays, index_map, single = self._rows
                if index_map is not None:
                    idx = index_map[idx]
                if single:
                    return _wrap(arrays[0][idx])
                return [_wrap(a[idx]) for a in arrays]
        if self._getitems is not None:
            data = self._getitems(index)
        else:
            ds = self.dataset
            data = [ds[i] for i in index]
        return self.collate_fn(data)


class IterableFetcher:
    """Pull samples from an IterableDataset; raises StopIteration when it is exhausted."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.iterator = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.iterator))
        data = []
        for _ in index:
            try:
                data.append(next(self.iterator))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < len(index)):
            raise StopIteration
        return self.collate_fn(data)


def make_fetcher(iterable, auto_collation, collate_fn, drop_last, dataset):
    cls = IterableFetcher if iterable else MapFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)
