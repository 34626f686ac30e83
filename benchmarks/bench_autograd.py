"""A chain of 10 elementwise ops plus a sum, forward+backward: on 16x128 float32 it measures the
per-op overhead; on 1024x1024 the arithmetic and memory traffic (and whether both cores are used).
Also on 1024x1024: heavier activations (GELU, SiLU, tanh, sigmoid), and full sums/means — what
ember/_blocked.py splits across threads."""
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


def _activations(lib, x):
    y = lib.nn.functional.gelu(x)
    y = lib.nn.functional.silu(y)
    y = y.tanh()
    return y.sigmoid().sum()


def _reductions(lib, x):
    return x.sum() + x.mean() * 2.0 + (x * x).sum()


def _make_one(lib, fn, shape=(1024, 1024)):
    def setup():
        xs = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        x = lib.tensor(xs, requires_grad=True)

        def step():
            x.grad = None
            fn(lib, x).backward()
        return step
    return setup


WORKLOADS += [
    Workload("activations gelu, silu, tanh, sigmoid + sum, fwd+bwd (1024x1024)",
             *setups(lambda lib: _make_one(lib, _activations))),
    Workload("full sums and mean, fwd+bwd (1024x1024)", *setups(lambda lib: _make_one(lib, _reductions))),
]
