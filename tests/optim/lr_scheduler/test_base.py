"""LRScheduler, the base of every scheduler: initial step, step-order warnings, errors, module names."""
import pickle
import warnings

import pytest
import torch

import ember
from ember.optim import lr_scheduler as EL

from ._cases import TL, optimizers


def test_warns_once_when_scheduler_steps_before_optimizer():
    o = optimizers(ember)
    s = EL.StepLR(o, step_size=2)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        s.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()
        o.step()
        s.step()


def test_no_warning_in_the_right_order():
    o = optimizers(ember, "Adam")
    s = EL.ExponentialLR(o, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            o.step()
            s.step()


def test_warns_when_optimizer_step_replaced():
    o = optimizers(ember)
    s = EL.StepLR(o, step_size=2)
    o.step = lambda closure=None: None
    with pytest.warns(UserWarning, match="has been overridden after learning rate scheduler"):
        s.step()


def test_get_lr_outside_step_warns_and_initial_lr():
    o = optimizers(ember)
    s = EL.StepLR(o, step_size=2)
    assert [g["initial_lr"] for g in o.param_groups] == [0.1, 0.05]
    assert s.last_epoch == 0 and s.get_last_lr() == [0.1, 0.05]
    with pytest.warns(UserWarning, match="get_last_lr"):
        s.get_lr()


def test_errors_match_torch():
    o = optimizers(ember)
    with pytest.raises(KeyError, match="initial_lr"):
        EL.StepLR(o, step_size=2, last_epoch=3)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        EL.StepLR("sgd", step_size=2)


def test_verbose_is_refused_like_torch():
    """torch 2.13 removed the deprecated ``verbose``: passing it is a TypeError there and here."""
    for lib, L in ((torch, TL), (ember, EL)):
        o = optimizers(lib)
        with pytest.raises(TypeError, match="verbose"):
            L.StepLR(o, step_size=2, verbose=True)
        with pytest.raises(TypeError, match="verbose"):
            L.ReduceLROnPlateau(o, verbose=False)


def test_names_and_modules_like_before_the_split():
    """The schedulers live in one module per family, but are importable, pickled and shown under
    ``ember.optim.lr_scheduler`` (as torch's are under ``torch.optim.lr_scheduler``)."""
    for name in [*TL.__all__, "_LRScheduler"]:
        cls = getattr(EL, name)
        assert cls.__module__ == "ember.optim.lr_scheduler", name
        assert pickle.loads(pickle.dumps(cls)) is cls
    assert sorted(EL.__all__) == sorted(TL.__all__)
    for name in ["Optimizer", "Tensor", "Counter", "bisect_right", "math", "types", "warnings"]:
        assert hasattr(TL, name) and hasattr(EL, name), name
    assert EL.Optimizer is ember.optim.Optimizer and EL.Tensor is ember.Tensor
