"""Loss overhead on the training hot path: cross-entropy (fused log-softmax + NLL) forward and
backward on phone-price-sized logits (batch 16, 4 classes) and on a larger batch; BCE with logits.
"""
import numpy as np

from run import Workload


def _make(lib, n, c, kind):
    def setup():
        rng = np.random.default_rng(0)
        x = lib.tensor(rng.standard_normal((n, c)).astype(np.float32), requires_grad=True)
        if kind == "ce":
            t = lib.tensor(rng.integers(0, c, n))
            loss = lib.nn.CrossEntropyLoss()
        else:
            t = lib.tensor((rng.random((n, c)) > 0.5).astype(np.float32))
            loss = lib.nn.BCEWithLogitsLoss()

        def step():
            x.grad = None
            loss(x, t).backward()
        return step
    return setup


def _pair(n, c, kind):
    def e():
        import ember
        return _make(ember, n, c, kind)()

    def t():
        import torch
        return _make(torch, n, c, kind)()
    return e, t


WORKLOADS = [
    Workload("CrossEntropyLoss fwd+bwd (16x4, phone-price batch)", *_pair(16, 4, "ce"), goal=1.0),
    Workload("CrossEntropyLoss fwd+bwd (512x100)", *_pair(512, 100, "ce"), goal=1.5),
    Workload("BCEWithLogitsLoss fwd+bwd (64x10)", *_pair(64, 10, "bce"), goal=1.5),
]
