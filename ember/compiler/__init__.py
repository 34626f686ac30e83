"""``ember.compile`` and its settings, as ``torch.compile`` / ``torch.compiler``.

A compiled function records the ops of its first call per input signature and replays them
(NumPy calls on arrays, one graph node for backward) on later calls; see ``api.py``.

Example:
    >>> @ember.compile
    ... def f(x, w):
    ...     return (x * w).tanh().sum()
"""
from .api import CompiledFunction, OptimizedModule, compile, config, is_compiling, reset
from .breaks import Unsupported

__all__ = ["compile", "config", "is_compiling", "reset", "Unsupported", "OptimizedModule", "CompiledFunction"]
