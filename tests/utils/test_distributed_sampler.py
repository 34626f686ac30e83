"""DistributedSampler against PyTorch's: the index lists of every rank, padding, drop_last,
set_epoch, the errors; and with a DataLoader."""
import os
import subprocess
import sys
import textwrap

import pytest
from torch.utils.data.distributed import DistributedSampler as TorchSampler

import ember
from ember.utils.data import DataLoader, TensorDataset
from ember.utils.data.distributed import DistributedSampler

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SHAPES = [(10, 4), (10, 3), (12, 4), (3, 4), (7, 2), (1, 3), (0, 2), (5, 1), (2, 8)]


def _lists(cls, n, replicas, **kw):
    samplers = [cls(range(n), num_replicas=replicas, rank=r, **kw) for r in range(replicas)]
    return [list(s) for s in samplers], [len(s) for s in samplers]


@pytest.mark.parametrize("n, replicas", SHAPES)
@pytest.mark.parametrize("drop_last", [False, True])
def test_unshuffled_index_lists_equal_torchs(n, replicas, drop_last):
    mine = _lists(DistributedSampler, n, replicas, shuffle=False, drop_last=drop_last)
    theirs = _lists(TorchSampler, n, replicas, shuffle=False, drop_last=drop_last)
    assert mine == theirs


@pytest.mark.parametrize("n, replicas", SHAPES)
@pytest.mark.parametrize("drop_last", [False, True])
def test_shuffled_lists_have_torchs_structure(n, replicas, drop_last):
    """Same lengths; the ranks together cover the permutation (padded or cut as torch's)."""
    lists, lengths = _lists(DistributedSampler, n, replicas, drop_last=drop_last, seed=3)
    t_lists, t_lengths = _lists(TorchSampler, n, replicas, drop_last=drop_last, seed=3)
    assert lengths == t_lengths and [len(x) for x in lists] == [len(x) for x in t_lists]
    merged = [x for row in zip(*lists) for x in row]                # back into the padded order
    if n and not drop_last:
        perm = merged[:n]
        assert sorted(perm) == list(range(n))
        assert merged[n:] == (perm * len(merged))[:len(merged) - n]   # padding repeats the start
    else:
        assert len(set(merged)) == len(merged) and all(0 <= i < n for i in merged)


@pytest.mark.parametrize("n, replicas", [(10, 4), (100, 3), (7, 2)])
def test_shuffled_lists_equal_torchs(n, replicas):
    for epoch in (0, 1, 5):
        mine, theirs = [], []
        for cls, out in ((DistributedSampler, mine), (TorchSampler, theirs)):
            for r in range(replicas):
                s = cls(range(n), num_replicas=replicas, rank=r, seed=7)
                s.set_epoch(epoch)
                out.append(list(s))
        assert mine == theirs


def test_shuffle_is_the_same_on_every_process_and_changes_with_epoch():
    a = DistributedSampler(range(20), num_replicas=2, rank=0, seed=1)
    b = DistributedSampler(range(20), num_replicas=2, rank=1, seed=1)
    first = list(a)
    assert list(a) == first                                      # no set_epoch: the same order
    assert sorted(first + list(b)) == list(range(20))            # the ranks share one permutation
    a.set_epoch(1)
    assert list(a) != first and a.epoch == 1
    a.set_epoch(0)
    assert list(a) == first
    assert list(DistributedSampler(range(20), num_replicas=2, rank=0, seed=2)) != first
    # the global seed plays no part
    ember.manual_seed(123)
    assert list(DistributedSampler(range(20), num_replicas=2, rank=0, seed=1)) == first


def test_attributes_as_torchs():
    for kw in (dict(num_replicas=3, rank=2), dict(num_replicas=4, rank=1, drop_last=True, shuffle=False, seed=9)):
        e, t = DistributedSampler(range(10), **kw), TorchSampler(range(10), **kw)
        for name in ("num_replicas", "rank", "epoch", "drop_last", "shuffle", "seed", "num_samples", "total_size"):
            assert getattr(e, name) == getattr(t, name), name
    assert isinstance(DistributedSampler(range(2), 1, 0), ember.utils.data.Sampler)
    assert ember.utils.data.DistributedSampler is DistributedSampler


@pytest.mark.parametrize("kw", [dict(), dict(num_replicas=2), dict(rank=0), dict(num_replicas=2, rank=2),
                                dict(num_replicas=2, rank=-1), dict(num_replicas=0, rank=0)])
def test_errors_as_torchs(kw):
    with pytest.raises(ValueError) as theirs:
        TorchSampler(range(10), **kw)
    with pytest.raises(ValueError) as mine:
        DistributedSampler(range(10), **kw)
    assert str(mine.value).startswith(str(theirs.value).split("(")[0].rstrip("."))


def test_with_a_dataloader():
    x = ember.arange(10.0).reshape(10, 1)
    ds = TensorDataset(x, ember.arange(10))
    seen = []
    for rank in range(3):
        s = DistributedSampler(ds, num_replicas=3, rank=rank, shuffle=False)
        loader = DataLoader(ds, batch_size=2, sampler=s)
        seen.append([int(i) for _, y in loader for i in y])
    assert seen == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]


def test_torch_path_resolves_under_ember_run():
    code = textwrap.dedent("""
        import ember.compat
        ember.compat.install()
        from torch.utils.data.distributed import DistributedSampler
        from torch.utils.data import DistributedSampler as D2
        import ember.utils.data.distributed as mod
        assert DistributedSampler is D2 is mod.DistributedSampler
        print(list(DistributedSampler(range(5), num_replicas=2, rank=1, shuffle=False)))
    """)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[1, 3, 0]"
