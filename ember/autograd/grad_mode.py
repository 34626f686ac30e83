"""Grad mode: whether operations record the graph. Context managers that also work as decorators."""
import functools


class _State:
    enabled = True
    inference = False       # inside inference_mode(True) (ember.is_inference_mode_enabled)


def is_grad_enabled():
    """True when operations on tensors that require grad record the graph."""
    return _State.enabled


class _GradModeContext:
    _mode = None

    def __enter__(self):
        # a stack, so one instance can be entered again while already active
        self.__dict__.setdefault("_prevs", []).append(_State.enabled)
        _State.enabled = self._mode

    def __exit__(self, *exc):
        _State.enabled = self._prevs.pop()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradModeContext):
    """Disable graph recording, as ``torch.no_grad``.

    Example:
        >>> with ember.no_grad():
        ...     y = model(x)          # y.requires_grad is False
    """
    _mode = False


class enable_grad(_GradModeContext):
    """Re-enable graph recording inside a ``no_grad`` block."""
    _mode = True


class inference_mode(_GradModeContext):
    """Like ``no_grad`` (ember keeps no extra inference bookkeeping). ``inference_mode(False)`` is a no-op."""

    def __init__(self, mode=True):
        if callable(mode) and not isinstance(mode, bool):  # used as bare @inference_mode
            self._wrapped = mode
            mode = True
        self._mode = not mode if mode else _State.enabled
        self._flag = mode

    def __enter__(self):
        self.__dict__.setdefault("_prevs", []).append(_State.enabled)
        self.__dict__.setdefault("_prev_inference", []).append(_State.inference)
        if self._flag:
            _State.enabled = False
        _State.inference = bool(self._flag)

    def __exit__(self, *exc):
        _State.enabled = self._prevs.pop()
        _State.inference = self._prev_inference.pop()

    def __call__(self, *args, **kwargs):
        if hasattr(self, "_wrapped"):
            with inference_mode(True):
                return self._wrapped(*args, **kwargs)
        fn = args[0]

        @functools.wraps(fn)
        def wrapper(*a, **k):
            with inference_mode(self._flag):
                return fn(*a, **k)
        return wrapper


class set_grad_enabled(_GradModeContext):
    """Set grad mode on or off; works as a function call, context manager or decorator."""

    def __init__(self, mode):
        self._prev = _State.enabled
        self._mode = bool(mode)
        _State.enabled = self._mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _State.enabled = self._prev
        return False

    def __call__(self, fn):
        _State.enabled = self._prev
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper
