"""Dataset, TensorDataset, ConcatDataset, ChainDataset, StackDataset, Subset, random_split."""
import numpy as np
import pytest

import ember
from ember.utils.data import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset,
                              TensorDataset, random_split)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i


class Count(IterableDataset):
    def __init__(self, a, b):
        self.a, self.b = a, b

    def __iter__(self):
        return iter(range(self.a, self.b))

    def __len__(self):
        return self.b - self.a


def test_tensor_dataset_items():
    x = ember.arange(12.).reshape(4, 3)
    y = ember.tensor([0, 1, 0, 1])
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    xi, yi = ds[2]
    np.testing.assert_array_equal(xi.numpy(), [6., 7., 8.])
    assert yi.item() == 0 and yi.dtype == ember.int64 and yi.dim() == 0
    assert ds.tensors[0] is x


def test_tensor_dataset_size_mismatch_names_sizes():
    with pytest.raises(ValueError, match=r"\[4, 3\]"):
        TensorDataset(ember.zeros(4, 2), ember.zeros(3))
    with pytest.raises(AssertionError):  # PyTorch raises AssertionError: code catching it still works
        TensorDataset(ember.zeros(4, 2), ember.zeros(3))
    with pytest.raises(TypeError, match="Tensor"):
        TensorDataset(np.zeros(3))


def test_base_classes_raise():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
    with pytest.raises(NotImplementedError):
        iter(IterableDataset())


def test_concat_dataset():
    ds = ConcatDataset([Squares(3), Squares(2)])
    assert len(ds) == 5 and ds.cumulative_sizes == [3, 5]
    assert [ds[i] for i in range(5)] == [0, 1, 4, 0, 1]
    assert ds[-1] == 1 and ds[-5] == 0
    with pytest.raises(ValueError, match="exceed dataset length"):
        ds[-6]
    with pytest.raises(IndexError):
        ds[5]
    assert len(Squares(2) + Squares(4)) == 6
    with pytest.raises(AssertionError, match="empty"):
        ConcatDataset([])
    with pytest.raises(TypeError, match="IterableDataset"):
        ConcatDataset([Count(0, 2)])


def test_chain_and_stack():
    assert list(ChainDataset([Count(0, 2), Count(5, 7)])) == [0, 1, 5, 6]
    assert list(Count(0, 1) + Count(3, 4)) == [0, 3]
    s = StackDataset(Squares(3), Squares(3))
    assert s[2] == (4, 4) and len(s) == 3
    d = StackDataset(a=Squares(2), b=Squares(2))
    assert d[1] == {"a": 1, "b": 1}
    with pytest.raises(ValueError, match="size mismatch"):
        StackDataset(Squares(2), Squares(3))


def test_subset():
    sub = Subset(Squares(10), [9, 2, 5])
    assert len(sub) == 3 and sub[0] == 81 and sub[-1] == 25
    assert sub.__getitems__([0, 2]) == [81, 25]


def test_random_split_lengths_and_reproducible():
    ds = Squares(10)
    a, b = random_split(ds, [7, 3], generator=ember.Generator().manual_seed(42))
    assert len(a) == 7 and len(b) == 3
    assert sorted(a.indices + b.indices) == list(range(10))
    a2, b2 = random_split(ds, [7, 3], generator=ember.Generator().manual_seed(42))
    assert a.indices == a2.indices and b.indices == b2.indices
    a3, _ = random_split(ds, [7, 3], generator=ember.Generator().manual_seed(43))
    assert a3.indices != a.indices


def test_random_split_global_seed():
    ember.manual_seed(5)
    first = random_split(Squares(20), [10, 10])[0].indices
    ember.manual_seed(5)
    assert random_split(Squares(20), [10, 10])[0].indices == first


def test_random_split_fractions_like_torch():
    import torch
    for n, fr in [(10, [0.5, 0.5]), (11, [0.8, 0.2]), (7, [1 / 3, 1 / 3, 1 / 3]), (2000, [0.7, 0.15, 0.15])]:
        ours = [len(s) for s in random_split(Squares(n), fr)]
        theirs = [len(s) for s in torch.utils.data.random_split(range(n), fr)]
        assert ours == theirs, (n, fr)
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(Squares(1), [0.5, 0.5])


def test_random_split_errors():
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(Squares(10), [3, 3])
    with pytest.raises(ValueError, match="between 0 and 1"):
        random_split(Squares(10), [1.5, -0.5])
