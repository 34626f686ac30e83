"""DataLoader with worker processes (kept few and small: process start-up is the cost)."""
import gc
import os
import random
import time
import traceback

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info
from tests.utils._compare import assert_same


class Rows(Dataset):
    """Sample i is (row of i's, i); some items are slow so results arrive out of order."""

    def __len__(self):
        return 29

    def __getitem__(self, i):
        if i % 7 == 0:
            time.sleep(0.01)
        return np.full(3, i, np.float32), i


class Probe(Dataset):
    """Reports which worker made the item and what its random streams give."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        info = get_worker_info()
        time.sleep(0.02)  # let both workers take tasks
        return dict(worker=info.id, num_workers=info.num_workers, seed=info.seed, init=os.environ.get("EMBER_T"),
                    py=random.random(), np=float(np.random.rand()), ember=ember.rand(1).item())


def _init(worker_id):
    os.environ["EMBER_T"] = f"init{worker_id}"


class Boom(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise KeyError(f"no label for item {i}")
        return i


class Crash(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        os._exit(3)


class Unpicklable(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return (lambda: i) if i == 2 else i


class Sleepy(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        time.sleep(0.5)
        return i


class Shards(IterableDataset):
    def __iter__(self):
        info = get_worker_info()
        lo, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(lo, 11, step))


def test_workers_give_the_same_batches_as_one_process():
    for ds in (Rows(), TensorDataset(ember.randn(29, 3), ember.arange(29))):
        ember.manual_seed(123)
        single = list(DataLoader(ds, batch_size=4, shuffle=True))
        ember.manual_seed(123)
        multi = list(DataLoader(ds, batch_size=4, shuffle=True, num_workers=2, prefetch_factor=3))
        assert len(single) == len(multi) == 8
        for a, b in zip(single, multi):
            assert_same(a, b)
    assert get_worker_info() is None


def test_worker_info_seeds_and_init_fn():
    ember.manual_seed(0)
    out = list(DataLoader(Probe(), batch_size=None, num_workers=2, worker_init_fn=_init))
    by_worker = {o["worker"]: o for o in out}
    assert set(by_worker) == {0, 1}
    w0, w1 = by_worker[0], by_worker[1]
    assert w0["num_workers"] == 2 and w1["seed"] == w0["seed"] + 1
    assert w0["init"] == "init0" and w1["init"] == "init1"
    for stream in ("py", "np", "ember"):  # augmentations differ across workers
        assert w0[stream] != w1[stream], stream
    ember.manual_seed(0)
    again = list(DataLoader(Probe(), batch_size=None, num_workers=2, worker_init_fn=_init))
    assert [o["ember"] for o in again] == [o["ember"] for o in out]  # and repeat under the same seed


def _fail_in_worker():
    from ember.utils.data.dataloader import _MultiProcessIter
    try:
        list(DataLoader(Boom(), batch_size=2, num_workers=2))
    except KeyError as e:
        workers = [f.f_locals["self"]._workers for f, _ in traceback.walk_tb(e.__traceback__)
                   if isinstance(f.f_locals.get("self"), _MultiProcessIter)][0]
        return str(e), type(e), workers
    raise AssertionError("the worker's KeyError was not re-raised")


def test_worker_exception_is_reraised_with_its_traceback():
    text, kind, workers = _fail_in_worker()
    assert kind is KeyError
    assert "Caught KeyError in DataLoader worker process" in text
    assert "Original Traceback" in text and "__getitem__" in text and "no label for item 5" in text
    # the failed iterator lived on in a garbage cycle (exception -> traceback -> frame); collecting it
    # must stop its workers
    gc.collect()
    assert not any(w.is_alive() for w in workers) and all(w.exitcode == 0 for w in workers)


def test_abandoned_iterator_stops_its_workers():
    it = iter(DataLoader(Rows(), batch_size=2, num_workers=2))
    next(it)
    workers = list(it._workers)
    del it
    assert not any(w.is_alive() for w in workers) and all(w.exitcode == 0 for w in workers)


def test_unpicklable_batch_is_an_error_not_a_hang():
    with pytest.raises(TypeError, match="could not send its batch .* Batches must be picklable"):
        list(DataLoader(Unpicklable(), batch_size=None, num_workers=1, timeout=20))


def test_dead_worker_and_timeout_are_reported():
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        list(DataLoader(Crash(), batch_size=2, num_workers=1))
    with pytest.raises(RuntimeError, match="timed out after 0.2 seconds"):
        list(DataLoader(Sleepy(), batch_size=1, num_workers=1, timeout=0.2))


def test_iterable_dataset_with_workers():
    out = [b.tolist() for b in DataLoader(Shards(), batch_size=2, num_workers=2)]
    assert sorted(sum(out, [])) == list(range(11))
    assert out[:2] == [[0, 2], [1, 3]]  # worker 0's first batch, then worker 1's


def test_persistent_workers_keep_processes_and_order():
    ds = Rows()
    ember.manual_seed(5)
    single = [list(DataLoader(ds, batch_size=8, shuffle=True)) for _ in range(2)]
    ember.manual_seed(5)
    loader = DataLoader(ds, batch_size=8, shuffle=True, num_workers=2, persistent_workers=True)
    epochs, pids = [], []
    for _ in range(2):
        epochs.append(list(loader))
        pids.append([w.pid for w in loader._iterator._workers])
    assert pids[0] == pids[1]
    for e_single, e_multi in zip(single, epochs):
        for a, b in zip(e_single, e_multi):
            assert_same(a, b)
    loader._iterator._shutdown()
