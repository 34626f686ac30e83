"""``torch.utils.benchmark.Timer``: time a statement with ``timeit``, on ``num_threads`` of
ember's threads (set for the timing, restored after), and return a ``Measurement``.

``timeit(number)`` runs a warm-up of ``max(number // 100, 2)`` runs, then times ``number`` runs
(``setup`` runs before each, as PyTorch's). ``blocked_autorange`` picks a block size whose timer
overhead is negligible and times blocks until ``min_run_time`` seconds have passed;
``adaptive_autorange`` keeps timing until the IQR is below ``threshold`` of the median.

Example:
    >>> t = Timer(stmt="x @ x", globals={"x": ember.randn(64, 64)})
    >>> m = t.blocked_autorange(min_run_time=0.2)
    >>> m.median            # seconds per run
"""
import contextlib
import textwrap
import timeit

import numpy as np

import ember

from .... import _parallel
from .common import Measurement, TaskSpec

__all__ = ["Timer", "Language"]


class Language:
    PYTHON = 0
    CPP = 1


@contextlib.contextmanager
def set_ember_threads(n):
    """Run the block on ``n`` of ember's threads, then restore the previous count."""
    prior = _parallel.get_num_threads()
    try:
        _parallel.set_num_threads(n)
        yield
    finally:
        _parallel.set_num_threads(prior)


def _clean(code, what):
    if not isinstance(code, str):
        raise ValueError(f"Timer({what}=...): only a `str` of Python code is supported (as PyTorch's Timer), "
                         f"got {type(code).__name__}; for a function f use stmt=\"f()\", globals={{\"f\": f}}")
    code = textwrap.dedent(code)
    return (code[1:] if code and code[0] == "\n" else code).rstrip()


class Timer:
    """Time ``stmt`` after ``setup``, in ``globals`` (``torch`` there is ember), on ``num_threads`` threads.

    Example:
        >>> t = Timer("a + b", globals={"a": ember.ones(3), "b": ember.ones(3)}, label="add")
        >>> print(t.timeit(1000))
    """

    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=timeit.default_timer, globals=None,
                 label=None, sub_label=None, description=None, env=None, num_threads=1, language=Language.PYTHON):
        if language not in (Language.PYTHON, "py", "python"):
            raise NotImplementedError(f"Timer(language={language!r}): ember times Python statements only")
        if global_setup:
            raise NotImplementedError("Timer(global_setup=...) is for C++ statements; ember times Python only")
        if not isinstance(num_threads, int) or num_threads < 1:
            raise ValueError(f"Timer(num_threads=...): expected a positive int, got {num_threads!r}")
        self._globals = dict(globals or {})
        self._globals.setdefault("torch", ember)
        stmt, setup = _clean(stmt, "stmt"), _clean(setup, "setup")
        self._timer = timeit.Timer(stmt=stmt, setup=setup, timer=timer, globals=self._globals)
        self._task_spec = TaskSpec(stmt=stmt, setup=setup, label=label, sub_label=sub_label,
                                   description=description, env=env, num_threads=num_threads)

    def _timeit(self, number):
        return max(self._timer.timeit(number), 1e-9)

    def timeit(self, number=1000000):
        """Run ``stmt`` ``number`` times (after a short warm-up) and return one Measurement."""
        with set_ember_threads(self._task_spec.num_threads):
            self._timeit(number=max(int(number // 100), 2))
            return Measurement(number_per_run=number, raw_times=[self._timeit(number=number)],
                               task_spec=self._task_spec)

    def repeat(self, repeat=-1, number=-1):
        raise NotImplementedError("Timer.repeat: see timeit(), blocked_autorange() or adaptive_autorange()")

    def autorange(self, callback=None):
        raise NotImplementedError("Timer.autorange: use blocked_autorange() or adaptive_autorange()")

    def _measurement_loop(self, number, stop, min_run_time, max_run_time=None, callback=None):
        total, can_stop, times = 0.0, False, []
        with set_ember_threads(self._task_spec.num_threads):
            while total < min_run_time or not can_stop:
                spent = self._timeit(number)
                times.append(spent)
                total += spent
                if callback:
                    callback(number, spent)
                can_stop = stop(times)
                if max_run_time and total > max_run_time:
                    break
        return times

    def _estimate_block_size(self, min_run_time):
        """Runs per block: the timer's own overhead under 0.01% and a block of at least
        ``min_run_time / 1000`` seconds."""
        with set_ember_threads(self._task_spec.num_threads):
            overhead = float(np.median([self._timeit(0) for _ in range(5)]))
            number = 1
            while True:
                taken = self._timeit(number)
                if (overhead / taken <= 1e-4 and taken >= min_run_time / 1000) or taken > min_run_time:
                    break
                if number * 10 > 2147483647:
                    break
                number *= 10
        return number

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        """Time blocks of runs until at least ``min_run_time`` seconds have been measured."""
        number = self._estimate_block_size(min_run_time)
        times = self._measurement_loop(number, lambda times: True, min_run_time, callback=callback)
        return Measurement(number_per_run=number, raw_times=times, task_spec=self._task_spec)

    def adaptive_autorange(self, threshold=0.1, *, min_run_time=0.01, max_run_time=10.0, callback=None):
        """Time blocks until IQR / median < ``threshold`` (after ``min_run_time``), at most ``max_run_time``."""
        number = self._estimate_block_size(min_run_time=0.05)

        def stop(times):
            if len(times) > 3:
                return Measurement(number, times, self._task_spec).meets_confidence(threshold)
            return False
        times = self._measurement_loop(number, stop, min_run_time, max_run_time, callback)
        return Measurement(number_per_run=number, raw_times=times, task_spec=self._task_spec)
