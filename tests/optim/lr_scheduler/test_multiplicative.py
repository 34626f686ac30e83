"""The factor schedules (LambdaLR, StepLR, ...): what their shared trajectory tests do not cover."""
import pytest

import ember
from ember.optim import lr_scheduler as EL

from ._cases import optimizers


def test_errors_match_torch():
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 3"):
        EL.LambdaLR(optimizers(ember), [lambda e: 1.0] * 3)
