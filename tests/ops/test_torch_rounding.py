"""Where ember, under ``ember run`` (``_torch_sum.ENABLED``, set by ``compat.install()``), rounds
float32 elementwise math as PyTorch's CPU kernels do, so that a program prints PyTorch's digits:
``exp`` (rounded once from float64: torch's vectorised expf agrees with that on ~99% of inputs,
NumPy's float32 exp on ~60%) and tanh's backward ``g * (1 - y * y)`` with ``1 - y * y`` rounded
once (torch's fused multiply-add), eager and compiled. Plain ember keeps NumPy's faster kernels."""
import numpy as np
import pytest
import torch

import ember
from ember import _torch_sum


@pytest.fixture(autouse=True)
def torch_rounding(monkeypatch):
    monkeypatch.setattr(_torch_sum, "ENABLED", True)


def test_plain_ember_keeps_numpys_exp(monkeypatch):
    monkeypatch.setattr(_torch_sum, "ENABLED", False)
    np.testing.assert_array_equal(ember.exp(ember.tensor(X)).numpy(), np.exp(X))

X = (np.random.default_rng(3).standard_normal(50_000) * 4).astype(np.float32)


def test_exp_float32_agrees_with_torch_almost_everywhere():
    got = ember.exp(ember.tensor(X)).numpy()
    want = torch.exp(torch.tensor(X)).numpy()
    assert got.dtype == np.float32
    assert (got != want).mean() < 0.03                          # NumPy's own float32 exp: ~0.4
    np.testing.assert_allclose(got, want, rtol=2.5e-7)          # and never more than an ulp away


def test_exp_keeps_float64_and_special_values():
    x = np.array([-np.inf, -104.0, 0.0, 88.8, np.inf, np.nan], dtype=np.float32)
    with np.errstate(over="ignore"):          # 88.8 overflows float32: NumPy's warning, as np.exp gives
        np.testing.assert_array_equal(ember.exp(ember.tensor(x)).numpy(), torch.exp(torch.tensor(x)).numpy())
    x64 = X.astype(np.float64)[:100]
    assert ember.exp(ember.tensor(x64)).dtype == ember.float64
    np.testing.assert_allclose(ember.exp(ember.tensor(x64)).numpy(), np.exp(x64), rtol=1e-15)
    assert ember.exp(ember.tensor(1.5)).shape == ()


def test_tanh_backward_rounds_as_torch():
    g = np.random.default_rng(4).standard_normal(X.size).astype(np.float32)
    x_t = torch.tensor(X, requires_grad=True)
    out_t = torch.tanh(x_t)
    out_t.backward(torch.tensor(g))
    x_e = ember.tensor(X, requires_grad=True)
    out_e = ember.tanh(x_e)
    out_e.backward(ember.tensor(g))
    same_y = out_t.detach().numpy() == out_e.detach().numpy()
    assert same_y.mean() > 0.5
    np.testing.assert_array_equal(x_e.grad.numpy()[same_y], x_t.grad.numpy()[same_y])   # bitwise where y agrees


@pytest.mark.parametrize("fn", ["tanh", "exp"])
def test_compiled_replay_matches_eager(fn):
    f = getattr(ember, fn)
    model = lambda x: f(x * 1.5).sum()
    compiled = ember.compile(model)
    for _ in range(3):
        x1 = ember.tensor(X[:512].reshape(16, 32), requires_grad=True)
        x2 = ember.tensor(X[:512].reshape(16, 32), requires_grad=True)
        model(x1).backward()
        compiled(x2).backward()
        np.testing.assert_array_equal(x1.grad.numpy(), x2.grad.numpy())


def test_tanh_twice_differentiable():
    hs = []
    for m in (ember, torch):
        x = m.tensor([0.3, -1.2, 2.0], requires_grad=True)
        (g,) = m.autograd.grad(m.tanh(x).sum(), x, create_graph=True)
        (h,) = m.autograd.grad(g.sum(), x)
        hs.append(h.numpy())
    np.testing.assert_allclose(hs[0], hs[1], rtol=1e-6)
