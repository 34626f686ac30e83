"""Every scheduler's learning rates over 30 steps equal PyTorch's; state_dict round trips; warnings."""
import copy
import math
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.optim import lr_scheduler as EL

TL = torch.optim.lr_scheduler
N_STEPS = 30


def _optimizers(lib, opt="SGD", lrs=(0.1, 0.05), **kw):
    """Two param groups with different lrs (one tensor each) on ember or torch."""
    groups = [{"params": [lib.zeros(3, requires_grad=True)], "lr": lr} for lr in lrs]
    return getattr(lib.optim, opt)(groups, **kw)


class _Scale:
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
    "LambdaLR-per-group": lambda L, o: L.LambdaLR(o, lr_lambda=[lambda e: 1 / (e + 1), _Scale(0.9)]),
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


def _momentum(group):
    return group["betas"][0] if "betas" in group else group["momentum"]


def _run(L, o, make, n=N_STEPS):
    sched = make(L, o)
    out = []
    for _ in range(n):
        o.step()
        sched.step()
        out.append((list(sched.get_last_lr()), [g["lr"] for g in o.param_groups],
                    [_momentum(g) for g in o.param_groups]))
    return out


def _assert_same(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        np.testing.assert_allclose(np.array(x, float), np.array(y, float), rtol=1e-12, atol=0, err_msg=f"step {i}")


# Momentum cycling touches SGD's momentum or Adam's beta1: run those with both optimizers.
PAIRS = [(n, "SGD") for n in CASES] + [(n, "Adam") for n in CASES if n.startswith(("OneCycle", "Cyclic"))]


@pytest.mark.parametrize("name,opt", PAIRS)
def test_lrs_match_torch(name, opt):
    kw = {"momentum": 0.9} if opt == "SGD" else {}
    make = CASES[name]
    eo, to = _optimizers(ember, opt, **kw), _optimizers(torch, opt, **kw)
    _assert_same(_run(EL, eo, make), _run(TL, to, make))
    assert eo.param_groups[0].keys() == {k: 0 for k in to.param_groups[0]}.keys()


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_resumes(name):
    """A scheduler state_dict saved mid-run and loaded into a fresh scheduler continues the same lrs."""
    make = CASES[name]
    ref_opt = _optimizers(ember)
    ref = _run(EL, ref_opt, make)
    o = _optimizers(ember)
    sched = make(EL, o)
    for _ in range(13):
        o.step()
        sched.step()
    osd, ssd = copy.deepcopy(o.state_dict()), copy.deepcopy(sched.state_dict())
    o2 = _optimizers(ember)
    sched2 = make(EL, o2)
    o2.load_state_dict(osd)
    sched2.load_state_dict(ssd)
    rest = []
    for _ in range(N_STEPS - 13):
        o2.step()
        sched2.step()
        rest.append((list(sched2.get_last_lr()), [g["lr"] for g in o2.param_groups],
                     [_momentum(g) for g in o2.param_groups]))
    _assert_same(rest, ref[13:])


def test_state_dict_keys_match_torch():
    for name in ["StepLR", "CosineAnnealingWarmRestarts", "OneCycleLR", "CyclicLR-triangular", "SequentialLR",
                 "LambdaLR-per-group"]:
        e = CASES[name](EL, _optimizers(ember)).state_dict()
        t = CASES[name](TL, _optimizers(torch)).state_dict()
        assert set(e) == set(t), name
    e = CASES["LambdaLR-per-group"](EL, _optimizers(ember)).state_dict()
    assert e["lr_lambdas"] == [None, {"k": 0.9}]


PLATEAU = [1.0, 0.9, 0.95, 0.95, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5,
           0.4999, 0.49, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]


@pytest.mark.parametrize("kw", [
    dict(),
    dict(mode="min", factor=0.5, patience=2, cooldown=1),
    dict(mode="max", factor=0.3, patience=1, threshold=0.05, threshold_mode="abs"),
    dict(mode="min", factor=0.5, patience=0, threshold=0.01, threshold_mode="rel", min_lr=[0.02, 0.001]),
    dict(mode="min", factor=0.1, patience=1, min_lr=0.0499, eps=1e-4),
])
def test_reduce_on_plateau_matches_torch(kw):
    metrics = PLATEAU if kw.get("mode") != "max" else [-m for m in PLATEAU]
    eo, to = _optimizers(ember), _optimizers(torch)
    es, ts = EL.ReduceLROnPlateau(eo, **kw), TL.ReduceLROnPlateau(to, **kw)
    for i, m in enumerate(metrics):
        es.step(m)
        ts.step(torch.tensor(m) if i % 2 else m)
        assert es.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12), f"step {i}"
        assert (es.num_bad_epochs, es.cooldown_counter, es.best) == (ts.num_bad_epochs, ts.cooldown_counter,
                                                                      pytest.approx(ts.best))
    assert set(es.state_dict()) == set(ts.state_dict())


def test_reduce_on_plateau_resume():
    eo = _optimizers(ember)
    es = EL.ReduceLROnPlateau(eo, factor=0.5, patience=1)
    for m in PLATEAU[:10]:
        es.step(m)
    es2 = EL.ReduceLROnPlateau(_optimizers(ember), mode="max")
    es2.optimizer.load_state_dict(copy.deepcopy(eo.state_dict()))
    es2.load_state_dict(copy.deepcopy(es.state_dict()))
    for m in PLATEAU[10:]:
        es.step(m)
        es2.step(m)
        assert es.get_last_lr() == es2.get_last_lr()
    assert es2.mode == "min" and es2.mode_worse == math.inf


def test_closed_form_step_epoch_matches_torch():
    for name in ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "PolynomialLR",
                 "CosineAnnealingWarmRestarts"]:
        eo, to = _optimizers(ember), _optimizers(torch)
        es, ts = CASES[name](EL, eo), CASES[name](TL, to)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in [3, 7, 2, 11, 5.5 if name == "CosineAnnealingWarmRestarts" else 5]:
                eo.step(), to.step()
                es.step(epoch)
                ts.step(epoch)
                assert es.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12), (name, epoch)


def test_warns_once_when_scheduler_steps_before_optimizer():
    o = _optimizers(ember)
    s = EL.StepLR(o, step_size=2)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        s.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()
        o.step()
        s.step()


def test_no_warning_in_the_right_order():
    o = _optimizers(ember, "Adam")
    s = EL.ExponentialLR(o, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            o.step()
            s.step()


def test_warns_when_optimizer_step_replaced():
    o = _optimizers(ember)
    s = EL.StepLR(o, step_size=2)
    o.step = lambda closure=None: None
    with pytest.warns(UserWarning, match="has been overridden after learning rate scheduler"):
        s.step()


def test_get_lr_outside_step_warns_and_initial_lr():
    o = _optimizers(ember)
    s = EL.StepLR(o, step_size=2)
    assert [g["initial_lr"] for g in o.param_groups] == [0.1, 0.05]
    assert s.last_epoch == 0 and s.get_last_lr() == [0.1, 0.05]
    with pytest.warns(UserWarning, match="get_last_lr"):
        s.get_lr()


def test_errors_match_torch():
    o = _optimizers(ember)
    with pytest.raises(KeyError, match="initial_lr"):
        EL.StepLR(o, step_size=2, last_epoch=3)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        EL.StepLR("sgd", step_size=2)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        EL.ReduceLROnPlateau(o, factor=1.5)
    with pytest.raises(ValueError, match="mode foo is unknown"):
        EL.ReduceLROnPlateau(o, mode="foo")
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 3"):
        EL.LambdaLR(o, [lambda e: 1.0] * 3)
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        EL.OneCycleLR(o, max_lr=[0.1, 0.2, 0.3], total_steps=10)
    with pytest.raises(ValueError, match="total_steps OR"):
        EL.OneCycleLR(o, max_lr=0.1)
    with pytest.raises(ValueError, match="optimizer must support momentum"):
        EL.CyclicLR(_optimizers(ember, "Adagrad"), 0.01, 0.1)
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        EL.ChainedScheduler([EL.ReduceLROnPlateau(o)])
    s = EL.OneCycleLR(o, max_lr=0.1, total_steps=3)
    for _ in range(3):
        o.step()
        s.step()
    o.step()
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total steps is 3"):
        s.step()
