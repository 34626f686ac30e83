"""Reading the workers' result pipe in the main process without ever blocking on a dead writer.

``multiprocessing.Queue.get`` reads a whole message once its first byte arrives; a worker killed
half-way through sending a large batch (the kernel's OOM killer does that) leaves it waiting for the
rest forever. Here the main process reads whatever bytes are there, frames the messages itself
(the format ``Connection.send_bytes`` writes: a 4-byte big-endian length, or -1 then an 8-byte
length) and, whenever no byte arrives, checks the workers' process sentinels."""
import os
import select
import signal
import struct
import time
from multiprocessing.reduction import ForkingPickler

_CHUNK = 1 << 20


class WorkerDied(RuntimeError):
    """A DataLoader worker ended while the main process was waiting for its results."""


def death_message(dead):
    """PyTorch's words for workers that ended: by a signal, or with an exit code."""
    for w in dead:
        code = w.exitcode
        if code is not None and code < 0:
            try:
                name = signal.strsignal(-code) or f"signal {-code}"
            except (ValueError, OSError):
                name = f"signal {-code}"
            return f"DataLoader worker (pid {w.pid}) is killed by signal: {name}. "
    pids = ", ".join(str(w.pid) for w in dead)
    return f"DataLoader worker (pid(s) {pids}) exited unexpectedly"


class MessageReader:
    """Framed, pickled messages from the read end ``conn`` of a pipe written by ``workers``."""

    def __init__(self, conn, workers):
        self._conn = conn
        self._workers = workers
        self._buf = bytearray()

    def _take(self):
        buf = self._buf
        if len(buf) < 4:
            return None
        size, = struct.unpack("!i", buf[:4])
        start = 4
        if size == -1:
            if len(buf) < 12:
                return None
            size, = struct.unpack("!Q", buf[4:12])
            start = 12
        if len(buf) < start + size:
            return None
        msg = bytes(buf[start:start + size])
        del buf[:start + size]
        return ForkingPickler.loads(msg)

    def dead(self):
        """The workers that have ended (reaped, so none is left a zombie)."""
        out = []
        for w in self._workers:
            if w.exitcode is not None or not w.is_alive():
                w.join(timeout=0)
                out.append(w)
        return out

    def get(self, timeout):
        """The next message; ``queue.Empty``-like ``TimeoutError`` after ``timeout`` seconds without a
        whole message; ``WorkerDied`` as soon as a worker is found dead while waiting."""
        msg = self._take()
        if msg is not None:
            return msg
        deadline = time.monotonic() + timeout
        fd = self._conn.fileno()
        while True:
            sentinels = [w.sentinel for w in self._workers]
            left = max(0.0, deadline - time.monotonic())
            try:
                ready, _, _ = select.select([fd] + sentinels, [], [], left)
            except InterruptedError:
                ready = []
            if fd in ready:
                chunk = os.read(fd, _CHUNK)
                if chunk:
                    self._buf += chunk
                    msg = self._take()
                    if msg is not None:
                        return msg
                    continue
            dead = self.dead()
            if dead:
                raise WorkerDied(death_message(dead))
            if time.monotonic() >= deadline:
                raise TimeoutError
