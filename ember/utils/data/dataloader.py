"""DataLoader: batches from a data set, in the main process or in worker processes."""
import functools
import itertools
import multiprocessing
import numbers
import os
import queue
import sys
import time
import warnings
import weakref

import numpy as np

from ... import _sampling
from ..._random import default_generator
from . import _receive
from . import worker as _worker
from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .fetch import make_fetcher
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader"]

_POLL = 0.25  # how often the main process checks that its workers are alive while waiting (seconds)
_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


class _InfiniteConstantSampler(Sampler):
    """The index sampler of an IterableDataset: ``None`` forever (the data set decides when to stop)."""

    def __iter__(self):
        while True:
            yield None


def _default_context():
    # fork starts workers fastest and needs nothing picklable; elsewhere use the platform default.
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


class DataLoader:
    """Iterate over a data set in batches, optionally shuffled and loaded by worker processes.

    Arguments and defaults are PyTorch's. ``pin_memory`` is accepted and does nothing (CPU only).
    With ``num_workers > 0`` batches come from worker processes in the same order as with
    ``num_workers=0``; each worker seeds Python's, NumPy's and ember's random streams with
    ``base_seed + worker_id``.

    Example:
        >>> ds = TensorDataset(ember.randn(100, 3), ember.randint(0, 2, (100,)))
        >>> for x, y in DataLoader(ds, batch_size=16, shuffle=True):
        ...     pass
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None,
                 persistent_workers=False, pin_memory_device="", in_order=True):
        if not isinstance(num_workers, numbers.Integral) or num_workers < 0:
            raise ValueError(f"num_workers option should be non-negative; use num_workers=0 to disable "
                             f"multiprocessing (got {num_workers!r})")
        if timeout < 0:
            raise ValueError(f"timeout option should be non-negative (got {timeout})")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing. Let "
                             "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and (not isinstance(prefetch_factor, numbers.Integral)
                                            or prefetch_factor <= 0):
            raise ValueError(f"prefetch_factor option should be a positive integer (got {prefetch_factor!r})")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self._is_iterable = isinstance(dataset, IterableDataset)
        if self._is_iterable:
            if shuffle not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler "
                                 f"option, but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, "
                                 "sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive "
                             "with drop_last")
        if sampler is None:
            if self._is_iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = int(num_workers)
        self.collate_fn = collate_fn
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._iterator = None
        self._initialized = True

    def __setattr__(self, name, value):
        if name in _FROZEN and getattr(self, "_initialized", False):
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        return _MultiProcessIter(self)

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None or self._iterator._shut:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def __len__(self):
        if self._is_iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)


def _warn_if_too_many_workers(n):
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    if n > cpus:
        warnings.warn(f"This DataLoader will create {n} worker processes in total. Our suggested max number of "
                      f"worker in current system is {cpus}, which is smaller than what this DataLoader is going "
                      f"to create. Please be aware that excessive worker creation might get DataLoader running "
                      f"slow or even freeze, lower the worker number to avoid potential slowness/freeze if "
                      f"necessary.", UserWarning, stacklevel=4)


def _draw_base_seed(loader):
    gen = loader.generator if loader.generator is not None else default_generator
    return int(_sampling.random_full(gen, (), np.int64))  # as PyTorch: one int64 random_()


class _BaseIter:
    def __init__(self, loader):
        self._dataset = loader.dataset
        self._auto_collation = loader._auto_collation
        self._index_sampler = loader._index_sampler
        self._collate_fn = loader.collate_fn
        self._drop_last = loader.drop_last
        self._is_iterable = loader._is_iterable
        self._base_seed = _draw_base_seed(loader)
        self._sampler_iter = iter(self._index_sampler)
        self._loader_len = loader.__len__

    def __iter__(self):
        return self

    def __len__(self):
        return self._loader_len()


class _SingleProcessIter(_BaseIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._fetcher = make_fetcher(self._is_iterable, self._auto_collation, self._collate_fn,
                                     self._drop_last, self._dataset)

    def __next__(self):
        return self._fetcher.fetch(next(self._sampler_iter))


class _MultiProcessIter(_BaseIter):
    """Workers take tasks from their own index queue and answer on one shared result queue; the
    main process keeps ``prefetch_factor`` tasks per worker in flight and yields in task order."""

    def __init__(self, loader):
        super().__init__(loader)
        ctx = loader.multiprocessing_context
        if ctx is None:
            ctx = _default_context()
        elif isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx)
        self._n = loader.num_workers
        _warn_if_too_many_workers(self._n)
        self._prefetch = loader.prefetch_factor
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        self._in_order = loader.in_order
        self._shut = False
        self._epoch = 0
        self._result_queue = _worker.ResultQueue(ctx)
        self._index_queues, self._workers = [], []
        self._reader = _receive.MessageReader(self._result_queue._reader, self._workers)
        self._finalizer = weakref.finalize(self, _shutdown_workers, self._workers, self._index_queues,
                                           self._result_queue, os.getpid())
        factory = functools.partial(make_fetcher, self._is_iterable, self._auto_collation, self._collate_fn,
                                    self._drop_last)
        try:
            for wid in range(self._n):
                iq = ctx.Queue()
                iq.cancel_join_thread()
                w = ctx.Process(target=_worker.worker_loop,
                                args=(factory, iq, self._result_queue, wid, self._n, self._base_seed + wid,
                                      loader.worker_init_fn, self._dataset, os.getpid()),
                                daemon=True)
                w.start()
                self._index_queues.append(iq)
                self._workers.append(w)
        except BaseException:
            self._shutdown()
            raise
        self._start_epoch()

    def _start_epoch(self):
        self._task_info = {}          # task id -> (worker id,) while pending, (worker id, data) when done
        self._send_idx = 0
        self._rcvd_idx = 0
        self._active = [True] * self._n
        self._worker_cycle = itertools.cycle(range(self._n))
        for _ in range(self._prefetch * self._n):
            self._try_put_index()

    def _reset(self, loader):
        """Start a new epoch on the same (persistent) workers."""
        self._base_seed = _draw_base_seed(loader)  # keep the random stream in step with a fresh iterator
        self._sampler_iter = iter(self._index_sampler)
        self._epoch += 1
        for q in self._index_queues:
            q.put(_worker._ResumeIteration(self._epoch))
        acks = 0
        while acks < self._n:
            epoch, task_id, _ = self._get_data()
            if epoch == self._epoch and task_id is None:
                acks += 1
        self._start_epoch()

    def _try_put_index(self):
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._n):
            wid = next(self._worker_cycle)
            if self._active[wid]:
                break
        else:
            return
        self._index_queues[wid].put((self._epoch, self._send_idx, index))
        self._task_info[self._send_idx] = (wid,)
        self._send_idx += 1

    def _get_data(self):
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = _POLL if deadline is None else max(0.0, min(_POLL, deadline - time.monotonic()))
            try:
                return self._reader.get(wait)
            except _receive.WorkerDied:
                self._shutdown()
                raise
            except TimeoutError:
                if deadline is not None and time.monotonic() >= deadline:
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds waiting for a "
                                       f"batch from its workers; raise timeout= or make __getitem__ faster") from None

    def __next__(self):
        if self._shut:
            raise StopIteration
        while True:
            # skip tasks that will never be answered (their worker's IterableDataset ran out)
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None and (len(info) == 2 or self._active[info[0]]):
                    break
                self._task_info.pop(self._rcvd_idx, None)
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
                return self._process(info[1])
            epoch, task_id, data = self._get_data()
            if epoch != self._epoch or task_id is None or task_id not in self._task_info:
                continue  # left over from an earlier epoch
            if isinstance(data, _worker._IterableDatasetStop):
                self._active[data.worker_id] = False
                del self._task_info[task_id]
                self._try_put_index()
                continue
            if task_id == self._rcvd_idx or not self._in_order:
                del self._task_info[task_id]
                if task_id == self._rcvd_idx:
                    self._rcvd_idx += 1
                return self._process(data)
            self._task_info[task_id] = (self._task_info[task_id][0], data)

    def _process(self, data):
        self._try_put_index()
        if isinstance(data, _worker.ExceptionWrapper):
            data.reraise()
        return data

    def _shutdown(self):
        if self._shut:
            return
        self._shut = True
        self._finalizer()


def _shutdown_workers(workers, index_queues, result_queue, owner_pid):
    """Stop workers and close queues. Runs from a weakref finalizer that holds the queues, so they
    are still open even when the iterator dies inside a garbage cycle (e.g. held by a traceback).
    A forked worker inherits the finalizers of other loaders' iterators: there it does nothing,
    since only the process that started the workers may join them."""
    if os.getpid() != owner_pid:
        return
    for q in index_queues:
        try:
            q.put(None)
        except Exception:
            pass
    for w in workers:
        w.join(timeout=5)
        if w.is_alive():
            w.terminate()
            w.join(timeout=1)
    for q in index_queues + [result_queue]:
        q.cancel_join_thread()
        q.close()
