"""ReduceLROnPlateau: the lrs, counters and best value follow torch's for a metric sequence; resume; errors."""
import copy
import math

import pytest
import torch

import ember
from ember.optim import lr_scheduler as EL

from ._cases import TL, optimizers

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
    eo, to = optimizers(ember), optimizers(torch)
    es, ts = EL.ReduceLROnPlateau(eo, **kw), TL.ReduceLROnPlateau(to, **kw)
    for i, m in enumerate(metrics):
        es.step(m)
        ts.step(torch.tensor(m) if i % 2 else m)
        assert es.get_last_lr() == pytest.approx(ts.get_last_lr(), rel=1e-12), f"step {i}"
        assert (es.num_bad_epochs, es.cooldown_counter, es.best) == (ts.num_bad_epochs, ts.cooldown_counter,
                                                                      pytest.approx(ts.best))
    assert set(es.state_dict()) == set(ts.state_dict())


def test_reduce_on_plateau_resume():
    eo = optimizers(ember)
    es = EL.ReduceLROnPlateau(eo, factor=0.5, patience=1)
    for m in PLATEAU[:10]:
        es.step(m)
    es2 = EL.ReduceLROnPlateau(optimizers(ember), mode="max")
    es2.optimizer.load_state_dict(copy.deepcopy(eo.state_dict()))
    es2.load_state_dict(copy.deepcopy(es.state_dict()))
    for m in PLATEAU[10:]:
        es.step(m)
        es2.step(m)
        assert es.get_last_lr() == es2.get_last_lr()
    assert es2.mode == "min" and es2.mode_worse == math.inf


def test_errors_match_torch():
    o = optimizers(ember)
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        EL.ReduceLROnPlateau(o, factor=1.5)
    with pytest.raises(ValueError, match="mode foo is unknown"):
        EL.ReduceLROnPlateau(o, mode="foo")
