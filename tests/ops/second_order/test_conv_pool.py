"""Second derivatives of the convolutions and pools against PyTorch (create_graph=True), and
gradgradcheck in float64: conv1d/2d, conv_transpose1d/2d (stride, padding, dilation, groups,
output_padding, 'same'), max/avg/adaptive/lp pools. Also third order for conv (its three ops are
each other's derivatives) and the first-order path unchanged by a graph-mode backward."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from tests.autograd.second_order import check_second_order

RNG = np.random.default_rng(11)


def r(*shape):
    return RNG.standard_normal(shape)


def _ids(kw):
    return ",".join(f"{k}={v}" for k, v in kw.items()) or "plain"


CONV2D = [
    dict(),
    dict(stride=2),
    dict(padding=1),
    dict(stride=2, padding=1, dilation=2),
    dict(padding=(1, 0), stride=(1, 2)),
    dict(padding="same"),
    dict(groups=2),
    dict(groups=2, stride=2, padding=1),
]


@pytest.mark.parametrize("kw", CONV2D, ids=_ids)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d(kw, bias):
    g = kw.get("groups", 1)
    x, w, b = r(2, 2, 5, 5), r(2, 2 // g, 3, 2), r(2)
    args = (x, w, b) if bias else (x, w)
    check_second_order(lambda *a: F.conv2d(*a, **kw), lambda *a: TF.conv2d(*a, **kw), *args)


def test_conv2d_unbatched_and_input_only():
    x, w = r(2, 4, 4), r(1, 2, 2, 2)
    check_second_order(lambda x, w: F.conv2d(x, w, padding=1), lambda x, w: TF.conv2d(x, w, padding=1), x, w)
    check_second_order(lambda x, w: F.conv2d(x, w, stride=2), lambda x, w: TF.conv2d(x, w, stride=2), x, w,
                       diff=[0])
    check_second_order(lambda x, w: F.conv2d(x, w, stride=2), lambda x, w: TF.conv2d(x, w, stride=2), x, w,
                       diff=[1])


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(dilation=2, padding="same"),
                                dict(groups=2)], ids=_ids)
def test_conv1d(kw):
    g = kw.get("groups", 1)
    x, w, b = r(2, 2, 6), r(2, 2 // g, 3), r(2)
    check_second_order(lambda *a: F.conv1d(*a, **kw), lambda *a: TF.conv1d(*a, **kw), x, w, b)


CONVT2D = [
    dict(),
    dict(stride=2),
    dict(stride=2, padding=1, output_padding=1),
    dict(dilation=2, padding=1),
    dict(groups=2),
    dict(groups=2, stride=(2, 1), output_padding=(1, 0)),
]


@pytest.mark.parametrize("kw", CONVT2D, ids=_ids)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_transpose2d(kw, bias):
    g = kw.get("groups", 1)
    x, w, b = r(2, 2, 4, 4), r(2, 4 // g, 3, 2), r(4)
    args = (x, w, b) if bias else (x, w)
    check_second_order(lambda *a: F.conv_transpose2d(*a, **kw), lambda *a: TF.conv_transpose2d(*a, **kw), *args)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, output_padding=1), dict(groups=2, dilation=2)],
                         ids=_ids)
def test_conv_transpose1d(kw):
    g = kw.get("groups", 1)
    x, w = r(1, 2, 5), r(2, 2 // g, 3)
    b = r(w.shape[1] * g)
    check_second_order(lambda *a: F.conv_transpose1d(*a, **kw), lambda *a: TF.conv_transpose1d(*a, **kw), x, w, b)


def test_conv_transpose2d_unbatched():
    x, w = r(2, 3, 3), r(2, 1, 2, 2)
    check_second_order(lambda x, w: F.conv_transpose2d(x, w, stride=2), lambda x, w: TF.conv_transpose2d(x, w, stride=2),
                       x, w)


def _third(lib, x, w, conv):
    xt = lib.tensor(x, dtype=lib.float64, requires_grad=True)
    wt = lib.tensor(w, dtype=lib.float64, requires_grad=True)
    y = conv(xt, wt).tanh().sum()
    gx, gw = lib.autograd.grad(y, (xt, wt), create_graph=True)
    hx, = lib.autograd.grad((gx * gx).sum() + (gw * gx.sum()).sum(), (wt,), create_graph=True)
    t = lib.autograd.grad((hx * hx).sum(), (xt, wt))
    return [v.detach().numpy() for v in (gx, gw, hx) + tuple(t)]


@pytest.mark.parametrize("transposed", [False, True])
def test_conv_third_order(transposed):
    x, w = r(1, 2, 4, 4), r(2, 2, 2, 2)
    kw = dict(stride=2, padding=1)
    e = _third(ember, x, w, lambda a, b: (F.conv_transpose2d if transposed else F.conv2d)(a, b, **kw))
    t = _third(torch, x, w, lambda a, b: (TF.conv_transpose2d if transposed else TF.conv2d)(a, b, **kw))
    for a, b in zip(e, t):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)


# -- pools ------------------------------------------------------------------------------------
MAXPOOL2D = [
    dict(kernel_size=2),
    dict(kernel_size=2, stride=1),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=2, dilation=2),
    dict(kernel_size=2, ceil_mode=True),
    dict(kernel_size=1),
]


@pytest.mark.parametrize("kw", MAXPOOL2D, ids=_ids)
def test_max_pool2d(kw):
    check_second_order(lambda x: F.max_pool2d(x, **kw), lambda x: TF.max_pool2d(x, **kw), r(2, 2, 5, 5))


def test_max_pool2d_with_indices_and_unbatched():
    check_second_order(lambda x: F.max_pool2d(x, 2, 1, return_indices=True),
                       lambda x: TF.max_pool2d(x, 2, 1, return_indices=True), r(1, 2, 4, 4))
    check_second_order(lambda x: F.max_pool2d(x, 2), lambda x: TF.max_pool2d(x, 2), r(2, 4, 4))


def test_max_pool2d_channels_last():
    x = r(1, 2, 4, 4)
    check_second_order(lambda x: F.max_pool2d(x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2), 2, 1),
                       lambda x: TF.max_pool2d(x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2), 2, 1), x)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1),
                                dict(kernel_size=2, return_indices=True)], ids=_ids)
def test_max_pool1d(kw):
    check_second_order(lambda x: F.max_pool1d(x, **kw), lambda x: TF.max_pool1d(x, **kw), r(2, 2, 6))


AVGPOOL2D = [
    dict(kernel_size=2),
    dict(kernel_size=2, stride=1),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=2, ceil_mode=True),
    dict(kernel_size=2, divisor_override=3),
]


@pytest.mark.parametrize("kw", AVGPOOL2D, ids=_ids)
def test_avg_pool2d(kw):
    check_second_order(lambda x: F.avg_pool2d(x, **kw), lambda x: TF.avg_pool2d(x, **kw), r(2, 2, 5, 5))


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1)], ids=_ids)
def test_avg_pool1d(kw):
    check_second_order(lambda x: F.avg_pool1d(x, **kw), lambda x: TF.avg_pool1d(x, **kw), r(2, 2, 6))
    check_second_order(lambda x: F.avg_pool1d(x, **kw), lambda x: TF.avg_pool1d(x, **kw), r(2, 6))


@pytest.mark.parametrize("out", [1, 2, 3, (2, 3)])
@pytest.mark.parametrize("kind", ["avg", "max"])
def test_adaptive_pool2d(out, kind):
    e, t = getattr(F, f"adaptive_{kind}_pool2d"), getattr(TF, f"adaptive_{kind}_pool2d")
    check_second_order(lambda x: e(x, out), lambda x: t(x, out), r(2, 2, 5, 4))


@pytest.mark.parametrize("out", [1, 4])
@pytest.mark.parametrize("kind", ["avg", "max"])
def test_adaptive_pool1d(out, kind):
    e, t = getattr(F, f"adaptive_{kind}_pool1d"), getattr(TF, f"adaptive_{kind}_pool1d")
    check_second_order(lambda x: e(x, out), lambda x: t(x, out), r(2, 2, 5))
    check_second_order(lambda x: e(x, out), lambda x: t(x, out), r(2, 5))


def test_adaptive_max_pool2d_with_indices():
    check_second_order(lambda x: F.adaptive_max_pool2d(x, 2, return_indices=True),
                       lambda x: TF.adaptive_max_pool2d(x, 2, return_indices=True), r(1, 2, 5, 5))


@pytest.mark.parametrize("p", [2, 3])
def test_lp_pool(p):
    x = np.abs(r(1, 2, 4, 4)) + 0.5       # away from 0, where x ** p is not smooth for odd p
    check_second_order(lambda x: F.lp_pool2d(x, p, 2), lambda x: TF.lp_pool2d(x, p, 2), x)
    check_second_order(lambda x: F.lp_pool1d(x, p, 2, 1), lambda x: TF.lp_pool1d(x, p, 2, 1), x[0])


def test_pool_of_conv_hessian():
    """A small convnet's loss: Hessian-vector product through conv, max pool and avg pool."""
    x, w = r(2, 1, 5, 5), r(2, 1, 2, 2)

    def net(lib, F_):
        return lambda x, w: F_.avg_pool2d(F_.max_pool2d(F_.conv2d(x, w, padding=1).tanh(), 2, 1), 2)
    check_second_order(net(ember, F), net(torch, TF), x, w)


def test_first_order_unchanged_by_graph_mode():
    """The create_graph gradients equal the plain ones (array path) in float32."""
    x = ember.tensor(r(2, 2, 6, 6).astype(np.float32), requires_grad=True)
    w = ember.tensor(r(3, 2, 3, 3).astype(np.float32), requires_grad=True)

    def loss():
        y = F.max_pool2d(F.conv2d(x, w, padding=1, stride=1), 2)
        return (F.avg_pool2d(y, 2) ** 2).sum() + F.adaptive_avg_pool2d(y, 2).sum()
    plain = ember.autograd.grad(loss(), (x, w))
    graph = ember.autograd.grad(loss(), (x, w), create_graph=True)
    for a, b in zip(plain, graph):
        assert b.dtype == ember.float32 and b.requires_grad
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-5)
