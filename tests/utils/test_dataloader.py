"""DataLoader in the main process: batching, shuffling, the TensorDataset fast path, options."""
import numpy as np
import pytest
import torch
import torch.utils.data as tud

import ember
from ember.utils.data import (BatchSampler, CSVDataset, DataLoader, Dataset, IterableDataset, SequentialSampler,
                              Subset, TensorDataset, default_collate, random_split)
from tests.utils._compare import assert_same
from tests.paths import PHONE_CSV

CSV = PHONE_CSV


class Items(Dataset):
    """Map-style data set of (float32 row, int label, name) samples."""

    def __init__(self, n=10):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full(2, i, np.float32), i, f"s{i}"


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def _xy(lib, n=23):
    rng = np.random.default_rng(0)
    return (lib.from_numpy(rng.standard_normal((n, 4)).astype(np.float32)),
            lib.from_numpy(rng.integers(0, 3, n).astype(np.int64)))


@pytest.mark.parametrize("batch_size,drop_last", [(1, False), (4, False), (4, True), (23, False), (50, False)])
def test_sequential_batches_match_torch(batch_size, drop_last):
    ours = list(DataLoader(Items(10), batch_size=batch_size, drop_last=drop_last))
    theirs = list(tud.DataLoader(Items(10), batch_size=batch_size, drop_last=drop_last))
    assert len(ours) == len(theirs) == len(DataLoader(Items(10), batch_size=batch_size, drop_last=drop_last))
    for a, b in zip(ours, theirs):
        assert_same(a, b)


def test_tensor_dataset_matches_torch_unshuffled():
    ours = list(DataLoader(TensorDataset(*_xy(ember)), batch_size=5))
    theirs = list(tud.DataLoader(tud.TensorDataset(*_xy(torch)), batch_size=5))
    for a, b in zip(ours, theirs):
        assert_same(a, b)


class Plain(Dataset):
    """Wraps a data set so the loader cannot take the fast path (generic index + collate)."""

    def __init__(self, ds):
        self.ds = ds

    def __len__(self):
        return len(self.ds)

    def __getitem__(self, i):
        return self.ds[i]


@pytest.mark.parametrize("kind", ["tensor", "single", "subset", "csv", "csv_no_target", "subset_of_split"])
@pytest.mark.parametrize("shuffle", [False, True])
def test_fast_path_equals_general_path(kind, shuffle):
    from ember.utils.data.fetch import _rows_source
    x, y = _xy(ember)
    if kind == "tensor":
        ds = TensorDataset(x, y)
    elif kind == "single":
        ds = TensorDataset(x)
    elif kind == "subset":
        ds = Subset(TensorDataset(x, y), [5, 3, 22, 0, 7, 7, 1, -1])
    elif kind == "csv":
        ds = CSVDataset(CSV, target="price_range")
    elif kind == "csv_no_target":
        ds = CSVDataset(CSV, columns=["ram", "battery_power"])
    else:
        ds = random_split(TensorDataset(x, y), [0.6, 0.4], generator=ember.Generator().manual_seed(0))[1]
    assert _rows_source(ds) is not None and _rows_source(Plain(ds)) is None
    fast = list(DataLoader(ds, batch_size=3, shuffle=shuffle, generator=ember.Generator().manual_seed(1)))
    slow = list(DataLoader(Plain(ds), batch_size=3, shuffle=shuffle, generator=ember.Generator().manual_seed(1)))
    assert len(fast) == len(slow) == -(-len(ds) // 3)
    for a, b in zip(fast, slow):
        assert_same(a, b)
        for t in (a if isinstance(a, list) else [a]):
            assert t._data.flags.c_contiguous and not t.requires_grad


def test_fast_path_skipped_with_grad_or_custom_collate():
    from ember.utils.data.fetch import _rows_source
    x = ember.randn(4, 2, requires_grad=True)
    assert _rows_source(TensorDataset(x)) is None
    (xb,) = next(iter(DataLoader(TensorDataset(x), batch_size=4)))
    assert xb.grad_fn is not None
    out = list(DataLoader(TensorDataset(ember.arange(4)), batch_size=2, collate_fn=lambda b: len(b)))
    assert out == [2, 2]


def test_shuffle_covers_everything_and_is_reproducible():
    ds = TensorDataset(ember.arange(50))
    ember.manual_seed(11)
    e1 = [b[0].tolist() for b in DataLoader(ds, batch_size=8, shuffle=True)]
    e2 = [b[0].tolist() for b in DataLoader(ds, batch_size=8, shuffle=True)]
    assert sorted(sum(e1, [])) == list(range(50)) and e1 != e2
    ember.manual_seed(11)
    loader = DataLoader(ds, batch_size=8, shuffle=True)
    assert [b[0].tolist() for b in loader] == e1 and [b[0].tolist() for b in loader] == e2
    g = ember.Generator().manual_seed(3)
    a = [b[0].tolist() for b in DataLoader(ds, batch_size=8, shuffle=True, generator=g)]
    g.manual_seed(3)
    assert [b[0].tolist() for b in DataLoader(ds, batch_size=8, shuffle=True, generator=g)] == a


def test_batch_size_none_converts_only():
    out = list(DataLoader(Items(3), batch_size=None))
    assert len(out) == 3
    arr, i, s = out[1]
    assert isinstance(arr, ember.Tensor) and arr.dtype == ember.float32 and i == 1 and s == "s1"


def test_custom_sampler_and_batch_sampler():
    out = [b[1].tolist() for b in DataLoader(Items(10), sampler=[9, 8, 7], batch_size=2)]
    assert out == [[9, 8], [7]]
    bs = BatchSampler(SequentialSampler(range(6)), 4, False)
    loader = DataLoader(Items(6), batch_sampler=bs)
    assert [b[1].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5]] and len(loader) == 2


def test_iterable_dataset():
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    assert len(DataLoader(Stream(7), batch_size=3)) == 3
    assert [int(b) for b in DataLoader(Stream(3), batch_size=None)] == [0, 1, 2]


@pytest.mark.parametrize("kwargs,match", [
    (dict(shuffle=True, sampler=[0, 1]), "mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "mutually exclusive with drop_last"),
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(timeout=-1), "timeout option should be non-negative"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified in multiprocessing"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
])
def test_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(Items(4), **kwargs)


def test_iterable_dataset_rejects_shuffle_and_samplers():
    with pytest.raises(ValueError, match="expected unspecified shuffle"):
        DataLoader(Stream(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler"):
        DataLoader(Stream(3), sampler=[0])


def test_attributes_and_frozen_fields():
    loader = DataLoader(Items(5), batch_size=2, pin_memory=True)
    assert loader.batch_size == 2 and loader.pin_memory and loader.num_workers == 0 and len(loader) == 3
    assert loader.collate_fn is default_collate and loader.prefetch_factor is None
    assert len(iter(loader)) == 3 and len(iter(DataLoader(Stream(7), batch_size=2))) == 4
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 3
    loader.num_workers = 0  # not frozen
