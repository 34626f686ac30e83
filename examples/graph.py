"""See backprop: the computation graph of the two-weight example as Graphviz DOT text.

Run: python examples/graph.py [OUT.svg]   (drawing needs Graphviz's `dot`; the text always prints)
"""
import sys

import ember as torch
from ember.utils.viz import make_dot, render

x, y = torch.tensor(2.0), torch.tensor(10.0)
w1 = torch.tensor(1.5, requires_grad=True)
w2 = torch.tensor(0.5, requires_grad=True)
loss = 0.5 * (y - w2 * (w1 * x)) ** 2

dot = make_dot(loss, params={"w1": w1, "w2": w2})
print(dot)
if len(sys.argv) > 1:
    try:
        print("wrote", render(dot, sys.argv[1]))
    except RuntimeError as e:
        print(e)
