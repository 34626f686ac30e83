"""``torch.matmul(a, b, out=c)`` and ``torch.mm(..., out=)`` as PyTorch: the product written into
``out`` (resized when its shape differs), and refused when an argument requires grad."""
import numpy as np
import pytest
import torch

import ember


@pytest.mark.parametrize("fn", ["matmul", "mm"])
def test_out_receives_the_product(fn):
    a = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    b = np.arange(8, dtype=np.float32).reshape(4, 2) - 3
    results = []
    for m in (torch, ember):
        out = m.zeros(3, 2)
        r = getattr(m, fn)(m.tensor(a), m.tensor(b), out=out)
        assert r is out
        results.append(out.numpy().copy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)   # BLAS round-off


def test_matmul_out_batched_and_vector():
    a = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    v = np.random.default_rng(1).standard_normal(4).astype(np.float32)
    for shape_b in [(2, 4, 5), (4,)]:
        b = np.random.default_rng(2).standard_normal(shape_b).astype(np.float32) if shape_b != (4,) else v
        want = torch.matmul(torch.tensor(a), torch.tensor(b))
        out = ember.empty(*want.shape)
        ember.matmul(ember.tensor(a), ember.tensor(b), out=out)
        np.testing.assert_allclose(out.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


def test_matmul_out_refused_with_grad():
    with pytest.raises(RuntimeError):
        torch.matmul(torch.ones(2, 2, requires_grad=True), torch.ones(2, 2), out=torch.empty(2, 2))
    with pytest.raises(RuntimeError, match="out="):
        ember.matmul(ember.ones(2, 2, requires_grad=True), ember.ones(2, 2), out=ember.empty(2, 2))
