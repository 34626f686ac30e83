"""Shape ops vs PyTorch: forward, gradients, views sharing memory, errors."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle import check
from tests.ops._data import rnd

X = rnd(2, 3, 4)

SINGLE = [
    lambda a: a.reshape(6, 4), lambda a: a.reshape(-1), lambda a: a.reshape((4, -1)), lambda a: a.view(2, 12),
    lambda a: a.view(-1, 4), lambda a: a.flatten(), lambda a: a.flatten(1), lambda a: a.flatten(0, 1),
    lambda a: a.unflatten(2, (2, 2)), lambda a: a.unflatten(-1, (-1, 2)), lambda a: a.unsqueeze(0),
    lambda a: a.unsqueeze(-1), lambda a: a.unsqueeze(1).squeeze(), lambda a: a.unsqueeze(1).squeeze(1),
    lambda a: a.squeeze(0), lambda a: a.permute(2, 0, 1), lambda a: a.permute((1, 2, 0)),
    lambda a: a.transpose(0, 2), lambda a: a.transpose(-1, -2), lambda a: a.mT, lambda a: a[0].t(),
    lambda a: a[0].T, lambda a: a.movedim(0, -1), lambda a: a.movedim((0, 1), (2, 0)),
    lambda a: a[:, :1].expand(2, 5, 4), lambda a: a[:, :1].expand(3, -1, -1, 4),
    lambda a: a.repeat(2, 1, 3), lambda a: a.repeat(2, 1, 1, 2), lambda a: a.tile((2,)), lambda a: a.tile((2, 1, 1, 1)),
    lambda a: a.flip(0), lambda a: a.flip((0, 2)), lambda a: a.flip(-1), lambda a: a.narrow(1, 1, 2),
    lambda a: a.narrow(-1, 0, 3), lambda a: a.swapaxes(0, 1), lambda a: a.roll(1, 2), lambda a: a.roll(2),
    lambda a: a.roll((1, -1), (0, 2)), lambda a: a.contiguous(), lambda a: a.clone(), lambda a: a.select(1, -1),
    lambda a: a.ravel(), lambda a: a[0].tril(), lambda a: a[0].triu(1), lambda a: a[0].diagonal(),
    lambda a: a.diagonal(0, 1, 2), lambda a: a[0].trace().reshape(1),
]


@pytest.mark.parametrize("fn", SINGLE, ids=[str(i) for i in range(len(SINGLE))])
def test_single_input(fn):
    check(fn, None, X)


def test_repeat_interleave():
    check(lambda a: a.repeat_interleave(2), None, X)
    check(lambda a: a.repeat_interleave(3, dim=1), None, X)
    check(lambda a: a.repeat_interleave(_mod(a).tensor([1, 0, 2]), dim=-2), None, X)
    check(lambda a: _mod(a).repeat_interleave(a, 2, 0), None, rnd(3))
    check(lambda a: a.repeat_interleave(2), None, np.arange(3), grad=False)


def test_t_T_on_low_dims():
    for shape in [(), (3,)]:
        check(lambda a: a.t(), None, rnd(*shape))
        check(lambda a: a.T, None, rnd(*shape))


@pytest.mark.parametrize("fn", [
    lambda a: a.split(2, 1), lambda a: a.split([1, 2], 1), lambda a: a.split(3, -1), lambda a: a.chunk(2, 2),
    lambda a: a.chunk(3, 1), lambda a: a.unbind(1), lambda a: a.unbind(), lambda a: a.tensor_split(3, 2),
    lambda a: ember.split(a, 1) if isinstance(a, ember.Tensor) else torch.split(a, 1),
    lambda a: ember.unbind(a, -1) if isinstance(a, ember.Tensor) else torch.unbind(a, -1),
])
def test_multi_output(fn):
    check(fn, None, X)


def test_chunk_uneven():
    x = rnd(5, 2)
    check(lambda a: a.chunk(3), None, x)
    check(lambda a: a.chunk(2), None, x)
    check(lambda a: a.chunk(7), None, x)


def _mod(a):
    return ember if isinstance(a, ember.Tensor) else torch


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_stack(dim):
    a, b, c = rnd(2, 3), rnd(2, 3), rnd(2, 3)
    check(lambda x, y, z: _mod(x).cat([x, y, z], dim), None, a, b, c)
    check(lambda x, y, z: _mod(x).stack((x, y, z), dim), None, a, b, c)
    check(lambda x, y: _mod(x).cat([x, y], dim=dim), None, a, rnd(2, 3) if dim == 0 else rnd(2, 3))


def test_cat_different_sizes_and_dtypes():
    check(lambda x, y: _mod(x).cat([x, y], 0), None, rnd(2, 3), rnd(4, 3))
    check(lambda x, y: _mod(x).cat([x, y], 1), None, rnd(2, 3), rnd(2, 1))
    check(lambda x, y: _mod(x).cat([x, y], 0), None, rnd(2, 3), np.arange(3).reshape(1, 3))
    check(lambda x, y: _mod(x).cat([x, y], 0), None, rnd(2, 3), np.zeros((0,), np.float32))  # legacy empty
    check(lambda x, y: _mod(x).stack([x, y], 0), None, rnd(2, 3), rnd(2, 3).astype(np.float64))
    check(lambda x, y: _mod(x).cat([x, y], 0), None, rnd(0, 3), rnd(2, 3))
    check(lambda x, y: _mod(x).stack([x, y]), None, np.float32(1), np.float32(2))


def test_hstack_vstack():
    check(lambda x, y: _mod(x).hstack([x, y]), None, rnd(2, 3), rnd(2, 1))
    check(lambda x, y: _mod(x).vstack([x, y]), None, rnd(3), rnd(3))


def test_expand_as_view_as_reshape_as_broadcast_to():
    check(lambda a, b: a.expand_as(b), None, rnd(3, 1), rnd(3, 4))
    check(lambda a, b: a.view_as(b), None, rnd(3, 4), rnd(12))
    check(lambda a, b: a.reshape_as(b), None, rnd(3, 4), rnd(2, 6))
    check(lambda a: a.broadcast_to((2, 3, 4)), None, rnd(4))


@pytest.mark.parametrize("fn", [
    lambda a: a.reshape(0, 5), lambda a: a.reshape(-1, 5), lambda a: a.flatten(), lambda a: a.permute(1, 0),
    lambda a: a.unsqueeze(0), lambda a: a.expand(2, 0, 5), lambda a: a.flip(0), lambda a: a.repeat(2, 1),
    lambda a: a.split(2, 1), lambda a: a.t(), lambda a: a.narrow(1, 0, 2), lambda a: a.unbind(0),
    lambda a: a.chunk(2, 1),
])
def test_empty(fn):
    check(fn, None, np.zeros((0, 5), np.float32))


@pytest.mark.parametrize("fn", [
    lambda a: a.reshape(1), lambda a: a.reshape(()), lambda a: a.view(1, 1), lambda a: a.flatten(),
    lambda a: a.unsqueeze(0), lambda a: a.unsqueeze(-1), lambda a: a.squeeze(), lambda a: a.expand(3),
    lambda a: a.repeat(2), lambda a: a.permute(()), lambda a: a.flip(()), lambda a: a.clone(),
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
    with pytest.raises(RuntimeError, match="Sizes of tensors must match"):
        ember.cat([x, ember.zeros(2, 4)], 0)
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        ember.stack([x, ember.zeros(3, 2)])
    with pytest.raises(RuntimeError, match="permute"):
        x.permute(0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.transpose(0, 2)
    with pytest.raises(RuntimeError, match="split_with_sizes"):
        x.split([1, 1], 1)
    with pytest.raises(RuntimeError, match="t\\(\\) expects"):
        ember.zeros(2, 2, 2).t()
    with pytest.raises(RuntimeError, match="zero-dimensional"):
        ember.cat([ember.tensor(1.0), ember.tensor(2.0)])


def test_sort_topk_grad():
    x = rnd(3, 5)
    e, t = check(lambda a: a.sort(1), None, x)
    check(lambda a: a.sort(0, descending=True), None, x)
    check(lambda a: a.topk(2, 1), None, x)
    check(lambda a: a.topk(2, 0, largest=False), None, x)
    check(lambda a: a.argsort(1), None, x, grad=False)


# -- gradcheck ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda a: a.reshape(4, 3), lambda a: a.permute(1, 0, 2), lambda a: a.transpose(0, 2), lambda a: a[:, :1].expand(2, 3, 2),
    lambda a: a.repeat(2, 1, 1), lambda a: a.flip(1), lambda a: a.narrow(1, 1, 2), lambda a: a.unsqueeze(1).squeeze(1),
    lambda a: ember.cat([a, a * 2], 1), lambda a: ember.stack([a, a.flip(0)], 2), lambda a: a.split(1, 1)[1],
    lambda a: a.chunk(2, 1)[0], lambda a: a.unbind(2)[1], lambda a: a.movedim(0, 2), lambda a: a.roll(1, 1),
    lambda a: a.tile((1, 2, 1)), lambda a: a.flatten(1), lambda a: a[0].tril(), lambda a: a.diagonal(0, 1, 2),
    lambda a: a.sort(1)[0], lambda a: a.topk(2, 1)[0],
], ids=lambda f: "")
def test_gradcheck(fn):
    x = ember.tensor(rnd(2, 3, 2, dtype=np.float64), requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x,))
