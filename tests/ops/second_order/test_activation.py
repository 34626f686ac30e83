"""Second derivatives of the activation, dropout, embedding, padding and bilinear ops against PyTorch
(first derivatives with create_graph=True, then Hessian-vector products), and gradgradcheck in
float64.

Each pointwise activation is checked alone and squared (``f(x) * f(x)``): for the piecewise-linear
ones (relu, hardtanh, the shrinks, ...) the second derivative alone is zero, and the squared form
checks that their first derivative still carries the graph of the incoming gradient. The inputs
keep away from the kinks (0, +-0.5, +-1, +-3, 6) where finite differences are meaningless.
"""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from ember.ops.activation import LeakyRelu
from tests.autograd.second_order import check_second_order

TF = torch.nn.functional

# two rows touching every region: below -3, (-3, -1), (-1, -0.5), (-0.5, 0), (0, 0.5), ..., above 6
X = np.array([[-3.7, -2.2, -0.8, -0.3, 0.2], [0.7, 1.6, 2.4, 4.1, 6.5]])


def _a(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# name: (ember function, torch function); both take the input tensor
POINTWISE = {
    "relu": (F.relu, TF.relu),
    "relu6": (F.relu6, TF.relu6),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), lambda x: TF.leaky_relu(x, 0.1)),
    "rrelu_eval": (lambda x: F.rrelu(x, training=False), lambda x: TF.rrelu(x, training=False)),
    "hardtanh": (lambda x: F.hardtanh(x, -1.5, 2.0), lambda x: TF.hardtanh(x, -1.5, 2.0)),
    "elu": (F.elu, TF.elu),
    "elu_alpha": (lambda x: F.elu(x, 0.5), lambda x: TF.elu(x, 0.5)),
    "selu": (F.selu, TF.selu),
    "celu": (lambda x: F.celu(x, 2.0), lambda x: TF.celu(x, 2.0)),
    "gelu": (F.gelu, TF.gelu),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh")),
    "silu": (F.silu, TF.silu),
    "mish": (F.mish, TF.mish),
    "softplus": (F.softplus, TF.softplus),
    "softplus_beta_threshold": (lambda x: F.softplus(x, 2.0, 3.0), lambda x: TF.softplus(x, 2.0, 3.0)),
    "softsign": (F.softsign, TF.softsign),
    # torch has no derivative for hardsigmoid_backward: its clamp form is the oracle
    "hardsigmoid": (F.hardsigmoid, lambda x: torch.clamp(x + 3, 0, 6) / 6),
    "hardswish": (F.hardswish, TF.hardswish),
    "logsigmoid": (F.logsigmoid, TF.logsigmoid),
    "tanhshrink": (F.tanhshrink, TF.tanhshrink),
    "hardshrink": (F.hardshrink, TF.hardshrink),
    "softshrink": (lambda x: F.softshrink(x, 0.5), lambda x: TF.softshrink(x, 0.5)),
    "threshold": (lambda x: F.threshold(x, 0.1, -2.0), lambda x: TF.threshold(x, 0.1, -2.0)),
    "glu": (lambda x: F.glu(x, 1), lambda x: TF.glu(x, 1)),
    "relu_method": (lambda x: x.relu(), lambda x: x.relu()),
}


def _squared(f):
    def g(*args):
        y = f(*args)
        return y * y
    return g


@pytest.mark.parametrize("name", sorted(POINTWISE))
def test_pointwise(name):
    ef, tf = POINTWISE[name]
    x = X[:, :4] if name == "glu" else X
    check_second_order(ef, tf, x)


@pytest.mark.parametrize("name", sorted(POINTWISE))
def test_pointwise_squared(name):
    ef, tf = POINTWISE[name]
    x = X[:, :4] if name == "glu" else X
    check_second_order(_squared(ef), _squared(tf), x)


def test_hardsigmoid_torch_has_no_double_backward():
    """ember differentiates hardsigmoid's derivative (zero almost everywhere); PyTorch refuses."""
    x = torch.tensor(X, requires_grad=True)
    g, = torch.autograd.grad(TF.hardsigmoid(x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="hardsigmoid_backward is not implemented"):
        torch.autograd.grad(g.sum(), x)


def test_leaky_relu_elementwise_slope():
    """rrelu in training draws one slope per element: LeakyRelu with an array slope."""
    slope = np.random.default_rng(1).uniform(0.1, 0.3, X.shape)
    check_second_order(_squared(lambda x: LeakyRelu.apply(x, slope)),
                       _squared(lambda x: torch.where(x > 0, x, x * torch.tensor(slope))), X)


@pytest.mark.parametrize("shape,n", [((2, 5), 1), ((2, 5), 5), ((2, 3, 2), 3), ((5,), 1)],
                         ids=["2d-one", "2d-per-channel", "3d-per-channel", "1d"])
def test_prelu(shape, n):
    x = np.resize(X, shape)
    w = np.linspace(0.1, 0.4, n)
    check_second_order(F.prelu, TF.prelu, x, w)
    check_second_order(_squared(F.prelu), _squared(TF.prelu), x, w)


def test_inplace_elu_and_relu():
    def make(lib):
        def f(x):
            y = x * 1.0
            lib.nn.functional.elu_(y) if lib is ember else TF.elu_(y)
            z = y * 2.0
            z.relu_()
            return z * z
        return f
    check_second_order(make(ember), make(torch), X)


# -- dropout: the same mask in both libraries (drawn by ember, reused by torch) ----------------------
def _seeded(f, seed=5):
    def g(x):
        ember.manual_seed(seed)
        return f(x)
    return g


@pytest.mark.parametrize("name,shape", [("dropout", (2, 5)), ("dropout2d", (2, 3, 2, 2)),
                                        ("alpha_dropout", (2, 5)), ("feature_alpha_dropout", (2, 3, 2))])
def test_dropout(name, shape):
    fn = getattr(F, name)
    ef = _seeded(lambda x: fn(x, 0.4, True))
    # y = x * a + b with a, b fixed by the mask: read them off at x = 0 and x = 1
    b = ef(ember.zeros(*shape, dtype=ember.float64)).numpy()
    a = ef(ember.ones(*shape, dtype=ember.float64)).numpy() - b
    assert (a == 0).any() and (a != 0).any()

    def tf(x):
        return x * torch.tensor(a) + torch.tensor(b)
    x = _a(*shape)
    check_second_order(ef, tf, x)
    check_second_order(_squared(ef), _squared(tf), x)


# -- embedding ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"padding_idx": 1}, {"scale_grad_by_freq": True},
                                    {"padding_idx": -1, "scale_grad_by_freq": True}],
                         ids=["plain", "padding", "by-freq", "padding-by-freq"])
def test_embedding(kwargs):
    """With scale_grad_by_freq, PyTorch's double backward gathers without the 1/count scale (so its
    own gradgradcheck fails); ember gives PyTorch's numbers, and gradgradcheck is skipped there."""
    idx = np.array([[0, 1, 3], [3, 3, 1]])
    w = _a(4, 3)
    gg = not kwargs.get("scale_grad_by_freq")
    check_second_order(lambda i, ww: F.embedding(i, ww, **kwargs), lambda i, ww: TF.embedding(i, ww, **kwargs),
                       idx, w, gradgrad=gg)
    check_second_order(_squared(lambda i, ww: F.embedding(i, ww, **kwargs)),
                       _squared(lambda i, ww: TF.embedding(i, ww, **kwargs)), idx, w, gradgrad=gg)


def test_embedding_third_order():
    """The backward of the backward (a gather) is differentiable again."""
    idx = np.array([[0, 1, 3], [3, 3, 1]])
    w, v = _a(4, 3), _a(2, 3, 3, seed=1)
    res = []
    for lib, f in ((ember, F.embedding), (torch, TF.embedding)):
        ww = lib.tensor(w, requires_grad=True)
        vv = lib.tensor(v, requires_grad=True)
        y = f(lib.tensor(idx), ww, padding_idx=1)
        g, = lib.autograd.grad(y, ww, vv, create_graph=True)
        gv, = lib.autograd.grad((g * g).sum(), vv, create_graph=True)
        h, = lib.autograd.grad((gv * gv).sum(), vv)
        res.append(h.detach().numpy())
    np.testing.assert_allclose(res[0], res[1], rtol=1e-6, atol=1e-9)


# -- padding -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode,shape,pad", [
    ("constant", (2, 3), (1, 2)),
    ("constant", (1, 2, 3, 3), (1, -1, 2, 0)),
    ("reflect", (1, 2, 4), (2, 1)),
    ("reflect", (1, 1, 3, 3), (1, 2, 2, 1)),
    ("replicate", (1, 2, 3), (2, 3)),
    ("replicate", (1, 1, 2, 3), (1, 0, 2, 1)),
    ("circular", (1, 2, 3), (2, 1)),
    ("circular", (1, 1, 3, 3), (1, -1, 2, 1)),
], ids=lambda v: str(v).replace(" ", ""))
def test_pad(mode, shape, pad):
    x = _a(*shape)
    kw = {"value": 0.5} if mode == "constant" else {}
    check_second_order(lambda a: F.pad(a, pad, mode, **kw), lambda a: TF.pad(a, pad, mode, **kw), x)
    check_second_order(_squared(lambda a: F.pad(a, pad, mode, **kw)),
                       _squared(lambda a: TF.pad(a, pad, mode, **kw)), x)


# -- bilinear ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("lead", [(2,), (2, 2)], ids=["2d", "3d"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_bilinear(lead, bias):
    x1, x2, w, b = _a(*lead, 3), _a(*lead, 2, seed=1), _a(2, 3, 2, seed=2), _a(2, seed=3)
    arrays = (x1, x2, w, b) if bias else (x1, x2, w)
    check_second_order(F.bilinear, TF.bilinear, *arrays)
    check_second_order(_squared(F.bilinear), _squared(TF.bilinear), *arrays)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "selu", "celu", "gelu", "gelu_tanh", "silu", "mish",
                                  "softplus", "softsign", "hardswish", "logsigmoid", "hardtanh", "softshrink"])
def test_pointwise_third_order(name):
    """The derivative's derivative records too: third derivatives of f(x)**2 match PyTorch."""
    res = []
    for lib, f in ((ember, POINTWISE[name][0]), (torch, POINTWISE[name][1])):
        x = lib.tensor(X, requires_grad=True)
        y = f(x)
        g, = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        h, = lib.autograd.grad((g * g).sum(), x, create_graph=True)
        k, = lib.autograd.grad((h * h).sum(), x)
        res.append(k.detach().numpy())
    np.testing.assert_allclose(res[0], res[1], rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("mode,pad", [("constant", (1, -1, 2, 0)), ("reflect", (1, 2, 2, 1)),
                                      ("circular", (1, -1, 2, 1))])
def test_pad_third_order(mode, pad):
    x0, v0 = _a(1, 1, 3, 3), _a(1, 1, 3 + pad[2] + pad[3], 3 + pad[0] + pad[1], seed=1)
    res = []
    for lib, f in ((ember, F.pad), (torch, TF.pad)):
        x, v = lib.tensor(x0, requires_grad=True), lib.tensor(v0, requires_grad=True)
        y = f(x, pad, mode)
        g, = lib.autograd.grad(y, x, v, create_graph=True)
        gv, = lib.autograd.grad((g * g).sum(), v, create_graph=True)
        k, = lib.autograd.grad((gv * gv).sum(), v)
        res.append(k.detach().numpy())
    np.testing.assert_allclose(res[0], res[1], rtol=1e-6, atol=1e-9)
