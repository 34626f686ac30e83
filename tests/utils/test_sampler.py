"""Sampler contracts: coverage, lengths, reproducibility, errors."""
import collections

import pytest

import ember
from ember.utils.data import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                              WeightedRandomSampler)

DATA = range(10)


def test_sequential():
    assert list(SequentialSampler(DATA)) == list(range(10))
    assert len(SequentialSampler(DATA)) == 10


def test_random_is_a_permutation_and_reshuffles():
    s = RandomSampler(DATA)
    a, b = list(s), list(s)
    assert sorted(a) == sorted(b) == list(range(10)) and len(s) == 10
    assert a != b  # a new order each pass (probability 1/10! of a false failure)
    assert all(type(i) is int for i in a)


def test_random_reproducible_with_manual_seed_and_generator():
    ember.manual_seed(3)
    a = list(RandomSampler(DATA))
    ember.manual_seed(3)
    assert list(RandomSampler(DATA)) == a
    g1, g2 = ember.Generator().manual_seed(7), ember.Generator().manual_seed(7)
    assert list(RandomSampler(DATA, generator=g1)) == list(RandomSampler(DATA, generator=g2))


def test_random_num_samples_and_replacement():
    s = RandomSampler(DATA, num_samples=25)
    idx = list(s)
    assert len(idx) == 25 == len(s)
    counts = collections.Counter(idx)
    assert all(counts[i] >= 2 for i in range(10))  # two full permutations, then 5 more
    r = list(RandomSampler(DATA, replacement=True, num_samples=1000))
    assert len(r) == 1000 and set(r) == set(range(10))


def test_random_errors():
    with pytest.raises(TypeError, match="replacement should be a boolean"):
        RandomSampler(DATA, replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler(DATA, num_samples=0)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler([])


def test_subset_random():
    s = SubsetRandomSampler([3, 5, 7])
    assert sorted(s) == [3, 5, 7] and len(s) == 3
    g = ember.Generator().manual_seed(1)
    h = ember.Generator().manual_seed(1)
    assert list(SubsetRandomSampler([1, 2, 3, 4], g)) == list(SubsetRandomSampler([1, 2, 3, 4], h))


def test_weighted():
    ember.manual_seed(0)
    idx = list(WeightedRandomSampler([0.0, 1.0, 3.0], 4000))
    counts = collections.Counter(idx)
    assert counts[0] == 0 and 0.7 < counts[2] / 4000 < 0.8
    no_rep = list(WeightedRandomSampler(ember.tensor([1.0, 1.0, 1.0, 1.0]), 4, replacement=False))
    assert sorted(no_rep) == [0, 1, 2, 3]
    assert len(WeightedRandomSampler([1.0, 2.0], 7)) == 7
    with pytest.raises(ValueError, match="1d sequence"):
        WeightedRandomSampler([[1.0, 2.0]], 2)
    with pytest.raises(RuntimeError, match="without replacement"):
        WeightedRandomSampler([1.0, 0.0], 2, replacement=False)
    with pytest.raises(RuntimeError, match="non-negative"):
        WeightedRandomSampler([1.0, -1.0], 2)


class Odd(Sampler):
    def __iter__(self):
        return iter([1, 3, 5, 7, 9])

    def __len__(self):
        return 5


@pytest.mark.parametrize("sampler", [SequentialSampler(range(10)), Odd()])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler(sampler, drop_last):
    bs = BatchSampler(sampler, 3, drop_last)
    batches = list(bs)
    flat = list(sampler)
    expect = [flat[i:i + 3] for i in range(0, len(flat), 3)]
    if drop_last and len(expect[-1]) < 3:
        expect = expect[:-1]
    assert batches == expect and len(bs) == len(expect)


def test_batch_sampler_random_same_as_plain_iteration():
    # BatchSampler takes the whole permutation at once for RandomSampler; it must equal chunking iter().
    g = ember.Generator().manual_seed(9)
    s = RandomSampler(range(23), generator=g)
    g.manual_seed(1)
    fast = list(BatchSampler(s, 5, False))
    g.manual_seed(1)
    flat = list(s)
    assert fast == [flat[i:i + 5] for i in range(0, 23, 5)]


def test_batch_sampler_errors():
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        BatchSampler(DATA, 0, False)
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        BatchSampler(DATA, True, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean"):
        BatchSampler(DATA, 2, 0)
