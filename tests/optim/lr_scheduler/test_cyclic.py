"""CyclicLR and OneCycleLR: argument errors and stepping past the end, like torch."""
import pytest

import ember
from ember.optim import lr_scheduler as EL

from ._cases import optimizers


def test_errors_match_torch():
    o = optimizers(ember)
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        EL.OneCycleLR(o, max_lr=[0.1, 0.2, 0.3], total_steps=10)
    with pytest.raises(ValueError, match="total_steps OR"):
        EL.OneCycleLR(o, max_lr=0.1)
    with pytest.raises(ValueError, match="optimizer must support momentum"):
        EL.CyclicLR(optimizers(ember, "Adagrad"), 0.01, 0.1)


def test_one_cycle_refuses_steps_past_total_steps():
    o = optimizers(ember)
    s = EL.OneCycleLR(o, max_lr=0.1, total_steps=3)
    for _ in range(3):
        o.step()
        s.step()
    o.step()
    with pytest.raises(ValueError, match="Tried to step 4 times. The specified number of total steps is 3"):
        s.step()
