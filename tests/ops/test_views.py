"""Views vs PyTorch: reshape/view/flatten/squeeze/permute/transpose/expand/narrow/select; forward, gradients,
memory and version counter shared with the base, 0-d and empty shapes, errors, gradcheck."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle import check
from tests.ops._data import rnd
from tests.both import assert_same

X = rnd(2, 3, 4)

SINGLE = [
    lambda a: a.reshape(6, 4), lambda a: a.reshape(-1), lambda a: a.reshape((4, -1)), lambda a: a.view(2, 12),
    lambda a: a.view(-1, 4), lambda a: a.flatten(), lambda a: a.flatten(1), lambda a: a.flatten(0, 1),
    lambda a: a.unflatten(2, (2, 2)), lambda a: a.unflatten(-1, (-1, 2)), lambda a: a.unsqueeze(0),
    lambda a: a.unsqueeze(-1), lambda a: a.unsqueeze(1).squeeze(), lambda a: a.unsqueeze(1).squeeze(1),
    lambda a: a.squeeze(0), lambda a: a.permute(2, 0, 1), lambda a: a.permute((1, 2, 0)),
    lambda a: a.transpose(0, 2), lambda a: a.transpose(-1, -2), lambda a: a.mT, lambda a: a[0].t(),
    lambda a: a[0].T, lambda a: a.movedim(0, -1), lambda a: a.movedim((0, 1), (2, 0)),
    lambda a: a[:, :1].expand(2, 5, 4), lambda a: a[:, :1].expand(3, -1, -1, 4), lambda a: a.narrow(1, 1, 2),
    lambda a: a.narrow(-1, 0, 3), lambda a: a.swapaxes(0, 1), lambda a: a.contiguous(), lambda a: a.select(1, -1),
    lambda a: a.ravel(),
]


@pytest.mark.parametrize("fn", SINGLE, ids=[str(i) for i in range(len(SINGLE))])
def test_single_input(fn):
    check(fn, None, X)


def test_t_T_on_low_dims():
    for shape in [(), (3,)]:
        check(lambda a: a.t(), None, rnd(*shape))
        check(lambda a: a.T, None, rnd(*shape))


def test_expand_as_view_as_reshape_as_broadcast_to():
    check(lambda a, b: a.expand_as(b), None, rnd(3, 1), rnd(3, 4))
    check(lambda a, b: a.view_as(b), None, rnd(3, 4), rnd(12))
    check(lambda a, b: a.reshape_as(b), None, rnd(3, 4), rnd(2, 6))
    check(lambda a: a.broadcast_to((2, 3, 4)), None, rnd(4))


@pytest.mark.parametrize("fn", [
    lambda a: a.reshape(0, 5), lambda a: a.reshape(-1, 5), lambda a: a.flatten(), lambda a: a.permute(1, 0),
    lambda a: a.unsqueeze(0), lambda a: a.expand(2, 0, 5), lambda a: a.t(), lambda a: a.narrow(1, 0, 2),
])
def test_empty(fn):
    check(fn, None, np.zeros((0, 5), np.float32))


@pytest.mark.parametrize("fn", [
    lambda a: a.reshape(1), lambda a: a.reshape(()), lambda a: a.view(1, 1), lambda a: a.flatten(),
    lambda a: a.unsqueeze(0), lambda a: a.unsqueeze(-1), lambda a: a.squeeze(), lambda a: a.expand(3),
    lambda a: a.permute(()),
])
def test_zero_dim(fn):
    check(fn, None, np.float32(2.5))


def test_views_share_memory_and_version():
    x = ember.arange(12.0).reshape(3, 4)
    for v in [x.view(4, 3), x.transpose(0, 1), x[1], x[:, 1:3], x.unsqueeze(0), x.expand(2, 3, 4),
              x.narrow(0, 1, 1), x.permute(1, 0)]:
        before = v.tolist()
        x.add_(1)
        assert v.tolist() != before, "a view must see in-place changes of its base"
        assert v._version == x._version


def test_inplace_on_expanded_tensor_errors():
    x = ember.ones(3).expand(2, 3)
    with pytest.raises(RuntimeError, match="single memory location"):
        x.add_(1)
    with pytest.raises(RuntimeError):
        torch.ones(3).expand(2, 3).add_(1)
    y = ember.ones(3).expand(2, 3).clone()
    y.add_(1)
    assert y.tolist() == [[2.0] * 3] * 2


def test_view_incompatible_strides_error():
    x = ember.zeros(3, 4).t()
    with pytest.raises(RuntimeError, match="reshape"):
        x.view(12)
    assert x.reshape(12).shape == (12,)


def test_shape_errors():
    x = ember.zeros(2, 3)
    with pytest.raises(RuntimeError, match="invalid for input of size 6"):
        x.reshape(4, 2)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.reshape(-1, -1)
    with pytest.raises(RuntimeError, match="must match the existing size"):
        x.expand(3, 4)
    with pytest.raises(RuntimeError, match="permute"):
        x.permute(0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.transpose(0, 2)
    with pytest.raises(RuntimeError, match="t\\(\\) expects"):
        ember.zeros(2, 2, 2).t()


# -- gradcheck ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda a: a.reshape(4, 3), lambda a: a.permute(1, 0, 2), lambda a: a.transpose(0, 2), lambda a: a[:, :1].expand(2, 3, 2),
    lambda a: a.narrow(1, 1, 2), lambda a: a.unsqueeze(1).squeeze(1), lambda a: a.movedim(0, 2), lambda a: a.flatten(1),
], ids=lambda f: "")
def test_gradcheck(fn):
    x = ember.tensor(rnd(2, 3, 2, dtype=np.float64), requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x,))


# -- found by the fuzz against PyTorch (issue 14) --------------------------------------------------

@pytest.mark.parametrize("dims", [(0, 1), (0, -2), (2, 0), (0, 3)])
def test_transpose_of_a_scalar_checks_its_dims(dims):
    assert_same(lambda t: t.transpose(t.tensor(1.5), *dims), error=IndexError)
    assert_same(lambda t: t.transpose(t.tensor(1.5), 0, -1))


def test_select_of_a_1d_tensor_is_a_view_in_place_writes_reach_the_base():
    for lib in (ember, torch):
        a = lib.zeros(3, dtype=lib.int64)
        a.select(0, 1).add_(5)
        lib.unbind(a)[2].fill_(7)
        assert a.tolist() == [0, 5, 7], lib.__name__
    b = ember.zeros(3, requires_grad=True)
    tb = torch.zeros(3, requires_grad=True)
    for lib, leaf in ((ember, b), (torch, tb)):
        c = leaf * 1
        c.select(0, 2).mul_(3)
        (c * lib.tensor([1.0, 2.0, 4.0])).sum().backward()
    assert b.grad.tolist() == tb.grad.tolist()
