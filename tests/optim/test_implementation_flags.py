"""PyTorch's implementation flags: ``foreach``/``fused`` are accepted and change no number (as they
change none in PyTorch but rounding); ``capturable=True``/``differentiable=True`` are refused."""
import copy
import inspect

import pytest
import torch

import ember

from ._mlp import N_STEPS, Model, compare, compare_state, train_step

OPTIMIZERS = ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta", "Adamax", "NAdam", "RAdam"]
FUSED = [n for n in OPTIMIZERS if "fused" in inspect.signature(getattr(torch.optim, n)).parameters]
CAPTURABLE = [n for n in OPTIMIZERS if "capturable" in inspect.signature(getattr(torch.optim, n)).parameters]


def _lr(name):
    return {"SGD": 0.1, "Adagrad": 0.1, "Adadelta": 1.0}.get(name, 0.01)


def _same_run(name, dtype, **flags):
    """25 steps of ember and torch with the same flags: same parameters, same state_dict."""
    em, tm = Model(ember, dtype), Model(torch, dtype)
    eo = getattr(ember.optim, name)(em.params, lr=_lr(name), **flags)
    to = getattr(torch.optim, name)(tm.params, lr=_lr(name), **flags)
    for step in range(N_STEPS):
        train_step(em, eo)
        train_step(tm, to)
        compare(em, tm, dtype, f"{name} {flags} step {step + 1}")
    compare_state(eo, to, dtype)


def test_flag_sets_match_torch():
    assert FUSED == ["SGD", "Adam", "AdamW", "Adagrad"]
    assert CAPTURABLE == ["Adam", "AdamW", "RMSprop", "Adadelta", "Adamax", "NAdam", "RAdam"]
    for name in OPTIMIZERS:
        e = inspect.signature(getattr(ember.optim, name)).parameters
        t = inspect.signature(getattr(torch.optim, name)).parameters
        assert list(e) == list(t), name
        assert [p.default for p in e.values()] == [p.default for p in t.values()], name


@pytest.mark.parametrize("foreach", [True, False])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_foreach_is_accepted_and_changes_nothing(name, foreach):
    _same_run(name, "float64", foreach=foreach)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", FUSED)
def test_fused_is_accepted_and_follows_torchs_fused_kernel(name, dtype):
    _same_run(name, dtype, fused=True)


@pytest.mark.parametrize("name", FUSED)
@pytest.mark.parametrize("flags", [dict(fused=True, foreach=True), dict(fused=True, differentiable=True)])
def test_fused_conflicts_raise_torchs_error(name, flags):
    with pytest.raises(RuntimeError) as t:
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **flags)
    with pytest.raises(RuntimeError, match=str(t.value).replace("`", ".")):
        getattr(ember.optim, name)([ember.zeros(2, requires_grad=True)], **flags)


@pytest.mark.parametrize("name", CAPTURABLE)
def test_capturable_is_refused(name):
    """torch accepts it only for accelerator tensors (on the CPU its step fails); ember refuses at once."""
    with pytest.raises(NotImplementedError, match=rf"{name}: capturable=True is not supported"):
        getattr(ember.optim, name)([ember.zeros(2, requires_grad=True)], capturable=True)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_differentiable_is_refused(name):
    with pytest.raises(NotImplementedError, match=rf"{name}: differentiable=True is not supported"):
        getattr(ember.optim, name)([ember.zeros(2, requires_grad=True)], differentiable=True)


def test_flags_in_param_groups_and_loaded_state_are_refused():
    w, b = ember.zeros(2, requires_grad=True), ember.zeros(1, requires_grad=True)
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        ember.optim.Adam([{"params": [w], "differentiable": True}])
    opt = ember.optim.Adam([w])
    with pytest.raises(NotImplementedError, match="capturable=True"):
        opt.add_param_group({"params": [b], "capturable": True})
    assert len(opt.param_groups) == 1
    sd = copy.deepcopy(opt.state_dict())
    sd["param_groups"][0]["capturable"] = True
    with pytest.raises(NotImplementedError, match="capturable=True"):
        opt.load_state_dict(sd)
    assert opt.param_groups[0]["capturable"] is False
