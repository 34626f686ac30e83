"""``record_function("name")``: a user range in the profiler's results (context manager or
decorator). With no profiler recording it costs one check.

Example:
    >>> with record_function("model_inference"):
    ...     y = model(x)
    >>> @record_function("preprocess")
    ... def preprocess(x): ...
"""
import functools

from ._recorder import ACTIVE


class record_function:
    """A named range recorded by the running profiler (``torch.profiler.record_function``)."""

    def __init__(self, name, args=None):
        if not isinstance(name, str):
            raise TypeError(f"record_function(name): expected a str, got {type(name).__name__}")
        self.name, self.args = name, args
        self._event = self._recorder = None

    def __enter__(self):
        rec = ACTIVE[0]
        if rec is not None:
            self._recorder, self._event = rec, rec.begin(self.name, category="user_annotation")
        return self

    def __exit__(self, *exc):
        if self._event is not None:
            self._recorder.end(self._event)
            self._event = self._recorder = None
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)
        return wrapper
