"""ember.utils.viz.explain: the chain rule with numbers, checked against closed forms and torch."""
import numpy as np
import pytest
import torch

import ember
from ember.autograd.function import Function, Op
from ember.utils.viz import Explanation, explain, recording


def _tutorial(x, y, w1, w2, record=True):
    t = {"x": ember.tensor(x), "y": ember.tensor(y), "w1": ember.tensor(w1, requires_grad=True),
         "w2": ember.tensor(w2, requires_grad=True)}
    if record:
        with recording():
            t["y_hat"] = t["w2"] * (t["w1"] * t["x"])
            t["L"] = 0.5 * (t["y"] - t["y_hat"]) ** 2
    else:
        t["y_hat"] = t["w2"] * (t["w1"] * t["x"])
        t["L"] = 0.5 * (t["y"] - t["y_hat"]) ** 2
    return explain(t["L"], names=t), t


@pytest.mark.parametrize("x,y,w1,w2", [(2.0, 10.0, 1.5, 0.5), (-1.25, 3.0, 0.75, -2.0), (0.5, -4.0, 3.0, 1.0)])
def test_tutorial_example_matches_the_closed_forms(x, y, w1, w2):
    ex, t = _tutorial(x, y, w1, w2)
    y_hat = w2 * w1 * x
    close = dict(rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ex["y_hat"]["value"], y_hat, **close)
    np.testing.assert_allclose(ex["L"]["value"], 0.5 * (y - y_hat) ** 2, **close)
    np.testing.assert_allclose(ex["y_hat"]["incoming"], y_hat - y, **close)            # dL/dy_hat
    np.testing.assert_allclose(ex["w2"]["gradient"], (y_hat - y) * w1 * x, **close)    # dL/dw2
    np.testing.assert_allclose(ex["w1"]["gradient"], (y_hat - y) * w2 * x, **close)    # dL/dw1
    # local derivatives of y_hat = w2 * v1: d/dw2 = v1 = w1 x, d/dv1 = w2; the chain rule in the row
    row = ex["y_hat"]
    np.testing.assert_allclose(row["local"]["w2"], w1 * x, **close)
    v1 = row["inputs"][1]
    np.testing.assert_allclose(row["local"][v1], w2, **close)
    np.testing.assert_allclose(row["gradients"]["w2"], row["incoming"] * row["local"]["w2"], **close)
    # and the same numbers as loss.backward() in torch
    tw1, tw2 = torch.tensor(w1, requires_grad=True), torch.tensor(w2, requires_grad=True)
    (0.5 * (torch.tensor(y) - tw2 * (tw1 * torch.tensor(x))) ** 2).backward()
    np.testing.assert_allclose(ex["w1"]["gradient"], tw1.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(ex["w2"]["gradient"], tw2.grad.numpy(), rtol=1e-6)
    assert t["w1"].grad is None and t["w2"].grad is None       # explain does not touch .grad


def test_table_lists_steps_in_evaluation_order_with_the_numbers():
    ex, _ = _tutorial(2.0, 10.0, 1.5, 0.5)
    assert isinstance(ex, Explanation) and len(ex) == 7
    assert [r["name"] for r in ex.rows][-1] == "L"
    names = [r["name"] for r in ex.rows]
    assert names.index("w1") < names.index("y_hat") < names.index("L")
    text = str(ex)
    assert "dL/dw2 = -8.5 * 3 = -25.5" in text and "dL/dw1 = -4.25 * 2 = -8.5" in text
    assert "w2 * v1" in text and "y - y_hat" in text and "v2 ** 2" in text
    assert "?" not in text                         # every value was recorded


def test_without_recording_unknown_values_are_marked_and_gradients_still_right():
    ex, _ = _tutorial(2.0, 10.0, 1.5, 0.5, record=False)
    assert "recording()" in str(ex)
    np.testing.assert_allclose(ex["w1"]["gradient"], -8.5)
    np.testing.assert_allclose(ex["w2"]["gradient"], -25.5)


def test_recording_restores_apply_even_after_an_error():
    before = {c: c.__dict__.get("apply") for c in (Function, Op)}
    with pytest.raises(ZeroDivisionError):
        with recording():
            1 / 0
    assert {c: c.__dict__.get("apply") for c in (Function, Op)} == before


def test_small_tensors_jacobian_and_gradient_match_torch():
    rng = np.random.default_rng(0)
    w, xv = rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    W, x = ember.tensor(w, requires_grad=True), ember.tensor(xv)
    with recording():
        h = W @ x
        loss = h.tanh().sum()
    ex = explain(loss, names={"W": W, "x": x, "h": h})
    tW = torch.tensor(w, requires_grad=True)
    (tW @ torch.tensor(xv)).tanh().sum().backward()
    np.testing.assert_allclose(ex["W"]["gradient"], tW.grad.numpy(), rtol=1e-5, atol=1e-6)
    jac = torch.autograd.functional.jacobian(lambda m: m @ torch.tensor(xv), torch.tensor(w)).reshape(2, 6)
    np.testing.assert_allclose(ex["h"]["local"]["W"], jac.numpy(), rtol=1e-6)
    tanh_row = [r for r in ex.rows if r["op"] == "Tanh"][0]       # elementwise: the diagonal, in h's shape
    np.testing.assert_allclose(tanh_row["local"]["h"], 1 - np.tanh(w @ xv) ** 2, rtol=1e-5)


def test_an_input_used_twice_gets_both_contributions():
    a = ember.tensor(3.0, requires_grad=True)
    with recording():
        loss = a * a
    ex = explain(loss, names={"a": a})
    np.testing.assert_allclose(ex["a"]["gradient"], 6.0)
    assert set(ex["L"]["gradients"]) == {"a (input 1)", "a (input 2)"}


def test_refuses_non_scalar_and_large_graphs_politely():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"single number.*shape \(2,\).*explain\(loss.sum\(\)\)"):
        explain(w * 2)
    big = ember.randn(5, 5, requires_grad=True)
    with pytest.raises(ValueError, match=r"shape \(5, 5\) \(25 elements\).*at most 16|limited to 16 elements"):
        explain((big * 2).sum())
    v = ember.tensor(1.0, requires_grad=True)
    out = v
    for _ in range(30):
        out = out * 1.5 + 1.0
    with pytest.raises(ValueError, match=r"more than 40 steps.*make_dot"):
        explain(out)
    assert len(explain(out, max_nodes=100)) == 61
    with pytest.raises(ValueError, match="no graph"):
        explain(ember.tensor(1.0))
    with pytest.raises(TypeError, match="expected the loss Tensor"):
        explain(1.0)


def test_views_reductions_and_a_layer_match_torch():
    a = ember.tensor([1.0, 3.0, 2.0, 5.0], requires_grad=True)
    with recording():
        p, q = a.split(2)
        loss = (p * q).sum() + a.max()
    ex = explain(loss, names={"a": a})
    ta = torch.tensor([1.0, 3.0, 2.0, 5.0], requires_grad=True)
    tp, tq = ta.split(2)
    ((tp * tq).sum() + ta.max()).backward()
    np.testing.assert_allclose(ex["a"]["gradient"], ta.grad.numpy())
    assert "max(a)" in str(ex) and ex["L"]["value"] == 22.0

    lin = ember.nn.Linear(3, 2)
    x, y = ember.randn(2, 3), ember.randn(2, 2)
    loss = ember.nn.functional.mse_loss(lin(x), y)
    ex = explain(loss, names=dict(lin.named_parameters()))
    tl = torch.nn.Linear(3, 2)
    with torch.no_grad():
        tl.weight.copy_(torch.tensor(lin.weight._data))
        tl.bias.copy_(torch.tensor(lin.bias._data))
    torch.nn.functional.mse_loss(tl(torch.tensor(x._data)), torch.tensor(y._data)).backward()
    np.testing.assert_allclose(ex["weight"]["gradient"], tl.weight.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ex["bias"]["gradient"], tl.bias.grad.numpy(), rtol=1e-5, atol=1e-6)
