"""SequentialLR and ChainedScheduler: what their shared trajectory tests do not cover."""
import inspect

import pytest
import torch

import ember
from ember.optim import lr_scheduler as EL

from ._cases import TL, optimizers


def test_errors_match_torch():
    o = optimizers(ember)
    with pytest.raises(ValueError, match="does not support `ReduceLROnPlateau`"):
        EL.ChainedScheduler([EL.ReduceLROnPlateau(o)])


def test_recursive_undo_like_torch():
    """``recursive_undo(sched=None)`` undoes the construction step of every child, as torch's does."""
    result = []
    for lib, L in ((ember, EL), (torch, TL)):
        o = optimizers(lib)
        s = L.SequentialLR(o, [L.ConstantLR(o, factor=0.5, total_iters=2), L.ExponentialLR(o, gamma=0.9)],
                           milestones=[2])
        s.recursive_undo()
        s.recursive_undo(s._schedulers[1])
        result.append([c.last_epoch for c in s._schedulers])
    assert result[0] == result[1]
    e = inspect.signature(EL.SequentialLR.recursive_undo).parameters
    t = inspect.signature(TL.SequentialLR.recursive_undo).parameters
    assert [(p.name, p.default) for p in e.values()] == [(p.name, p.default) for p in t.values()]
