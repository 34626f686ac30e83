"""The schedulers every test runs on ember and torch alike, and the run that records their lrs."""
import numpy as np
import torch

TL = torch.optim.lr_scheduler
N_STEPS = 30


def optimizers(lib, opt="SGD", lrs=(0.1, 0.05), **kw):
    """Two param groups with different lrs (one tensor each) on ember or torch."""
    groups = [{"params": [lib.zeros(3, requires_grad=True)], "lr": lr} for lr in lrs]
    return getattr(lib.optim, opt)(groups, **kw)


class Scale:
    """A callable object: its __dict__ goes into the state_dict."""

    def __init__(self, k):
        self.k = k

    def __call__(self, epoch):
        return self.k ** epoch


CASES = {
    "StepLR": lambda L, o: L.StepLR(o, step_size=4, gamma=0.5),
    "MultiStepLR": lambda L, o: L.MultiStepLR(o, milestones=[3, 7, 7, 20], gamma=0.3),
    "ExponentialLR": lambda L, o: L.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda L, o: L.CosineAnnealingLR(o, T_max=8, eta_min=0.001),
    "CosineAnnealingWarmRestarts": lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2, eta_min=0.01),
    "CosineAnnealingWarmRestarts-mult1": lambda L, o: L.CosineAnnealingWarmRestarts(o, T_0=5),
    "LambdaLR": lambda L, o: L.LambdaLR(o, lr_lambda=lambda e: 0.95 ** e),
    "LambdaLR-per-group": lambda L, o: L.LambdaLR(o, lr_lambda=[lambda e: 1 / (e + 1), Scale(0.9)]),
    "MultiplicativeLR": lambda L, o: L.MultiplicativeLR(o, lr_lambda=lambda e: 0.97),
    "LinearLR": lambda L, o: L.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=10),
    "ConstantLR": lambda L, o: L.ConstantLR(o, factor=0.25, total_iters=6),
    "PolynomialLR": lambda L, o: L.PolynomialLR(o, total_iters=12, power=2.0),
    "OneCycleLR": lambda L, o: L.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=N_STEPS),
    "OneCycleLR-linear-3phase": lambda L, o: L.OneCycleLR(o, max_lr=0.3, epochs=3, steps_per_epoch=10,
                                                          anneal_strategy="linear", three_phase=True,
                                                          pct_start=0.25),
    "CyclicLR-triangular": lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4),
    "CyclicLR-triangular2": lambda L, o: L.CyclicLR(o, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3,
                                                    step_size_down=5, mode="triangular2"),
    "CyclicLR-exp_range": lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5, mode="exp_range",
                                                  gamma=0.95, cycle_momentum=False),
    "SequentialLR": lambda L, o: L.SequentialLR(o, [L.LinearLR(o, start_factor=0.1, total_iters=5),
                                                    L.ExponentialLR(o, gamma=0.9),
                                                    L.StepLR(o, step_size=3, gamma=0.5)], milestones=[5, 15]),
    "ChainedScheduler": lambda L, o: L.ChainedScheduler([L.ConstantLR(o, factor=0.1, total_iters=4),
                                                         L.ExponentialLR(o, gamma=0.9)]),
}


def momentum(group):
    return group["betas"][0] if "betas" in group else group["momentum"]


def run(L, o, make, n=N_STEPS):
    sched = make(L, o)
    out = []
    for _ in range(n):
        o.step()
        sched.step()
        out.append((list(sched.get_last_lr()), [g["lr"] for g in o.param_groups],
                    [momentum(g) for g in o.param_groups]))
    return out


def assert_same(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        np.testing.assert_allclose(np.array(x, float), np.array(y, float), rtol=1e-12, atol=0, err_msg=f"step {i}")


# Momentum cycling touches SGD's momentum or Adam's beta1: run those with both optimizers.
PAIRS = [(n, "SGD") for n in CASES] + [(n, "Adam") for n in CASES if n.startswith(("OneCycle", "Cyclic"))]
