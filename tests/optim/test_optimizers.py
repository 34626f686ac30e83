"""Every optimizer and option: 25-step trajectories of a small MLP equal PyTorch's; state_dict layout and resume."""
import copy

import numpy as np
import pytest
import torch

import ember

from ._mlp import N_STEPS, Model, check_trajectory, compare, compare_state, train_step

CONFIGS = {
    "SGD": [dict(lr=0.1), dict(lr=0.1, momentum=0.9), dict(lr=0.1, momentum=0.9, dampening=0.3),
            dict(lr=0.1, momentum=0.9, nesterov=True), dict(lr=0.1, weight_decay=0.1),
            dict(lr=0.1, maximize=True), dict(lr=0.05, momentum=0.5, dampening=0.5, weight_decay=0.1, maximize=True),
            dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.05, maximize=True)],
    "Adagrad": [dict(lr=0.1), dict(lr=0.1, lr_decay=0.1), dict(lr=0.1, weight_decay=0.1),
                dict(lr=0.1, initial_accumulator_value=0.5), dict(lr=0.1, eps=1e-3), dict(lr=0.1, maximize=True),
                dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.1, maximize=True)],
    "RMSprop": [dict(lr=0.01), dict(lr=0.01, centered=True), dict(lr=0.01, momentum=0.9),
                dict(lr=0.01, centered=True, momentum=0.5), dict(lr=0.01, weight_decay=0.1),
                dict(lr=0.01, alpha=0.5, eps=1e-4), dict(lr=0.01, maximize=True),
                dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.1, maximize=True)],
    "Adam": [dict(lr=0.01), dict(lr=0.01, amsgrad=True), dict(lr=0.01, weight_decay=0.1),
             dict(lr=0.01, maximize=True), dict(lr=0.01, betas=(0.3, 0.6), eps=1e-4),
             dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
             dict(lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True)],
    "AdamW": [dict(lr=0.01), dict(lr=0.01, weight_decay=0.2), dict(lr=0.01, amsgrad=True),
              dict(lr=0.01, maximize=True, amsgrad=True, betas=(0.8, 0.99))],
    "Adadelta": [dict(), dict(lr=0.5, rho=0.5), dict(weight_decay=0.1), dict(eps=1e-3), dict(maximize=True),
                 dict(lr=0.7, rho=0.8, weight_decay=0.1, maximize=True)],
    "Adamax": [dict(lr=0.01), dict(lr=0.01, betas=(0.5, 0.9)), dict(lr=0.01, weight_decay=0.1),
               dict(lr=0.01, eps=1e-3), dict(lr=0.01, maximize=True, weight_decay=0.1)],
    "NAdam": [dict(lr=0.01), dict(lr=0.01, momentum_decay=0.05), dict(lr=0.01, weight_decay=0.1),
              dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True), dict(lr=0.01, maximize=True),
              dict(lr=0.01, betas=(0.8, 0.9), eps=1e-4)],
    "RAdam": [dict(lr=0.01), dict(lr=0.01, betas=(0.9, 0.9)), dict(lr=0.01, weight_decay=0.1),
              dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True), dict(lr=0.01, maximize=True)],
}
CASES = [(name, kw) for name, kws in CONFIGS.items() for kw in kws]


def _ids(case):
    name, kw = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items())


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_trajectory_matches_torch(case, dtype):
    check_trajectory(*case, dtype)


GROUP_OPTIONS = {
    "SGD": ({"lr": 0.1, "momentum": 0.9, "nesterov": True}, {"lr": 0.02, "weight_decay": 0.1, "maximize": True}),
    "Adagrad": ({"lr_decay": 0.1}, {"lr": 0.05, "initial_accumulator_value": 0.3, "weight_decay": 0.1}),
    "RMSprop": ({"centered": True, "momentum": 0.9}, {"lr": 0.001, "alpha": 0.9}),
    "Adam": ({"amsgrad": True}, {"lr": 0.003, "betas": (0.5, 0.9), "weight_decay": 0.1}),
    "AdamW": ({"weight_decay": 0.5}, {"lr": 0.003, "amsgrad": True}),
    "Adadelta": ({"rho": 0.5}, {"lr": 0.3, "weight_decay": 0.1}),
    "Adamax": ({"betas": (0.5, 0.99)}, {"lr": 0.003, "weight_decay": 0.1}),
    "NAdam": ({"momentum_decay": 0.01}, {"lr": 0.003, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    "RAdam": ({"betas": (0.9, 0.9)}, {"lr": 0.003, "weight_decay": 0.1, "decoupled_weight_decay": True}),
}


def _grouped(lib_optim, name, params):
    a, b = GROUP_OPTIONS[name]
    return getattr(lib_optim, name)([dict(params=params[:2], **a), dict(params=params[2:], **b)], lr=0.01)


@pytest.mark.parametrize("name", list(GROUP_OPTIONS))
def test_param_groups_with_different_options(name):
    em, tm = Model(ember, "float64"), Model(torch, "float64")
    eo, to = _grouped(ember.optim, name, em.params), _grouped(torch.optim, name, tm.params)
    for step in range(N_STEPS):
        train_step(em, eo)
        train_step(tm, to)
        compare(em, tm, "float64", f"{name} step {step + 1}")
    compare_state(eo, to, "float64")


@pytest.mark.parametrize("name", list(GROUP_OPTIONS))
def test_state_dict_resume_continues_exactly(name):
    """Save at step 10, load into a fresh model + optimizer, continue: identical to the uninterrupted run."""
    ref = Model(ember, "float64")
    ref_opt = _grouped(ember.optim, name, ref.params)
    for _ in range(10):
        train_step(ref, ref_opt)
    saved_params = ref.values()
    saved = copy.deepcopy(ref_opt.state_dict())
    for _ in range(N_STEPS - 10):
        train_step(ref, ref_opt)

    m = Model(ember, "float64", init=saved_params)
    opt = getattr(ember.optim, name)(m.params, lr=123.0)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict(saved)
    opt = _grouped(ember.optim, name, m.params)
    opt.load_state_dict(saved)
    assert opt.state_dict()["param_groups"] == saved["param_groups"]
    for _ in range(N_STEPS - 10):
        train_step(m, opt)
    for a, b in zip(m.values(), ref.values()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "NAdam", "Adagrad"])
def test_torch_state_dict_loads_into_ember(name):
    """A state_dict written by torch (tensors converted) continues torch's own trajectory in ember."""
    tm = Model(torch, "float64")
    to = _grouped(torch.optim, name, tm.params)
    for _ in range(10):
        train_step(tm, to)
    sd = copy.deepcopy(to.state_dict())
    sd["state"] = {i: {k: ember.tensor(v.numpy()) for k, v in s.items()} for i, s in sd["state"].items()}
    em = Model(ember, "float64", init=tm.values())
    eo = _grouped(ember.optim, name, em.params)
    eo.load_state_dict(sd)
    assert all(s["step"].dtype == ember.float32 for s in eo.state.values() if "step" in s)
    for step in range(N_STEPS - 10):
        train_step(em, eo)
        train_step(tm, to)
        compare(em, tm, "float64", f"{name} resumed step {step + 1}")


def test_state_dict_is_indexed_and_references_state():
    m = Model(ember, "float64")
    opt = ember.optim.Adam(m.params, lr=0.1)
    train_step(m, opt)
    sd = opt.state_dict()
    assert sorted(sd["state"]) == [0, 1, 2, 3]          # param 4 has no grad: no state
    assert sd["param_groups"][0]["params"] == [0, 1, 2, 3, 4]
    assert sd["state"][0]["exp_avg"] is opt.state[m.params[0]]["exp_avg"]
    assert sd["state"][0]["step"].shape == () and float(sd["state"][0]["step"]) == 1.0


def test_loaded_state_is_copied_and_cast():
    m = Model(ember, "float32")
    opt = ember.optim.SGD(m.params, lr=0.1, momentum=0.9)
    sd = {"state": {0: {"momentum_buffer": ember.ones(8, 5, dtype=ember.float64)}},
          "param_groups": [dict(opt.state_dict()["param_groups"][0], lr=0.5)]}
    opt.load_state_dict(sd)
    buf = opt.state[m.params[0]]["momentum_buffer"]
    assert buf.dtype == ember.float32 and buf is not sd["state"][0]["momentum_buffer"]
    assert opt.param_groups[0]["lr"] == 0.5 and opt.param_groups[0]["params"][0] is m.params[0]


def test_zero_grad():
    m = Model(ember, "float64")
    opt = ember.optim.SGD(m.params, lr=0.1)
    m.loss().backward()
    g = m.params[0].grad
    opt.zero_grad(set_to_none=False)
    assert m.params[0].grad is g and not g._data.any()
    opt.zero_grad()
    assert all(p.grad is None for p in m.params)


def test_closure_and_hooks():
    m = Model(ember, "float64")
    opt = ember.optim.SGD(m.params, lr=0.1)
    calls = []

    def closure():
        opt.zero_grad()
        loss = m.loss()
        loss.backward()
        calls.append("closure")
        return loss

    h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
    with ember.no_grad():
        loss = opt.step(closure)
    assert isinstance(loss, ember.Tensor) and calls == ["pre", "closure", "post"]
    h1.remove()
    opt.step(closure)
    assert calls[3:] == ["closure", "post"]


def test_add_param_group_and_repr():
    e = ember.optim.SGD([ember.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)
    t = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)
    e.add_param_group({"params": ember.zeros(3, requires_grad=True), "lr": 0.01})
    t.add_param_group({"params": torch.zeros(3, requires_grad=True), "lr": 0.01})
    assert repr(e) == repr(t)
    assert [len(g["params"]) for g in e.param_groups] == [1, 1]
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        e.add_param_group({"params": e.param_groups[0]["params"]})


@pytest.mark.parametrize("make,msg", [
    (lambda p: ember.optim.SGD(p, lr=-0.1), "Invalid learning rate: -0.1"),
    (lambda p: ember.optim.SGD(p, momentum=-1), "Invalid momentum value: -1"),
    (lambda p: ember.optim.SGD(p, weight_decay=-1e-3), "Invalid weight_decay value: -0.001"),
    (lambda p: ember.optim.SGD(p, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (lambda p: ember.optim.Adam(p, betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (lambda p: ember.optim.Adam(p, betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (lambda p: ember.optim.AdamW(p, eps=-1.0), "Invalid epsilon value: -1.0"),
    (lambda p: ember.optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value: -1"),
    (lambda p: ember.optim.Adagrad(p, initial_accumulator_value=-1), "Invalid initial_accumulator_value value: -1"),
    (lambda p: ember.optim.RMSprop(p, alpha=-0.5), "Invalid alpha value: -0.5"),
    (lambda p: ember.optim.Adadelta(p, rho=1.5), "Invalid rho value: 1.5"),
    (lambda p: ember.optim.NAdam(p, momentum_decay=-1), "Invalid momentum_decay value: -1"),
    (lambda p: ember.optim.RAdam(p, lr=-1), "Invalid learning rate: -1"),
    (lambda p: ember.optim.Adamax(p, weight_decay=-2), "Invalid weight_decay value: -2"),
    (lambda p: ember.optim.SGD([], lr=0.1), "optimizer got an empty parameter list"),
])
def test_invalid_hyperparameters(make, msg):
    with pytest.raises(ValueError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        make([ember.zeros(2, requires_grad=True)])


def test_bad_params():
    p = ember.zeros(2, requires_grad=True)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        ember.optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="ordering of tensors in sets"):
        ember.optim.SGD([{"params": {p}}], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        ember.optim.SGD([p, 3.0], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        ember.optim.SGD([p * 2], lr=0.1)


def test_step_bumps_version_and_updates_in_place():
    m = Model(ember, "float32")
    opt = ember.optim.Adam(m.params, lr=0.1)
    arrays = [p._data for p in m.params]
    versions = [p._version for p in m.params]
    train_step(m, opt)
    assert all(p._data is a for p, a in zip(m.params, arrays))
    assert [p._version for p in m.params[:4]] == [v + 1 for v in versions[:4]]
    assert all(p._data.dtype == np.float32 for p in m.params)
    assert all(s["exp_avg"]._data.dtype == np.float32 for s in opt.state.values())


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_flat_and_per_parameter_paths_agree_with_torch(amsgrad):
    """Adam updates a group as one flat vector when it can; a parameter without a grad on some steps
    (different step counts) falls back to per-parameter updates. Both follow torch."""
    em, tm = Model(ember, "float64"), Model(torch, "float64")
    eo = ember.optim.Adam(em.params, lr=0.01, amsgrad=amsgrad, weight_decay=0.01)
    to = torch.optim.Adam(tm.params, lr=0.01, amsgrad=amsgrad, weight_decay=0.01)
    for step in range(N_STEPS):
        for m, o in ((em, eo), (tm, to)):
            o.zero_grad()
            m.loss().backward()
            if step % 3 == 1:
                m.params[1].grad = None      # b1 skips this step: step counts now differ
            if step == 12:
                m.params[4].grad = m.lib.ones_like(m.params[4])   # the unused parameter joins late
            o.step()
        compare(em, tm, "float64", f"step {step + 1}")
    compare_state(eo, to, "float64")


@pytest.mark.parametrize("name", ["Adam", "SGD"])
def test_deepcopied_optimizer_continues_like_the_original(name):
    kw = {"momentum": 0.9} if name == "SGD" else {}
    m = Model(ember, "float64")
    opt = getattr(ember.optim, name)(m.params, lr=0.01, **kw)
    for _ in range(5):
        train_step(m, opt)
    m2 = Model(ember, "float64")
    m2.params, opt2 = copy.deepcopy((m.params, opt))
    assert opt2.param_groups[0]["params"][0] is m2.params[0]
    for _ in range(5):
        train_step(m, opt)
        train_step(m2, opt2)
    for a, b in zip(m.values(), m2.values()):
        np.testing.assert_array_equal(a, b)
    for s, s2 in zip(opt.state_dict()["state"].values(), opt2.state_dict()["state"].values()):
        for k in s:
            np.testing.assert_array_equal(s[k]._data, s2[k]._data)


@pytest.mark.parametrize("name,sched", [
    ("Adam", lambda L, o: L.OneCycleLR(o, max_lr=0.05, total_steps=N_STEPS)),
    ("SGD", lambda L, o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4)),
    ("RMSprop", lambda L, o: L.CosineAnnealingLR(o, T_max=10)),
])
def test_trajectory_with_scheduler_matches_torch(name, sched):
    """Schedulers drive lr and momentum/beta1 (cycle_momentum) of a training run exactly like torch."""
    kw = {"momentum": 0.9} if name in ("SGD", "RMSprop") else {}
    em, tm = Model(ember, "float64"), Model(torch, "float64")
    eo = getattr(ember.optim, name)(em.params, lr=0.01, **kw)
    to = getattr(torch.optim, name)(tm.params, lr=0.01, **kw)
    es, ts = sched(ember.optim.lr_scheduler, eo), sched(torch.optim.lr_scheduler, to)
    for step in range(N_STEPS - 1):
        train_step(em, eo)
        train_step(tm, to)
        es.step()
        ts.step()
        compare(em, tm, "float64", f"{name} step {step + 1}")
    assert eo.param_groups[0]["lr"] == pytest.approx(to.param_groups[0]["lr"], rel=1e-12)


def test_ember_state_dict_loads_into_torch():
    """The reverse direction: ember's state_dict (tensors converted) resumes in torch on the same trajectory."""
    em = Model(ember, "float64")
    eo = _grouped(ember.optim, "Adam", em.params)
    for _ in range(10):
        train_step(em, eo)
    sd = copy.deepcopy(eo.state_dict())
    sd["state"] = {i: {k: torch.tensor(v._data) for k, v in s.items()} for i, s in sd["state"].items()}
    tm = Model(torch, "float64", init=em.values())
    to = _grouped(torch.optim, "Adam", tm.params)
    to.load_state_dict(sd)
    for step in range(N_STEPS - 10):
        train_step(em, eo)
        train_step(tm, to)
        compare(em, tm, "float64", f"resumed step {step + 1}")


def test_named_parameters_like_torch():
    e = ember.optim.SGD(ember.nn.Linear(2, 3).named_parameters(), lr=0.1)
    t = torch.optim.SGD(torch.nn.Linear(2, 3).named_parameters(), lr=0.1)
    assert e.state_dict()["param_groups"] == t.state_dict()["param_groups"]
    assert isinstance(e.param_groups[0]["params"][0], ember.Tensor)
    with pytest.raises(ValueError, match="with/without names"):
        e.add_param_group({"params": [ember.zeros(2, requires_grad=True)]})
