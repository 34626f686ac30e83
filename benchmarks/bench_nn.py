"""nn layers: the phone-price MLP training step and the fused normalisation / activation ops,
forward + backward, ember vs PyTorch."""
import numpy as np

from run import Workload, module_step, setups


def _mlp(lib, batch=64):
    def setup():
        nn = lib.nn
        lib.manual_seed(0)
        model = nn.Sequential(nn.Linear(20, 128), nn.ReLU(), nn.Linear(128, 256), nn.ReLU(), nn.Linear(256, 4))
        rng = np.random.default_rng(0)
        x = lib.tensor(rng.standard_normal((batch, 20)).astype(np.float32))
        y = lib.tensor(rng.integers(0, 4, batch).astype(np.int64))
        loss_fn = nn.CrossEntropyLoss()
        params = list(model.parameters())

        def step():
            model.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            with lib.no_grad():
                for p in params:
                    p -= 0.01 * p.grad
        return step
    return setup


def _pair(name, make, shape, required=None, goal=None, train=True):
    return Workload(name, *setups(lambda lib: module_step(lib, lambda l: make(l.nn), shape, train)),
                    required=required, goal=goal)


WORKLOADS = [
    Workload("phone-price MLP 20-128-256-4 SGD step (batch 64)", lambda: _mlp(__import__("ember"))(),
             lambda: _mlp(__import__("torch"))()),
    _pair("BatchNorm2d(32) train fwd+bwd (64x32x16x16)", lambda nn: nn.BatchNorm2d(32), (64, 32, 16, 16)),
    _pair("LayerNorm(256) fwd+bwd (64x32x256)", lambda nn: nn.LayerNorm(256), (64, 32, 256)),
    _pair("GroupNorm(8, 32) fwd+bwd (32x32x16x16)", lambda nn: nn.GroupNorm(8, 32), (32, 32, 16, 16)),
    _pair("LayerNorm(128) transformer fwd+bwd (16x64x128)", lambda nn: nn.LayerNorm(128), (16, 64, 128)),
    _pair("GroupNorm(32, 64) fwd+bwd (8x64x32x32)", lambda nn: nn.GroupNorm(32, 64), (8, 64, 32, 32)),
    _pair("RMSNorm(256) fwd+bwd (64x32x256)", lambda nn: nn.RMSNorm(256), (64, 32, 256)),
    _pair("GELU fwd+bwd (256x1024)", lambda nn: nn.GELU(), (256, 1024)),
    _pair("Dropout(0.5) train fwd+bwd (256x1024)", lambda nn: nn.Dropout(0.5), (256, 1024)),
    _pair("Linear(1024, 1024) fwd+bwd (batch 1024)", lambda nn: nn.Linear(1024, 1024), (1024, 1024)),
]
