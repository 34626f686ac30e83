"""A chain of 10 elementwise ops plus a sum, forward+backward: on 16x128 float32 it measures the
per-op overhead; on 1024x1024 the arithmetic and memory traffic (and whether both cores are used)."""
import numpy as np

from run import Workload, setups

SHAPE = (16, 128)


def _chain(x, w):
    y = x * w
    y = y + 1.0
    y = y.tanh()
    y = y * 2.0
    y = y - x
    y = y.exp()
    y = y / 3.0
    y = y.sigmoid()
    y = y * y
    y = y.relu()
    return y.sum()


def _make(lib, shape=SHAPE):
    def setup():
        rng = np.random.default_rng(0)
        xs = rng.standard_normal(shape).astype(np.float32)
        ws = rng.standard_normal(shape).astype(np.float32)
        x = lib.tensor(xs, requires_grad=True)
        w = lib.tensor(ws, requires_grad=True)

        def step():
            x.grad = None
            w.grad = None
            _chain(x, w).backward()
        return step
    return setup


WORKLOADS = [
    Workload("elementwise chain x10 + sum, fwd+bwd (16x128)", *setups(_make), required=1.0, goal=0.5),
    Workload("elementwise chain x10 + sum, fwd+bwd (1024x1024)", *setups(lambda lib: _make(lib, (1024, 1024)))),
]
