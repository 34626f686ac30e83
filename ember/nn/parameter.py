"""Parameter: a Tensor that a Module registers as a learnable weight."""
import numpy as np

from .._tensor import Tensor, _wrap

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """A Tensor that requires grad by default and registers itself when assigned to a Module.

    ``Parameter(t)`` shares ``t``'s memory (no copy).

    Example:
        >>> w = ember.nn.Parameter(ember.zeros(2))
        >>> w
        Parameter containing:
        tensor([0., 0.], requires_grad=True)
    """
    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            arr = np.empty((0,), dtype=np.float32)
            vc = [0]
        elif isinstance(data, Tensor):
            arr, vc = data._data, data._vc
        else:
            raise TypeError(f"Parameter(data): data must be a Tensor, got {type(data).__name__}; "
                            "wrap it first with ember.tensor(...)")
        p = object.__new__(cls)
        p._data = arr
        p.grad_fn = None
        p._grad = None
        p._vc = vc
        p._out_idx = 0
        p._acc = None
        p.requires_grad = False
        if requires_grad:
            p.requires_grad_(True)
        return p

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data, self.requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        p = Parameter(_wrap(self._data.copy()), self.requires_grad)
        if self._grad is not None:
            p._grad = _wrap(self._grad._data.copy())
        memo[id(self)] = p
        return p


def _rebuild_parameter(data, requires_grad):
    return Parameter(_wrap(np.array(data)), requires_grad)


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module (``persistent=True``).

    Example:
        >>> m.running = ember.nn.Buffer(ember.zeros(3))   # same as m.register_buffer('running', ...)
    """
    __slots__ = ("persistent",)

    def __new__(cls, data=None, *, persistent=True):
        arr = np.empty((0,), np.float32) if data is None else data._data
        b = object.__new__(cls)
        b._data = arr
        b.grad_fn = None
        b._grad = None
        b._vc = [0] if data is None else data._vc
        b._out_idx = 0
        b._acc = None
        b.requires_grad = False if data is None else data.requires_grad
        b.persistent = persistent
        return b

    def __init__(self, data=None, *, persistent=True):
        pass
