"""ember.utils.viz: seeing backprop.

- ``make_dot(loss)`` / ``render(dot, "graph.svg")`` (``graph.py``): the autograd graph as Graphviz DOT text;
- ``explain(loss)`` (``explain.py``): for a small graph, the chain rule with numbers: each step's
  value, local derivative, incoming gradient and the gradient it sends on (build the loss
  inside ``with recording():`` to see every intermediate value).

Example:
    >>> from ember.utils.viz import explain, recording
    >>> with recording():
    ...     loss = 0.5 * (y - w2 * (w1 * x)) ** 2
    >>> print(explain(loss, names={"w1": w1, "w2": w2, "x": x, "y": y}))
"""
from .explain import Explanation, explain, recording
from .graph import make_dot, render

__all__ = ["make_dot", "render", "explain", "recording", "Explanation"]
