"""In-place forms of the elementwise ops vs PyTorch (x.add_(y), x += y, x.clamp_(...), x.copy_(y)): the
result is the same tensor, gradients flow through the rewritten graph, dtype rules, version counter."""
import pytest
import torch

import ember
from tests.oracle import check
from tests.ops._data import pos, rnd

INPLACE = [
    ("add_", lambda x, o: x.add_(o)), ("sub_", lambda x, o: x.sub_(o)), ("mul_", lambda x, o: x.mul_(o)),
    ("div_", lambda x, o: x.div_(o)), ("iadd", lambda x, o: x.__iadd__(o)), ("isub", lambda x, o: x.__isub__(o)),
    ("imul", lambda x, o: x.__imul__(o)), ("idiv", lambda x, o: x.__itruediv__(o)),
    ("pow_", lambda x, o: x.pow_(o)), ("remainder_", lambda x, o: x.remainder_(o)),
]


@pytest.mark.parametrize("name,op", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_binary_on_nonleaf(name, op):
    def f(a, b):
        y = a * 1.5
        r = op(y, b)
        assert r is y
        return y * 2
    check(f, None, rnd(3, 4), pos(4))


@pytest.mark.parametrize("expr", [
    lambda y: y.pow_(2), lambda y: y.clamp_(-0.5, 0.5), lambda y: y.clamp_(min=0.0), lambda y: y.exp_(),
    lambda y: y.zero_(), lambda y: y.fill_(3.0), lambda y: y.sigmoid_(), lambda y: y.tanh_(),
    lambda y: y.relu_(), lambda y: y.abs_(), lambda y: y.neg_(), lambda y: y.square_(), lambda y: y.floor_(),
    lambda y: y.mul_(2).add_(1), lambda y: y.clip_(-0.1, 0.1), lambda y: y.__ipow__(3),
])
def test_inplace_unary_on_nonleaf(expr):
    def f(a):
        y = a + 0.25
        out = expr(y)
        assert out is y
        return y * a
    check(f, None, rnd(3, 4))


def test_copy_is_differentiable():
    def f(a, b):
        y = a * 2
        y.copy_(b)
        return y * a
    check(f, None, rnd(3, 4), rnd(4))


def test_inplace_integer_result_cast_error():
    x = ember.tensor([1, 2, 3])
    with pytest.raises(RuntimeError, match="can't be cast"):
        x.div_(2)
    tx = torch.tensor([1, 2, 3])
    with pytest.raises(RuntimeError):
        tx.div_(2)


def test_inplace_version_counter_increments():
    x = ember.zeros(3)
    v = x._version
    x.add_(1)
    x.mul_(2)
    x[0] = 5
    assert x._version == v + 3
    assert x.tolist() == [5.0, 2.0, 2.0]
