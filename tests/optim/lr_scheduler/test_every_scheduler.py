"""Every scheduler's learning rates over 30 steps equal PyTorch's; state_dict round trips; step(epoch)."""
import copy
import warnings

import pytest
import torch

import ember
from ember.optim import lr_scheduler as EL

from ._cases import CASES, N_STEPS, PAIRS, TL, assert_same, momentum, optimizers, run


@pytest.mark.parametrize("name,opt", PAIRS)
def test_lrs_match_torch(name, opt):
    kw = {"momentum": 0.9} if opt == "SGD" else {}
    make = CASES[name]
    eo, to = optimizers(ember, opt, **kw), optimizers(torch, opt, **kw)
    assert_same(run(EL, eo, make), run(TL, to, make))
    assert eo.param_groups[0].keys() == {k: 0 for k in to.param_groups[0]}.keys()


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_resumes(name):
    """A scheduler state_dict saved mid-run and loaded into a fresh scheduler continues the same lrs."""
    make = CASES[name]
    ref_opt = optimizers(ember)
    ref = run(EL, ref_opt, make)
    o = optimizers(ember)
    sched = make(EL, o)
    for _ in range(13):
        o.step()
        sched.step()
    osd, ssd = copy.deepcopy(o.state_dict()), copy.deepcopy(sched.state_dict())
    o2 = optimizers(ember)
    sched2 = make(EL, o2)
    o2.load_state_dict(osd)
    sched2.load_state_dict(ssd)
    rest = []
    for _ in range(N_STEPS - 13):
        o2.step()
        sched2.step()
        rest.append((list(sched2.get_last_lr()), [g["lr"] for g in o2.param_groups],
                     [momentum(g) for g in o2.param_groups]))
    assert_same(rest, ref[13:])


def test_state_dict_keys_match_torch():
    for name in ["StepLR", "CosineAnnealingWarmRestarts", "OneCycleLR", "CyclicLR-triangular", "SequentialLR",
                 "LambdaLR-per-group"]:
        e = CASES[name](EL, optimizers(ember)).state_dict()
        t = CASES[name](TL, optimizers(torch)).state_dict()
        assert set(e) == set(t), name
    e = CASES["LambdaLR-per-group"](EL, optimizers(ember)).state_dict()
    assert e["lr_lambdas"] == [None, {"k": 0.9}]


def test_closed_form_step_epoch_matches_torch():
    for name in ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "PolynomialLR",
                 "CosineAnnealingWarmRestarts"]:
        eo, to = optimizers(ember), optimizers(torch)
        es, ts = CASES[name](EL, eo), CASES[name](TL, to)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in [3, 7, 2, 11, 5.5 if name == "CosineAnnealingWarmRestarts" else 5]:
                eo.step(), to.step()
                es.step(epoch)
                ts.step(epoch)
                assert es.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12), (name, epoch)
