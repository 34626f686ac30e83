"""The Embedding layer against PyTorch (the functional op: tests/ops/test_embedding.py)."""
import numpy as np
import pytest
import torch

import ember
from tests.nn._module_oracle import compare_module


def _idx(*shape, n=10, seed=0):
    return np.random.default_rng(seed).integers(0, n, shape).astype(np.int64)


@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 0}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                                    {"max_norm": 1.0}, {"max_norm": 1.5, "norm_type": 1.0}])
def test_embedding_matches_torch(kwargs):
    e, t = ember.nn.Embedding(10, 4, **kwargs), torch.nn.Embedding(10, 4, **kwargs)
    idx = _idx(3, 5)
    idx[0, :3] = [0, 9, 0]  # repeated and padding indices
    compare_module(e, t, idx)
    assert repr(e) == repr(t)
    if "max_norm" in kwargs:  # looked-up rows were renormalised in place, as in torch
        np.testing.assert_allclose(e.weight._data, t.weight.detach().numpy(), atol=1e-5)


def test_embedding_init_and_padding_row():
    e = ember.nn.Embedding(1000, 8, padding_idx=3)
    assert np.all(e.weight._data[3] == 0)
    w = np.delete(e.weight._data, 3, axis=0)
    assert abs(w.mean()) < 0.05 and abs(w.std() - 1) < 0.05  # N(0, 1)


def test_embedding_errors():
    e = ember.nn.Embedding(5, 2)
    with pytest.raises(IndexError, match="index out of range"):
        e(ember.tensor([1, 5]))
    with pytest.raises(IndexError):
        e(ember.tensor([-1]))
    with pytest.raises(RuntimeError, match="Long, Int"):
        e(ember.tensor([1.0, 2.0]))


def test_embedding_from_pretrained():
    w = ember.randn(4, 3)
    e = ember.nn.Embedding.from_pretrained(w)
    assert not e.weight.requires_grad
    np.testing.assert_array_equal(e(ember.tensor([2]))._data[0], w._data[2])
    assert ember.nn.Embedding.from_pretrained(w, freeze=False).weight.requires_grad
