"""tril, triu, diagonal (and trace, the sum of a diagonal) vs PyTorch: forward, gradients, gradcheck."""
import numpy as np
import pytest

import ember
from tests.oracle import check
from tests.ops._data import rnd

X = rnd(2, 3, 4)

SINGLE = [
    lambda a: a[0].tril(), lambda a: a[0].triu(1), lambda a: a[0].diagonal(), lambda a: a.diagonal(0, 1, 2),
    lambda a: a[0].trace().reshape(1),
]


@pytest.mark.parametrize("fn", SINGLE, ids=[str(i) for i in range(len(SINGLE))])
def test_single_input(fn):
    check(fn, None, X)


# -- gradcheck ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [lambda a: a[0].tril(), lambda a: a.diagonal(0, 1, 2)], ids=lambda f: "")
def test_gradcheck(fn):
    x = ember.tensor(rnd(2, 3, 2, dtype=np.float64), requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x,))
