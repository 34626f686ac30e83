"""Embedding and the functional ops pad / embedding / bilinear / normalize against PyTorch."""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from tests.nn._module_oracle import compare_module
from tests.oracle import check


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
        np.testing.assert_allclose(e.weight.data, t.weight.detach().numpy(), atol=1e-5)


def test_embedding_init_and_padding_row():
    e = ember.nn.Embedding(1000, 8, padding_idx=3)
    assert np.all(e.weight.data[3] == 0)
    w = np.delete(e.weight.data, 3, axis=0)
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
    np.testing.assert_array_equal(e(ember.tensor([2])).data[0], w.data[2])
    assert ember.nn.Embedding.from_pretrained(w, freeze=False).weight.requires_grad


def test_functional_embedding():
    w = np.random.default_rng(0).standard_normal((7, 3)).astype(np.float32)
    idx = _idx(2, 4, n=7)
    e_w = ember.tensor(w, requires_grad=True)
    t_w = torch.tensor(w, requires_grad=True)
    out_e = F.embedding(ember.tensor(idx), e_w, padding_idx=2)
    out_t = torch.nn.functional.embedding(torch.tensor(idx), t_w, padding_idx=2)
    np.testing.assert_allclose(out_e.data, out_t.detach().numpy())
    out_e.sum().backward()
    out_t.sum().backward()
    np.testing.assert_allclose(e_w.grad.data, t_w.grad.numpy())


PAD_CASES = [
    ((1, 2), "constant", (2, 3, 4)), ((1, 2, 0, 3), "constant", (2, 3, 4)), ((-1, 2), "constant", (2, 3, 4)),
    ((2, 1), "reflect", (2, 3, 4)), ((2, 1, 1, 2), "reflect", (1, 2, 4, 5)), ((3, 1), "replicate", (2, 3, 4)),
    ((1, 2, 2, 0), "replicate", (1, 2, 3, 4)), ((2, 1), "circular", (2, 3, 4)),
    ((1, 2, 2, 1), "circular", (1, 2, 3, 4)),
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


def test_functional_bilinear_and_normalize():
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 2)).astype(np.float32)
    w, b = rng.standard_normal((5, 3, 2)).astype(np.float32), rng.standard_normal(5).astype(np.float32)
    check(F.bilinear, torch.nn.functional.bilinear, x1, x2, w, b, atol=1e-5)
    check(lambda a: F.normalize(a, dim=1), lambda a: torch.nn.functional.normalize(a, dim=1), x1)
    check(lambda a: F.normalize(a, p=1, dim=0), lambda a: torch.nn.functional.normalize(a, p=1, dim=0), x1)


def test_functional_layer_and_group_norm():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    w, b = rng.standard_normal(3).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    check(lambda a, ww, bb: F.layer_norm(a, (3,), ww, bb), lambda a, ww, bb: torch.nn.functional.layer_norm(a, (3,), ww, bb),
          x, w, b, atol=1e-4)
    w4, b4 = rng.standard_normal(4).astype(np.float32), rng.standard_normal(4).astype(np.float32)
    check(lambda a, ww, bb: F.group_norm(a, 2, ww, bb), lambda a, ww, bb: torch.nn.functional.group_norm(a, 2, ww, bb),
          x, w4, b4, atol=1e-4)
    check(lambda a: F.group_norm(a, 4), lambda a: torch.nn.functional.group_norm(a, 4), x, atol=1e-4)
