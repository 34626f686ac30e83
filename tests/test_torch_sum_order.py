"""Under ``ember run`` (``compat.install()`` sets ``_torch_sum.ENABLED``), sums and means of small
contiguous float32 tensors (every element, or the last dim) add their numbers in PyTorch's order
(``ember/_torch_sum.py``), bit for bit, so printed results carry torch's last digits; broadcasting
gradients reduced over the last dim too; compiled replays agree. Plain ``import ember`` keeps
NumPy's faster sums."""
import numpy as np
import pytest
import torch

import ember
from ember import _torch_sum
from ember._torch_sum import LIMIT, sum_rows


@pytest.fixture(autouse=True)
def torch_order(monkeypatch):
    monkeypatch.setattr(_torch_sum, "ENABLED", True)


def test_plain_ember_keeps_numpy_sums(monkeypatch):
    monkeypatch.setattr(_torch_sum, "ENABLED", False)
    a = _data(1000)
    assert ember.tensor(a).sum().item() == np.add.reduce(a)
    assert _torch_sum.reduce_last(a, None, False) is None

RNG = np.random.default_rng(11)
SIZES = list(range(1, 70)) + [127, 128, 129, 255, 256, 257, 511, 512, 513, 1000, 4095, 4096, 4097, 8193, LIMIT]


def _data(*shape):
    return (RNG.random(shape) * 3 - 1).astype(np.float32)


@pytest.mark.parametrize("n", SIZES)
def test_full_sum_and_mean_bitwise(n):
    for _ in range(3):
        a = _data(n)
        assert sum_rows(a) == torch.from_numpy(a).sum().item()
        assert ember.tensor(a).sum().item() == torch.from_numpy(a).sum().item()
        assert ember.tensor(a).mean().item() == torch.from_numpy(a).mean().item()


@pytest.mark.parametrize("shape", [(3, 5), (4, 23), (7, 300), (2, 3, 40), (100, 100), (1, 1), (6, 1)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_last_dim_and_all_dims(shape, keepdim):
    a = _data(*shape)
    t, e = torch.from_numpy(a), ember.tensor(a)
    for fn in ["sum", "mean"]:
        want = getattr(t, fn)(-1, keepdim=keepdim)
        got = getattr(e, fn)(-1, keepdim=keepdim)
        assert tuple(got.shape) == tuple(want.shape)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        whole = tuple(range(len(shape)))
        np.testing.assert_array_equal(getattr(e, fn)(whole, keepdim=keepdim).numpy(),
                                      getattr(t, fn)(whole, keepdim=keepdim).numpy())


def test_softmax_rows_sum_prints_as_torch():
    a = _data(4, 23) * 4
    t = torch.softmax(torch.from_numpy(a), -1)
    e = ember.tensor(t.numpy())
    assert str(e.sum(1)).replace("ember", "torch") == str(t.sum(1))


def test_signed_zero_and_special_values():
    for vals in ([-0.0, -0.0], [np.inf, 1.0], [np.nan, 2.0], [-np.inf, np.inf]):
        a = np.array(vals, dtype=np.float32)
        np.testing.assert_array_equal(ember.tensor(a).sum().numpy(), torch.from_numpy(a).sum().numpy())
        assert np.signbit(ember.tensor(a).sum().numpy()) == np.signbit(torch.from_numpy(a).sum().numpy())


def test_broadcast_gradient_over_last_dim_bitwise():
    a, b = _data(32, 23), _data(32, 1)
    grads = []
    for m in (torch, ember):
        x, y = m.tensor(a), m.tensor(b, requires_grad=True)
        g = m.tensor(_data(32, 23) if m is torch else grads_in)
        if m is torch:
            grads_in = g.numpy().copy()
        (x - y).backward(g)
        grads.append(y.grad.numpy())
    np.testing.assert_array_equal(grads[1], grads[0])


def test_larger_sums_and_other_dtypes_unchanged():
    a = _data(LIMIT + 8)
    assert ember.tensor(a).sum().item() == np.add.reduce(a)
    d = _data(50).astype(np.float64)
    assert ember.tensor(d).sum().item() == np.add.reduce(d)
    assert ember.tensor(_data(5, 6)).sum(0).shape == (6,)


def test_compiled_sum_matches_eager():
    model = lambda x: (x * 2).sum()
    compiled = ember.compile(model)
    for _ in range(3):
        a = _data(4, 37)
        want = (torch.from_numpy(a) * 2).sum().item()
        assert compiled(ember.tensor(a)).item() == model(ember.tensor(a)).item() == want


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits"])
def test_loss_reductions_bitwise(name, reduction):
    # the reduction of ember's own elementwise losses, in torch's order (the elementwise values
    # themselves may differ from torch's by an ulp, e.g. through log)
    rng = np.random.default_rng(5)
    x, y = (rng.random((2, 100, 3)) * 3 - 1).astype(np.float32)
    if name == "binary_cross_entropy":
        x, y = np.clip(x, 0.05, 0.95), (y > 0.3).astype(np.float32)
    fn = getattr(ember.nn.functional, name)
    each = fn(ember.tensor(x), ember.tensor(y), reduction="none").numpy()
    want = getattr(torch.from_numpy(each), reduction)()
    assert fn(ember.tensor(x), ember.tensor(y), reduction=reduction).item() == want.item()
