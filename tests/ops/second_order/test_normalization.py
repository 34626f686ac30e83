"""Second derivatives of the normalisation ops (ember.ops.normalization) against PyTorch: batch norm
(training and eval, 2-d and 4-d input), instance, layer, group and RMS norm, and normalize; input,
weight and bias all differentiated, and gradgradcheck in float64."""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from tests.autograd.second_order import check_second_order

TF = torch.nn.functional


def _a(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _stats(lib, c, train):
    """Fresh running stats per call (training updates them in place)."""
    rng = np.random.default_rng(3)
    rm, rv = rng.standard_normal(c) * 0.5, rng.uniform(0.5, 2.0, c)
    if train:
        rm, rv = np.zeros(c), np.ones(c)
    return (lib.tensor(rm, dtype=lib.float64), lib.tensor(rv, dtype=lib.float64))


@pytest.mark.parametrize("shape", [(4, 3), (3, 2, 2, 2)], ids=["2d", "4d"])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
def test_batch_norm(shape, training, affine):
    c = shape[1]
    x, w, b = _a(*shape), _a(c, seed=1), _a(c, seed=2)

    def make(lib, fn):
        def f(x, w=None, b=None):
            rm, rv = _stats(lib, c, training)
            return fn(x, rm, rv, w, b, training=training, momentum=0.1, eps=1e-5)
        return f
    arrays = (x, w, b) if affine else (x,)
    check_second_order(make(ember, F.batch_norm), make(torch, TF.batch_norm), *arrays)


def test_batch_norm_no_running_stats():
    x, w, b = _a(3, 2, 2, 2), _a(2, seed=1), _a(2, seed=2)
    check_second_order(lambda a, ww, bb: F.batch_norm(a, None, None, ww, bb, training=True),
                       lambda a, ww, bb: TF.batch_norm(a, None, None, ww, bb, training=True), x, w, b)


@pytest.mark.parametrize("use_input_stats", [True, False])
def test_instance_norm(use_input_stats):
    x, w, b = _a(2, 2, 3), _a(2, seed=1), _a(2, seed=2)

    def make(lib, fn):
        def f(x, w, b):
            rm, rv = _stats(lib, 2, False)
            return fn(x, rm, rv, w, b, use_input_stats=use_input_stats)
        return f
    check_second_order(make(ember, F.instance_norm), make(torch, TF.instance_norm), x, w, b)


@pytest.mark.parametrize("shape,normalized", [((2, 3), (3,)), ((2, 2, 3), (2, 3))], ids=["rows", "2-dim"])
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
def test_layer_norm(shape, normalized, affine):
    x, w, b = _a(*shape), _a(*normalized, seed=1), _a(*normalized, seed=2)
    arrays = (x, w, b) if affine else (x,)
    check_second_order(lambda a, ww=None, bb=None: F.layer_norm(a, normalized, ww, bb),
                       lambda a, ww=None, bb=None: TF.layer_norm(a, normalized, ww, bb), *arrays)


@pytest.mark.parametrize("shape,groups", [((2, 4, 2), 2), ((2, 2, 2, 2), 1), ((3, 4), 2)],
                         ids=["3d", "4d-one-group", "2d"])
@pytest.mark.parametrize("affine", [True, False], ids=["affine", "plain"])
def test_group_norm(shape, groups, affine):
    c = shape[1]
    x, w, b = _a(*shape), _a(c, seed=1), _a(c, seed=2)
    arrays = (x, w, b) if affine else (x,)
    check_second_order(lambda a, ww=None, bb=None: F.group_norm(a, groups, ww, bb),
                       lambda a, ww=None, bb=None: TF.group_norm(a, groups, ww, bb), *arrays)


@pytest.mark.parametrize("weighted", [True, False], ids=["weight", "plain"])
def test_rms_norm(weighted):
    x, w = _a(2, 3), _a(3, seed=1)
    arrays = (x, w) if weighted else (x,)
    check_second_order(lambda a, ww=None: F.rms_norm(a, (3,), ww, eps=1e-6),
                       lambda a, ww=None: TF.rms_norm(a, (3,), ww, eps=1e-6), *arrays)


@pytest.mark.parametrize("p,dim", [(2.0, 1), (2.0, 0), (3.0, 1)])
def test_normalize(p, dim):
    check_second_order(lambda a: F.normalize(a, p=p, dim=dim), lambda a: TF.normalize(a, p=p, dim=dim), _a(2, 3))


@pytest.mark.parametrize("op", ["batch_norm", "layer_norm", "group_norm"])
@pytest.mark.parametrize("diff", [[0], [1], [2], [1, 2], [0, 2]], ids=str)
def test_some_inputs_differentiated(op, diff):
    """Only some of input, weight and bias require grad: the others are constants in the graph."""
    x, w, b = _a(3, 4, 2), _a(4, seed=1), _a(4, seed=2)
    fns = {"batch_norm": (lambda a, ww, bb: F.batch_norm(a, None, None, ww, bb, training=True),
                          lambda a, ww, bb: TF.batch_norm(a, None, None, ww, bb, training=True)),
           "layer_norm": (lambda a, ww, bb: F.layer_norm(a, (2,), ww[:2], bb[:2]),
                          lambda a, ww, bb: TF.layer_norm(a, (2,), ww[:2], bb[:2])),
           "group_norm": (lambda a, ww, bb: F.group_norm(a, 2, ww, bb),
                          lambda a, ww, bb: TF.group_norm(a, 2, ww, bb))}
    check_second_order(*fns[op], x, w, b, diff=diff)


def test_float32_keeps_dtype():
    x = ember.tensor(_a(3, 2, 2).astype(np.float32), requires_grad=True)
    w = ember.tensor(_a(2, seed=1).astype(np.float32), requires_grad=True)
    for y in (F.batch_norm(x, None, None, w, None, training=True), F.layer_norm(x, (2,), w),
              F.group_norm(x, 1, w)):
        gx, gw = ember.autograd.grad((y * y * y).sum(), (x, w), create_graph=True)
        assert gx.dtype == gw.dtype == ember.float32 and gx.requires_grad
        hx, hw = ember.autograd.grad(gx.sum() + gw.sum(), (x, w))
        assert hx.dtype == hw.dtype == ember.float32
