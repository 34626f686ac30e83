"""Gradient clipping and parameter/vector conversion vs PyTorch."""
import math

import numpy as np
import pytest
import torch

import ember
from ember.nn import utils as eu
from tests.oracle import assert_close

SHAPES = [(3, 4), (5,), (2, 1, 3), ()]


def _pairs(scale=1.0, dtype=np.float32, with_none=True, seed=0):
    rng = np.random.default_rng(seed)
    ep, tp = [], []
    for i, s in enumerate(SHAPES + [(2, 2)]):
        w = np.asarray(rng.standard_normal(s), dtype=dtype)
        e, t = ember.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
        if not (with_none and i == len(SHAPES)):   # the last parameter has no gradient
            g = np.asarray(rng.standard_normal(s) * scale, dtype=dtype)
            e.grad, t.grad = ember.tensor(g), torch.tensor(g)
        ep.append(e)
        tp.append(t)
    return ep, tp


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf", 0.5, -math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype):
    ep, tp = _pairs(dtype=dtype)
    te = eu.clip_grad_norm_(ep, max_norm, norm_type=norm_type)
    tt = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type=norm_type)
    assert isinstance(te, ember.Tensor) and te.shape == ()
    assert_close(te, tt, rtol=1e-5, atol=1e-6, what="total norm")
    for i, (e, t) in enumerate(zip(ep, tp)):
        if t.grad is None:
            assert e.grad is None
        else:
            assert_close(e.grad, t.grad, rtol=1e-5, atol=1e-7, what=f"grad {i}")
    if max_norm == 0.5 and norm_type in (2.0, math.inf):
        assert float(eu.get_total_norm([p.grad for p in ep if p.grad is not None], norm_type)) <= 0.5 + 1e-5


def test_clip_grad_norm_single_tensor_and_no_grads():
    w = np.arange(4, dtype=np.float32)
    e, t = ember.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    e.grad, t.grad = ember.tensor(w * 10), torch.tensor(w * 10)
    assert_close(eu.clip_grad_norm_(e, 1.0), torch.nn.utils.clip_grad_norm_(t, 1.0))
    assert_close(e.grad, t.grad)
    empty = eu.clip_grad_norm_([ember.zeros(2, requires_grad=True)], 1.0)
    assert_close(empty, torch.nn.utils.clip_grad_norm_([torch.zeros(2, requires_grad=True)], 1.0))


def test_clip_grad_norm_nonfinite():
    ep, tp = _pairs()
    ep[0].grad._data[0, 0] = np.inf
    with pytest.raises(RuntimeError, match="non-finite.*error_if_nonfinite=False"):
        eu.clip_grad_norm_(ep, 1.0, error_if_nonfinite=True)
    assert np.isinf(ep[0].grad._data[0, 0])   # not scaled when it raised
    tp[0].grad[0, 0] = math.inf
    te = eu.clip_grad_norm_(ep, 1.0)
    tt = torch.nn.utils.clip_grad_norm_(tp, 1.0)
    assert_close(te, tt)
    for e, t in zip(ep, tp):
        if t.grad is not None:
            assert_close(e.grad, t.grad)   # NaN where torch has NaN


@pytest.mark.parametrize("clip", [0.1, 1, 5.0])
def test_clip_grad_value_matches_torch(clip):
    ep, tp = _pairs(scale=2.0)
    assert eu.clip_grad_value_(ep, clip) is None
    torch.nn.utils.clip_grad_value_(tp, clip)
    for e, t in zip(ep, tp):
        if t.grad is not None:
            assert_close(e.grad, t.grad, rtol=0, atol=0)


def test_parameters_to_vector_and_back():
    ep, tp = _pairs()
    ve = eu.parameters_to_vector(ep)
    vt = torch.nn.utils.parameters_to_vector(tp)
    assert_close(ve, vt)
    # differentiable, like torch
    (ve * ember.arange(ve.shape[0]).float()).sum().backward()
    (vt * torch.arange(vt.shape[0]).float()).sum().backward()
    for e, t in zip(ep, tp):
        assert_close(e.grad, t.grad)
    new = np.linspace(-1, 1, ve.shape[0]).astype(np.float32)
    eu.vector_to_parameters(ember.tensor(new), ep)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), tp)
    for e, t in zip(ep, tp):
        assert_close(e.detach(), t.detach())
    with pytest.raises(TypeError, match="expected torch.Tensor"):
        eu.vector_to_parameters(new, ep)
    with pytest.raises(RuntimeError, match="fewer than the parameters need"):
        eu.vector_to_parameters(ember.zeros(3), ep)


def test_exported_from_nn():
    assert ember.nn.utils.clip_grad_norm_ is eu.clip_grad_norm_
    assert ember.nn.utils.parameters_to_vector is eu.parameters_to_vector
