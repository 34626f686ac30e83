"""DataLoader worker processes: the loop each worker runs, ``get_worker_info``, and carrying an
exception (with its traceback text) back to the main process."""
import multiprocessing.queues
import os
import queue
import random
import sys
import traceback

import numpy as np

from ..._random import manual_seed

__all__ = ["get_worker_info", "WorkerInfo"]

_worker_info = None

# How often an idle worker checks that the main process is still alive (seconds).
_POLL = 1.0


class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: ``id``, ``num_workers``, ``seed``, ``dataset``.

    Example:
        >>> info = get_worker_info()
        >>> start = info.id * per_worker if info is not None else 0
    """
    __initialized = False

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs)
        self.__initialized = True

    def __setattr__(self, key, val):
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")
        return super().__setattr__(key, val)

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={getattr(self, k)!r}' for k in self.__keys)})"


def get_worker_info():
    """Inside a DataLoader worker: its ``WorkerInfo`` (id, num_workers, seed, dataset copy).
    In the main process: ``None``.

    Example:
        >>> info = get_worker_info()
        >>> if info is not None: shard = range(info.id, n, info.num_workers)
    """
    return _worker_info


class ExceptionWrapper:
    """An exception raised in a worker, carried by type and traceback text (always picklable)."""

    def __init__(self, exc_info=None, where="in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)  # KeyError would repr() the text and lose the newlines
        try:
            exc = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exc


class _KeyErrorMessage(str):
    def __repr__(self):
        return self


class _IterableDatasetStop:
    """Sent by a worker whose IterableDataset is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class _ResumeIteration:
    """Sent to persistent workers at the start of a new epoch."""

    def __init__(self, epoch):
        self.epoch = epoch


class ResultQueue(multiprocessing.queues.Queue):
    """The workers' result queue. A batch that cannot be pickled (a lambda, an open file, ...) fails
    in the queue's feeder thread, where Python would only print it; here it becomes that task's
    error, re-raised in the main process instead of leaving it waiting forever."""

    def __init__(self, ctx):
        super().__init__(ctx=ctx)

    def _on_queue_feeder_error(self, e, obj):
        if isinstance(obj, tuple) and len(obj) == 3 and obj[1] is not None:
            try:
                raise TypeError(f"a DataLoader worker could not send its batch to the main process: {e}. "
                                f"Batches must be picklable: return tensors, arrays, numbers, strings and "
                                f"containers of them from __getitem__ and collate_fn") from e
            except TypeError:
                self.put((obj[0], obj[1], ExceptionWrapper(where="in DataLoader worker process")))
        else:
            super()._on_queue_feeder_error(e, obj)


def _seed_worker(seed):
    random.seed(seed)
    np.random.seed(seed % (1 << 32))
    manual_seed(seed)


def worker_loop(fetcher_factory, index_queue, result_queue, worker_id, num_workers, seed, init_fn,
                dataset, parent_pid):
    """Run in a child process: take ``(epoch, task_id, index)`` tasks, send ``(epoch, task_id, data)``.

    ``None`` on the index queue ends the loop; so does the main process going away.
    """
    global _worker_info
    try:
        _seed_worker(seed)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
        init_error = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = fetcher_factory(dataset)
        except Exception:
            init_error = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
            fetcher = None
        exhausted = False
        while True:
            try:
                task = index_queue.get(timeout=_POLL)
            except queue.Empty:
                if os.getppid() != parent_pid:
                    return  # the main process died: nobody will read our results
                continue
            if task is None:
                return
            if isinstance(task, _ResumeIteration):
                if fetcher is not None and init_error is None:
                    try:
                        fetcher = fetcher_factory(dataset)
                    except Exception:
                        init_error = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
                exhausted = False
                result_queue.put((task.epoch, None, None))
                continue
            epoch, task_id, index = task
            if init_error is not None:
                data = init_error
            elif exhausted:
                data = _IterableDatasetStop(worker_id)
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    exhausted = True
                    data = _IterableDatasetStop(worker_id)
                except Exception:
                    data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
            result_queue.put((epoch, task_id, data))
            del data
    except KeyboardInterrupt:
        pass
    finally:
        # Results nobody will read must not keep this process alive at exit.
        result_queue.cancel_join_thread()
