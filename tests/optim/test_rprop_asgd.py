"""Rprop and ASGD: trajectories of the small MLP equal PyTorch's (both dtypes, every option), the same
state (``step``/``prev``/``step_size``; ``step``/``eta``/``mu``/``ax``) and state_dict resume."""
import copy

import numpy as np
import pytest
import torch

import ember

from ._mlp import N_STEPS, Model, check_trajectory, compare, train_step

CONFIGS = {
    "Rprop": [dict(), dict(lr=0.05), dict(lr=0.01, etas=(0.3, 1.5)), dict(lr=0.02, step_sizes=(1e-3, 0.05)),
              dict(lr=0.01, maximize=True), dict(lr=0.01, foreach=False), dict(lr=0.01, foreach=True)],
    "ASGD": [dict(), dict(lr=0.1), dict(lr=0.1, lambd=0.01, alpha=0.5), dict(lr=0.1, t0=5),
             dict(lr=0.1, t0=3, weight_decay=0.1), dict(lr=0.1, maximize=True), dict(lr=0.05, t0=2, foreach=False),
             dict(lr=0.1, t0=4, lambd=0.05, weight_decay=0.2, maximize=True)],
}
CASES = [(name, kw) for name, kws in CONFIGS.items() for kw in kws]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0] + "-" + ",".join(f"{k}={v}" for k, v in c[1].items()))
def test_trajectory_matches_torch(case, dtype):
    check_trajectory(*case, dtype)


def test_asgd_foreach_is_accepted_and_agrees_to_round_off():
    """PyTorch's foreach kernel computes the same update in another order (p -= eta (g + lambd p));
    ember has one kernel: the trajectories agree to round-off."""
    em, tm = Model(ember, "float64"), Model(torch, "float64")
    eo = ember.optim.ASGD(em.params, lr=0.05, t0=2, weight_decay=0.1, foreach=True)
    to = torch.optim.ASGD(tm.params, lr=0.05, t0=2, weight_decay=0.1, foreach=True)
    for _ in range(N_STEPS):
        train_step(em, eo)
        train_step(tm, to)
    for a, b in zip(em.values(), tm.values()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name,kw", [("Rprop", dict(lr=0.02)), ("ASGD", dict(lr=0.1, t0=3))])
def test_state_dict_resume_and_torch_state_loads(name, kw):
    ref = Model(ember, "float64")
    ref_opt = getattr(ember.optim, name)(ref.params, **kw)
    for _ in range(10):
        train_step(ref, ref_opt)
    saved_params, saved = ref.values(), copy.deepcopy(ref_opt.state_dict())
    for _ in range(10):
        train_step(ref, ref_opt)
    m = Model(ember, "float64", init=saved_params)
    opt = getattr(ember.optim, name)(m.params, **kw)
    opt.load_state_dict(saved)
    for _ in range(10):
        train_step(m, opt)
    for a, b in zip(m.values(), ref.values()):
        np.testing.assert_array_equal(a, b)
    # a torch state_dict continues torch's trajectory
    tm = Model(torch, "float64")
    to = getattr(torch.optim, name)(tm.params, **kw)
    for _ in range(10):
        train_step(tm, to)
    sd = copy.deepcopy(to.state_dict())
    sd["state"] = {i: {k: ember.tensor(v.numpy()) for k, v in s.items()} for i, s in sd["state"].items()}
    em = Model(ember, "float64", init=tm.values())
    eo = getattr(ember.optim, name)(em.params, **kw)
    eo.load_state_dict(sd)
    for step in range(10):
        train_step(em, eo)
        train_step(tm, to)
        compare(em, tm, "float64", f"{name} resumed step {step + 1}")


def test_invalid_arguments_match_torch():
    p = [ember.zeros(2, requires_grad=True)]
    tp = [torch.zeros(2, requires_grad=True)]
    for make in (lambda o, q: o.Rprop(q, lr=-1), lambda o, q: o.Rprop(q, etas=(1.1, 1.2)),
                 lambda o, q: o.ASGD(q, lr=-0.1), lambda o, q: o.ASGD(q, weight_decay=-1)):
        with pytest.raises(ValueError) as te:
            make(torch.optim, tp)
        with pytest.raises(ValueError) as ee:
            make(ember.optim, p)
        assert str(ee.value) == str(te.value)
    with pytest.raises(NotImplementedError, match="capturable"):
        ember.optim.ASGD(p, capturable=True)
    with pytest.raises(NotImplementedError, match="differentiable"):
        ember.optim.Rprop(p, differentiable=True)
