"""F.ctc_loss and nn.CTCLoss against torch: losses and gradients w.r.t. log_probs (and the logits
before log_softmax), every reduction, zero_infinity, padded and concatenated targets, lengths as
tensors or tuples, unbatched input, impossible alignments, and errors."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as EF

CASES = {
    # T, N, C, input lengths, target lengths, blank
    "full": (7, 3, 5, [7, 6, 4], [3, 2, 1], 0),
    "empty_target": (6, 2, 4, [6, 5], [2, 0], 0),
    "impossible": (6, 3, 5, [6, 2, 5], [3, 3, 1], 0),    # sample 1 cannot fit its 3 labels in 2 steps
    "blank_last": (8, 2, 6, [8, 7], [4, 3], 5),
    "long": (30, 4, 7, [30, 25, 12, 3], [9, 6, 4, 1], 0),
}


def _data(name, seed=0, dtype=np.float64):
    T, N, C, il, tl, blank = CASES[name]
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((T, N, C)).astype(dtype)
    S = max(tl)
    labels = [c for c in range(C) if c != blank]
    tg = rng.choice(labels, (N, S))
    tg[0, :2] = tg[0, 0]                                  # a repeated label needs a blank between
    return logits, tg, il, tl, blank


def _run(lib, F, logits, tg, il, tl, blank, reduction, zero_infinity, concat=False, tuples=False):
    x = lib.tensor(logits, requires_grad=True)
    lp = F.log_softmax(x, dim=-1)
    lp.retain_grad()
    if concat:
        t = lib.tensor(np.concatenate([tg[i, :tl[i]] for i in range(len(tl))]))
    else:
        t = lib.tensor(tg)
    il_, tl_ = (tuple(il), tuple(tl)) if tuples else (lib.tensor(il), lib.tensor(tl))
    loss = F.ctc_loss(lp, t, il_, tl_, blank=blank, reduction=reduction, zero_infinity=zero_infinity)
    (loss.sum() if reduction == "none" else loss).backward()
    return loss, lp.grad, x.grad


def _same(t, e, tol):
    t = t.detach().numpy() if isinstance(t, torch.Tensor) else t
    e = e.detach().numpy() if isinstance(e, ember.Tensor) else e
    assert t.shape == e.shape and str(t.dtype) == str(e.dtype)
    np.testing.assert_allclose(e, t, rtol=tol, atol=tol, equal_nan=True)


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_loss_and_gradients_match_torch(name, reduction, zero_infinity):
    data = _data(name)
    t = _run(torch, TF, *data, reduction, zero_infinity)
    e = _run(ember, EF, *data, reduction, zero_infinity)
    for a, b in zip(t, e):
        _same(a, b, 1e-9)


@pytest.mark.parametrize("name", ["full", "impossible", "long"])
def test_concatenated_targets_and_tuple_lengths(name):
    data = _data(name, seed=1)
    for kw in ({"concat": True}, {"tuples": True}, {"concat": True, "tuples": True}):
        t = _run(torch, TF, *data, "mean", True, **kw)
        e = _run(ember, EF, *data, "mean", True, **kw)
        for a, b in zip(t, e):
            _same(a, b, 1e-9)


def test_float32_matches_torch_to_round_off():
    data = _data("long", seed=2, dtype=np.float32)
    t = _run(torch, TF, *data, "mean", False)
    e = _run(ember, EF, *data, "mean", False)
    assert e[0].dtype == ember.float32
    for a, b in zip(t, e):
        _same(a, b, 2e-5)


def test_inf_loss_without_zero_infinity_gives_torch_values():
    t = _run(torch, TF, *_data("impossible"), "none", False)
    e = _run(ember, EF, *_data("impossible"), "none", False)
    assert np.isinf(e[0].detach().numpy()[1])
    for a, b in zip(t, e):
        _same(a, b, 1e-9)


@pytest.mark.parametrize("lengths", ["tensor", "tuple"])
def test_unbatched(lengths):
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((6, 4))
    res = []
    for lib, F in ((torch, TF), (ember, EF)):
        x = lib.tensor(logits, requires_grad=True)
        il, tl = (lib.tensor(6), lib.tensor(2)) if lengths == "tensor" else ((6,), (2,))
        loss = F.ctc_loss(F.log_softmax(x, -1), lib.tensor([1, 3]), il, tl, reduction="none")
        loss.backward()
        res.append((loss, x.grad))
    assert tuple(res[1][0].shape) == ()
    for a, b in zip(*res):
        _same(a, b, 1e-10)


def test_module_matches_functional_and_torch():
    logits, tg, il, tl, blank = _data("full", seed=4)
    out = []
    for lib in (torch, ember):
        x = lib.tensor(logits, requires_grad=True)
        loss = lib.nn.CTCLoss(blank=blank, zero_infinity=True)(x.log_softmax(2), lib.tensor(tg), tuple(il), tuple(tl))
        loss.backward()
        out.append((loss, x.grad))
    for a, b in zip(*out):
        _same(a, b, 1e-9)
    assert repr(ember.nn.CTCLoss()) == "CTCLoss()"


def test_grad_fn_name_and_second_order_is_a_clear_error():
    lp = ember.randn(5, 1, 3).log_softmax(2).detach().requires_grad_()
    loss = EF.ctc_loss(lp, ember.tensor([[1, 2]]), (5,), (2,), reduction="none")
    assert loss.grad_fn.name() == "CtcLossBackward0"
    g, = ember.autograd.grad(loss.sum(), lp, create_graph=True)      # first order works, as torch
    g0, = ember.autograd.grad(loss.sum(), lp, retain_graph=True)
    np.testing.assert_array_equal(g.detach().numpy(), g0.numpy())
    assert g.requires_grad
    with pytest.raises(RuntimeError, match="second-order gradient of ctc_loss is not available"):
        ember.autograd.grad(g.sum(), lp)


def _lp(lib):
    return lib.tensor(np.log(np.full((5, 2, 4), 0.25)))


BAD = [
    lambda t, F: F.ctc_loss(_lp(t), t.tensor([[1, 2], [1, 1]]), (6, 2), (2, 2)),          # input longer than T
    lambda t, F: F.ctc_loss(_lp(t), t.tensor([[1, 2], [1, 1]]), (5, 2), (3, 2)),          # target longer than S
    lambda t, F: F.ctc_loss(_lp(t), t.tensor([[1, 2], [1, 1]]), (5, 2, 3), (2, 2)),       # lengths vs batch
    lambda t, F: F.ctc_loss(_lp(t), t.tensor([[1, 2], [1, 1]]), (5, 2), (2, 2, 1)),
    lambda t, F: F.ctc_loss(_lp(t), t.tensor([[1, 2], [1, 1]]), (5, 2), (2, 2), blank=4),
    lambda t, F: F.ctc_loss(_lp(t), t.tensor([[1, 2], [1, 1]]), (5, 2), (2, 2), reduction="avg"),
    lambda t, F: F.ctc_loss(_lp(t), t.tensor([[1, 2], [1, 1]]), (5, -1), (2, 2)),
    lambda t, F: F.ctc_loss(_lp(t), t.tensor([[1, 2], [1, 1]]), (5, 2), (2, -1)),
    lambda t, F: F.ctc_loss(_lp(t), t.tensor([1, 2, 1]), (5, 2), (2, 2)),                 # concatenated too short
    lambda t, F: F.ctc_loss(_lp(t), t.tensor([[1, 2], [1, 1]]), t.tensor([5, 2]), (2, 2)),  # mixed kinds
    lambda t, F: F.ctc_loss(_lp(t).reshape(5, 2, 2, 2), t.tensor([[1, 2], [1, 1]]), (5, 2), (2, 2)),
    lambda t, F: F.ctc_loss(_lp(t).long(), t.tensor([[1, 2], [1, 1]]), (5, 2), (2, 2)),
]


@pytest.mark.parametrize("i", range(len(BAD)))
def test_errors_have_torch_types(i):
    with pytest.raises(Exception) as te:
        BAD[i](torch, TF)
    with pytest.raises(type(te.value)):
        BAD[i](ember, EF)


def test_labels_out_of_range_are_refused_clearly():
    # torch reads out-of-range labels without a check (its result is meaningless); ember refuses them
    with pytest.raises(RuntimeError, match=r"labels must be in \[0, 3\]"):
        EF.ctc_loss(_lp(ember), ember.tensor([[1, 7], [1, 1]]), (5, 2), (2, 2))
    with pytest.raises(RuntimeError, match="integer class indices"):
        EF.ctc_loss(_lp(ember), ember.tensor([[1., 2.], [1., 1.]]), (5, 2), (2, 2))


def test_empty_log_probs_refused_as_torch():
    with pytest.raises(RuntimeError, match="must not be empty"):
        EF.ctc_loss(ember.zeros(3, 0, 4), ember.zeros(0, 2, dtype=ember.long), (), ())
    with pytest.raises(RuntimeError):
        TF.ctc_loss(torch.zeros(3, 0, 4), torch.zeros(0, 2, dtype=torch.long), (), ())


def test_gradcheck_through_log_softmax_float64():
    """PyTorch's gradient is exact for the logits before log_softmax (module docstring): gradcheck there."""
    rng = np.random.default_rng(9)
    x = ember.tensor(rng.standard_normal((6, 2, 4)), requires_grad=True)

    def f(logits):
        return EF.ctc_loss(logits.log_softmax(2), ember.tensor([[1, 2, 2], [3, 0, 0]]), (6, 5), (3, 1),
                           reduction="sum")
    assert ember.autograd.gradcheck(f, (x,))


def test_int32_targets_and_lengths_as_torch():
    logits, tg, il, tl, blank = _data("full", seed=10)
    out = []
    for lib, F in ((torch, TF), (ember, EF)):
        x = lib.tensor(logits, requires_grad=True)
        loss = F.ctc_loss(x.log_softmax(2), lib.tensor(tg).int(), lib.tensor(il).int(), lib.tensor(tl).int())
        loss.backward()
        out.append((loss, x.grad))
    for a, b in zip(*out):
        _same(a, b, 1e-9)
