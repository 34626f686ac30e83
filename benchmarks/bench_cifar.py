"""The tutorial's CIFAR-10 network: one SGD-with-momentum training step (forward,
CrossEntropyLoss, backward, update) at batch 1, 16, 64 and 256, and inference at batch 64.

Each setup imports only its own library and builds the weights from ``manual_seed(0)`` (ember
reproduces PyTorch's random streams, so both start from the same weights) and the data from
NumPy, so the runner can time each library in a process of its own.
"""
import importlib

import numpy as np

from run import Workload, train_step


def build(nn):
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 10))


def _data(batch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, batch).astype(np.int64)
    return x, y


def train(name, batch):
    """Setup of one training step of ``name`` ("ember" or "torch") at ``batch``."""
    def setup():
        lib = importlib.import_module(name)
        lib.manual_seed(0)
        model = build(lib.nn)
        opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        loss_fn = lib.nn.CrossEntropyLoss()
        xs, ys = _data(batch)
        return train_step(model, opt, loss_fn, lib.tensor(xs), lib.tensor(ys))
    return setup


def infer(name, batch):
    """Setup of one forward pass of ``name`` in eval mode without gradients."""
    def setup():
        lib = importlib.import_module(name)
        lib.manual_seed(0)
        model = build(lib.nn).eval()
        x = lib.tensor(_data(batch)[0])

        def step():
            with lib.no_grad():
                return model(x)
        return step
    return setup


WORKLOADS = [
    Workload(f"CIFAR-10 convnet SGD step (batch {b})", train("ember", b), train("torch", b),
             required={1: 1.2, 2: 1.5} if b == 64 else None, goal=1.0)
    for b in (1, 16, 64, 256)
] + [
    Workload("CIFAR-10 convnet inference (batch 64)", infer("ember", 64), infer("torch", 64), goal=1.0),
]
