"""``ember explain``: backprop of the tutorials' worked example, with numbers.

The example: y_hat = w2 * (w1 * x), L = 1/2 (y - y_hat)^2, with the tutorials' numbers
(x = 2, y = 10, w1 = 1.5, w2 = 0.5; ``--x --y --w1 --w2`` change them). The table
(:func:`ember.utils.viz.explain`) shows each step's value, local derivative, incoming gradient
and the gradient it sends on; the closing lines check the result against the closed forms

    dL/dy_hat = y_hat - y,   dL/dw2 = (y_hat - y) * w1 * x,   dL/dw1 = (y_hat - y) * w2 * x
"""
import math

import ember
from ember.utils.viz import explain, recording

from .trainer import CLIError

__all__ = ["example", "run", "add_parser"]

DEFAULTS = {"x": 2.0, "y": 10.0, "w1": 1.5, "w2": 0.5}


def example(x=2.0, y=10.0, w1=1.5, w2=0.5):
    """The worked example's :class:`ember.utils.viz.Explanation` and its tensors (a dict)."""
    t = {"x": ember.tensor(float(x)), "y": ember.tensor(float(y)),
         "w1": ember.tensor(float(w1), requires_grad=True), "w2": ember.tensor(float(w2), requires_grad=True)}
    with recording():
        t["y_hat"] = t["w2"] * (t["w1"] * t["x"])
        t["L"] = 0.5 * (t["y"] - t["y_hat"]) ** 2
    return explain(t["L"], names=t), t


def run(args):
    values = {k: getattr(args, k) for k in DEFAULTS}
    for k, v in values.items():
        if not math.isfinite(v):
            raise CLIError(f"--{k}: expected a finite number, got {v}")
    ex, t = example(**values)
    x, y, w1, w2 = (values[k] for k in ("x", "y", "w1", "w2"))
    y_hat = float(t["y_hat"])
    print(f"the tutorials' example: y_hat = w2 * (w1 * x), L = 1/2 (y - y_hat)^2 "
          f"with x = {x:g}, y = {y:g}, w1 = {w1:g}, w2 = {w2:g}\n")
    print(ex)
    print(f"\nclosed forms: dL/dy_hat = y_hat - y = {y_hat - y:.6g};  dL/dw2 = (y_hat - y) * w1 * x = "
          f"{(y_hat - y) * w1 * x:.6g};  dL/dw1 = (y_hat - y) * w2 * x = {(y_hat - y) * w2 * x:.6g}")
    return 0


def add_parser(sub):
    """Register ``ember explain`` on the command's subparsers."""
    p = sub.add_parser("explain", help="backprop of the tutorials' two-weight example, step by step with numbers",
                       description="Print the chain rule of y_hat = w2 * (w1 * x), L = 1/2 (y - y_hat)^2 as a table: "
                                   "each step's value, local derivative, incoming gradient and the gradient it "
                                   "sends on (ember.utils.viz.explain).")
    for k, v in DEFAULTS.items():
        p.add_argument(f"--{k}", type=float, default=v, metavar="V", help=f"{k} (default: {v:g})")
    return p
