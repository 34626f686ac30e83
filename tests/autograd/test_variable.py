"""``Variable`` (PyTorch's old wrapper, in old scripts) behaves as torch.autograd.Variable."""
import warnings

import numpy as np
import pytest
import torch
from torch.autograd import Variable as TorchVariable

import ember
from ember.autograd import Variable


def _both(fn):
    return fn(torch, TorchVariable), fn(ember, Variable)


@pytest.mark.parametrize("case", [
    lambda m, V: (V(m.ones(2)).requires_grad, V(m.ones(2)).is_leaf),
    lambda m, V: (V(m.ones(2), requires_grad=True).requires_grad, V(m.ones(2), requires_grad=True).is_leaf),
    lambda m, V: V(m.ones(2, requires_grad=True) * 2).requires_grad,
    lambda m, V: V(m.ones(2, requires_grad=True) * 2).grad_fn is None,
    lambda m, V: isinstance(m.ones(1), V),
    lambda m, V: isinstance(3.0, V),
    lambda m, V: V(m.tensor([1, 2])).dtype == m.int64,
])
def test_same_as_torch(case):
    t, e = _both(case)
    assert t == e


def test_shares_memory_and_is_cut_from_the_graph():
    base = ember.zeros(3)
    v = Variable(base, requires_grad=True)
    assert v is not base and not base.requires_grad
    with ember.no_grad():
        v.add_(1.0)
    np.testing.assert_array_equal(base.numpy(), [1.0, 1.0, 1.0])    # the same memory, as torch's
    (v * 2).sum().backward()
    np.testing.assert_array_equal(v.grad.numpy(), [2.0, 2.0, 2.0])


def test_errors_and_volatile_as_torch():
    with pytest.raises(TypeError):
        TorchVariable([1, 2])
    with pytest.raises(TypeError, match="has to be a tensor"):
        Variable([1, 2])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert not Variable(ember.ones(1), volatile=True).requires_grad
    assert any("volatile" in str(x.message) for x in w)
