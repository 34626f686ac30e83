"""pad (ember.ops.padding) against PyTorch: constant / reflect / replicate / circular, values and gradients."""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from tests.oracle import check

PAD_CASES = [
    ((1, 2), "constant", (2, 3, 4)), ((1, 2, 0, 3), "constant", (2, 3, 4)), ((-1, 2), "constant", (2, 3, 4)),
    ((2, 1), "reflect", (2, 3, 4)), ((2, 1, 1, 2), "reflect", (1, 2, 4, 5)), ((3, 1), "replicate", (2, 3, 4)),
    ((1, 2, 2, 0), "replicate", (1, 2, 3, 4)), ((2, 1), "circular", (2, 3, 4)),
    ((1, 2, 2, 1), "circular", (1, 2, 3, 4)),
    # negative circular amounts crop first, then wrap within what is left (regression)
    ((1, -1), "circular", (2, 3, 5)), ((-2, 2), "circular", (2, 3, 5)), ((2, -2, -1, 1), "circular", (1, 2, 3, 4)),
    ((-5, 0), "circular", (1, 2, 5)),
]


@pytest.mark.parametrize("case", PAD_CASES, ids=[str(c) for c in PAD_CASES])
def test_pad_matches_torch(case):
    pad, mode, shape = case
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    check(lambda a: F.pad(a, pad, mode=mode), lambda a: torch.nn.functional.pad(a, pad, mode=mode), x)


def test_pad_constant_value_and_errors():
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    check(lambda a: F.pad(a, (1, 1, 2, 0), value=-3.5), lambda a: torch.nn.functional.pad(a, (1, 1, 2, 0), value=-3.5), x)
    with pytest.raises(ValueError, match="divisible by 2"):
        F.pad(ember.zeros(2, 3), (1,))
    with pytest.raises(ValueError, match="Padding length"):
        F.pad(ember.zeros(2), (1, 1, 1, 1))
    with pytest.raises(RuntimeError, match="less than"):
        F.pad(ember.zeros(1, 2, 3), (3, 0), mode="reflect")
