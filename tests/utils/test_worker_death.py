"""A DataLoader worker killed by a signal (as the OOM killer does) while the main process waits for
its batch: a clear error every time, no hang, no zombie or orphan left behind."""
import multiprocessing
import os
import select
import signal
import threading
import time

import numpy as np
import pytest

from ember.utils.data import DataLoader, Dataset
from ember.utils.data import _receive

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL") or not hasattr(signal, "setitimer"),
                                reason="POSIX signals")


class KilledWhileSending(Dataset):
    """Item 0 is a large array; the worker SIGKILLs itself a moment after handing it over, that is
    while pickling or writing it into the pipe."""

    def __init__(self, delay):
        self.delay = delay

    def __len__(self):
        return 3

    def __getitem__(self, i):
        if i == 0:
            pid = os.getpid()
            threading.Thread(target=lambda: (time.sleep(self.delay), os.kill(pid, signal.SIGKILL)),
                             daemon=True).start()
        return np.ones(4 << 20, np.float64)  # 32 MiB: far more than a pipe's buffer


class Big(Dataset):
    def __len__(self):
        return 3

    def __getitem__(self, i):
        return np.ones(4 << 20, np.float64)


class _Alarm(Exception):
    pass


def _bounded(fn, seconds):
    def ring(*_):
        raise _Alarm(f"no answer within {seconds} s: the main process hangs")
    old = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _gone(pid):
    """True when no process (not even a zombie) has this pid."""
    return not os.path.exists(f"/proc/{pid}") if os.path.isdir("/proc") else True


def _kill_once(delay):
    loader = DataLoader(KilledWhileSending(delay), batch_size=None, num_workers=1)
    it = iter(loader)
    pids = [w.pid for w in it._workers]
    with pytest.raises(RuntimeError) as info:
        _bounded(lambda: list(it), 20)
    return str(info.value), pids


def _kill_mid_message():
    """SIGKILL the worker as soon as the first bytes of its 32 MiB batch reach the pipe."""
    it = iter(DataLoader(Big(), batch_size=None, num_workers=1))
    pid = it._workers[0].pid
    fd = it._result_queue._reader.fileno()

    def watch():
        select.select([fd], [], [], 20)
        os.kill(pid, signal.SIGKILL)
    t = threading.Thread(target=watch, daemon=True)
    t.start()
    with pytest.raises(RuntimeError) as info:
        # list(): should the main process win the race and get the whole first batch, the next one fails
        _bounded(lambda: list(it), 20)
    t.join()
    return str(info.value), pid


def test_sigkill_mid_batch_20_times_gives_20_clear_errors():
    for _ in range(20):
        msg, pid = _kill_mid_message()
        assert msg == f"DataLoader worker (pid {pid}) is killed by signal: Killed. ", msg
        assert _gone(pid)
    assert multiprocessing.active_children() == []


def test_worker_kills_itself_while_handing_over_a_batch():
    for k in range(10):
        msg, pids = _kill_once(0.002 * k)
        assert msg == f"DataLoader worker (pid {pids[0]}) is killed by signal: Killed. ", msg
        assert all(_gone(p) for p in pids)
    assert multiprocessing.active_children() == []


def test_worker_killed_with_half_a_message_in_the_pipe(monkeypatch):
    # Deterministic: the main process kills the worker right after reading the first bytes of its
    # 32 MiB batch, so the pipe surely holds part of a message.
    real_read = os.read
    state = {}

    class FakeOs:
        def __getattr__(self, name):
            return getattr(os, name)

        @staticmethod
        def read(fd, n):
            data = real_read(fd, n)
            if data and "done" not in state:
                state["done"] = True
                os.kill(state["pid"], signal.SIGKILL)
            return data

    monkeypatch.setattr(_receive, "os", FakeOs())
    it = iter(DataLoader(Big(), batch_size=None, num_workers=1))
    state["pid"] = it._workers[0].pid
    with pytest.raises(RuntimeError, match=r"is killed by signal: Killed\. $"):
        _bounded(lambda: next(it), 20)
    assert state.get("done") and _gone(state["pid"])


def test_forked_worker_ignores_finalizers_of_other_loaders():
    # A worker forked while another loader's iterator is alive inherits that iterator's finalizer;
    # running it there must not try to join processes that are not its children.
    it = iter(DataLoader(Big(), batch_size=None, num_workers=1))
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: like a worker of a second loader
        os.close(r)
        try:
            it._finalizer()
            os.write(w, b"ok")
        except BaseException as e:  # noqa: BLE001 - reported to the parent
            os.write(w, repr(e).encode()[:200])
        finally:
            os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    out = os.read(r, 300)
    os.close(r)
    assert out == b"ok", out
    assert all(p.is_alive() for p in it._workers)  # the child did not stop the parent's workers
    it._shutdown()
