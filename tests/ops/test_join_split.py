"""Joining and splitting vs PyTorch: cat/stack/hstack/vstack (sizes, dtype promotion, legacy empty tensors),
split/tensor_split/chunk/unbind, meshgrid; forward, gradients, empty shapes, errors, gradcheck."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle import check
from tests.ops._data import rnd

X = rnd(2, 3, 4)


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


@pytest.mark.parametrize("fn", [lambda a: a.split(2, 1), lambda a: a.unbind(0), lambda a: a.chunk(2, 1)])
def test_empty(fn):
    check(fn, None, np.zeros((0, 5), np.float32))


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid(indexing):
    check(lambda a, b, c: _mod(a).meshgrid(a, b, c, indexing=indexing), None, rnd(2), rnd(3), rnd(4))
    check(lambda a, b: _mod(a).meshgrid([a, b], indexing=indexing), None, rnd(2), rnd(3))


def test_meshgrid_rejects_unknown_indexing():
    # an unknown indexing was taken as 'ij' (accepted and ignored); torch raises RuntimeError
    with pytest.raises(RuntimeError, match="indexing must be one of"):
        ember.meshgrid(ember.arange(2), ember.arange(3), indexing="ji")
    with pytest.raises(RuntimeError, match="indexing must be one of"):
        torch.meshgrid(torch.arange(2), torch.arange(3), indexing="ji")


def test_join_split_errors():
    x = ember.zeros(2, 3)
    with pytest.raises(RuntimeError, match="Sizes of tensors must match"):
        ember.cat([x, ember.zeros(2, 4)], 0)
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        ember.stack([x, ember.zeros(3, 2)])
    with pytest.raises(RuntimeError, match="split_with_sizes"):
        x.split([1, 1], 1)
    with pytest.raises(RuntimeError, match="zero-dimensional"):
        ember.cat([ember.tensor(1.0), ember.tensor(2.0)])


# -- gradcheck ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda a: ember.cat([a, a * 2], 1), lambda a: ember.stack([a, a.flip(0)], 2), lambda a: a.split(1, 1)[1],
    lambda a: a.chunk(2, 1)[0], lambda a: a.unbind(2)[1],
], ids=lambda f: "")
def test_gradcheck(fn):
    x = ember.tensor(rnd(2, 3, 2, dtype=np.float64), requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x,))
