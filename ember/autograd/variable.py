"""``Variable``: PyTorch's pre-0.4 wrapper, kept for old scripts. Every Tensor is a Variable.

``Variable(t)`` is a new leaf Tensor sharing ``t``'s memory (cut from ``t``'s graph), with
``requires_grad`` as given (default False); ``isinstance(t, Variable)`` holds for every Tensor.

Example:
    >>> from ember.autograd import Variable
    >>> w = Variable(ember.zeros(3), requires_grad=True)
"""
import warnings

from .._tensor import Tensor
from .engine import _ExecutionEngine

__all__ = ["Variable"]


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """A Tensor (old API): ``Variable(data, requires_grad=False)``; ``volatile`` has no effect."""
    _execution_engine = _ExecutionEngine()   # queue_callback (end-of-backward callbacks)

    def __new__(cls, data, requires_grad=False, volatile=False):
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}; "
                            "write Variable(ember.tensor(data))")
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                          stacklevel=2)
        return data.detach().requires_grad_(requires_grad)
