"""Convolutional workloads beside the CIFAR-10 network: a LeNet-5 training step (batch 64,
1x32x32) and a pre-activation residual block, BatchNorm-ReLU-Conv3x3 twice plus the shortcut
(batch 32, 64 channels, 16x16), forward and backward in training mode; and two of LeNet-5's
kernels on their own (its second conv, and ReLU + max-pool with tied windows).

Each setup imports only its own library; weights come from ``manual_seed(0)`` (the same in both,
as ember reproduces PyTorch's random streams) and data from NumPy.
"""
import importlib

import numpy as np

from run import Workload, module_step, train_step


def lenet5(nn):
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def lenet5_step(name, batch=64):
    def setup():
        lib = importlib.import_module(name)
        lib.manual_seed(0)
        model = lenet5(lib.nn)
        opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        loss_fn = lib.nn.CrossEntropyLoss()
        rng = np.random.default_rng(0)
        x = lib.tensor(rng.standard_normal((batch, 1, 32, 32)).astype(np.float32))
        y = lib.tensor(rng.integers(0, 10, batch).astype(np.int64))
        return train_step(model, opt, loss_fn, x, y)
    return setup


def residual_block(lib, channels=64):
    """x + conv(relu(bn(conv(relu(bn(x)))))): the pre-activation ResNet block."""
    nn = lib.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.bn1, self.conv1 = nn.BatchNorm2d(channels), nn.Conv2d(channels, channels, 3, padding=1, bias=False)
            self.bn2, self.conv2 = nn.BatchNorm2d(channels), nn.Conv2d(channels, channels, 3, padding=1, bias=False)

        def forward(self, x):
            h = self.conv1(nn.functional.relu(self.bn1(x)))
            return x + self.conv2(nn.functional.relu(self.bn2(h)))
    return Block()


def residual_step(name, batch=32, channels=64, size=16):
    return module_step(name, lambda lib: residual_block(lib, channels),
                       (batch, channels, size, size))


def lenet_conv2_step(name, batch=64):
    """LeNet-5's second conv (6 -> 16 channels, 5x5, on 14x14) forward and backward, input
    gradient included: the shifted-rows input gradient of few-channel convs."""
    return module_step(name, lambda lib: lib.nn.Conv2d(6, 16, 5), (batch, 6, 14, 14))


def relu_pool_step(name, shape=(64, 6, 28, 28)):
    """ReLU then 2x2 max-pool, forward and backward: windows of zeros are ties, whose gradient
    goes to each window's first maximum."""
    def setup():
        lib = importlib.import_module(name)
        x = lib.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32), requires_grad=True)

        def step():
            x.grad = None
            lib.nn.functional.max_pool2d(lib.nn.functional.relu(x), 2).sum().backward()
        return step
    return setup


WORKLOADS = [
    Workload("LeNet-5 SGD step (batch 64, 1x32x32)", lenet5_step("ember"), lenet5_step("torch"),
             required={1: 1.5}, goal=1.0),
    Workload("BN-ReLU-Conv3x3 residual block fwd+bwd (32x64x16x16)", residual_step("ember"),
             residual_step("torch"), required={1: 1.5}, goal=1.0),
    Workload("LeNet-5 conv2 6->16 5x5 fwd+bwd (64x6x14x14)", lenet_conv2_step("ember"), lenet_conv2_step("torch")),
    Workload("ReLU + max-pool 2x2 fwd+bwd (64x6x28x28)", relu_pool_step("ember"), relu_pool_step("torch")),
]
