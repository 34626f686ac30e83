"""One SGD-with-momentum training step of the tutorial's CIFAR-10 network (batch 64, 3x32x32).

Forward, CrossEntropyLoss, backward and the optimizer update, ember vs PyTorch, with the same
weights and data.
"""
import numpy as np

from run import Workload, train_step

BATCH = 64


def build(nn):
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 10))


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, BATCH)
    return x, y


def _step(lib, model, x, y):
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return train_step(model, opt, lib.nn.CrossEntropyLoss(), x, y)


def _ember():
    import ember
    import torch
    xs, ys = _data()
    torch.manual_seed(0)
    model = build(ember.nn)
    ref = build(torch.nn)
    model.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()})
    return _step(ember, model, ember.tensor(xs), ember.tensor(ys))


def _torch():
    import torch
    xs, ys = _data()
    torch.manual_seed(0)
    model = build(torch.nn)
    return _step(torch, model, torch.tensor(xs), torch.tensor(ys))


WORKLOADS = [
    Workload("CIFAR-10 convnet SGD step (batch 64)", _ember, _torch, required=2.0, goal=1.0),
]
