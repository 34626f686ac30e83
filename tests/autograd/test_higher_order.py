"""create_graph=True, autograd.functional, gradgradcheck, anomaly detection and post-accumulate
hooks, against PyTorch."""
import warnings

import numpy as np
import pytest
import torch

import ember
from tests.oracle import assert_close

X = np.array([[0.3, -1.2, 0.8], [1.5, 0.1, -0.4]])


def _f(lib, x, w):
    return (lib.tanh(x * w) * lib.exp(x) * lib.sin(w)).sum()


def _pair(arr, dtype=np.float64):
    return (ember.tensor(arr.astype(dtype), requires_grad=True),
            torch.tensor(arr.astype(dtype), requires_grad=True))


def test_backward_create_graph_gives_grad_with_a_graph_and_retains_it():
    (ex, tx), (ew, tw) = _pair(X), _pair(X[::-1].copy())
    _f(ember, ex, ew).backward(create_graph=True)
    _f(torch, tx, tw).backward(create_graph=True)
    assert ex.grad.grad_fn is not None and ex.grad.requires_grad
    assert_close(ex.grad, tx.grad)
    gx_e, gx_t = ex.grad, tx.grad
    ex.grad = ew.grad = None
    tx.grad = tw.grad = None
    (gx_e * gx_e).sum().backward()          # the first backward's graph was retained by default
    (gx_t * gx_t).sum().backward()
    assert_close(ex.grad, tx.grad)
    assert_close(ew.grad, tw.grad)


def test_grad_of_grad_matches_torch_and_accumulates_like_torch():
    (ex, tx), (ew, tw) = _pair(X), _pair(X * 0.5)
    ge = ember.autograd.grad(_f(ember, ex, ew), (ex, ew), create_graph=True)
    gt = torch.autograd.grad(_f(torch, tx, tw), (tx, tw), create_graph=True)
    for a, b in zip(ge, gt):
        assert_close(a, b)
    he = ember.autograd.grad((ge[0] * ge[1]).sum(), (ex, ew))
    ht = torch.autograd.grad((gt[0] * gt[1]).sum(), (tx, tw))
    for a, b in zip(he, ht):
        assert_close(a, b)


@pytest.mark.parametrize("name", ["sin", "exp", "tanh"])
def test_third_derivative(name):
    ex, tx = _pair(np.array([0.3, -0.7, 1.1]))
    ye, yt = getattr(ember, name)(ex).sum(), getattr(torch, name)(tx).sum()
    for _ in range(3):
        (ge,), (gt,) = ember.autograd.grad(ye, ex, create_graph=True), torch.autograd.grad(yt, tx, create_graph=True)
        assert_close(ge, gt)
        ye, yt = ge.sum(), gt.sum()


def test_custom_function_double_backward_like_torch():
    def make(lib):
        class Cube(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x * x

            @staticmethod
            def backward(ctx, grad):
                x, = ctx.saved_tensors
                return 3 * x * x * grad
        return Cube

    ex, tx = _pair(np.array([0.5, -2.0]))
    (ge,) = ember.autograd.grad(make(ember).apply(ex).sum(), ex, create_graph=True)
    (gt,) = torch.autograd.grad(make(torch).apply(tx).sum(), tx, create_graph=True)
    assert_close(ember.autograd.grad(ge.sum(), ex)[0], torch.autograd.grad(gt.sum(), tx)[0])


def test_gradgradcheck_passes_and_catches_a_wrong_second_derivative():
    x = ember.tensor([0.4, -1.3, 2.0], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda t: ember.tanh(t) * ember.exp(t), (x,))

    class DetachedSquare(ember.autograd.Function):  # right first derivative, wrong second
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t * t

        @staticmethod
        def backward(ctx, grad):
            t, = ctx.saved_tensors
            return 2 * t.detach() * grad

    assert ember.autograd.gradcheck(DetachedSquare.apply, (x,))
    assert not ember.autograd.gradgradcheck(DetachedSquare.apply, (x,), raise_exception=False)
    with pytest.raises(NotImplementedError, match="check_batched_grad"):
        ember.autograd.gradgradcheck(ember.tanh, (x,), check_batched_grad=True)


def _g(lib):
    return lambda x, y: (lib.exp(x) * y * y, lib.tanh(x * y).sum())


@pytest.mark.parametrize("create_graph", [False, True])
def test_jacobian_hessian_vjp_jvp_hvp_vhp_match_torch(create_graph):
    xs, ys = np.array([0.2, -0.5, 1.0]), np.array([1.5, 0.3, -0.7])
    ein = (ember.tensor(xs), ember.tensor(ys))
    tin = (torch.tensor(xs), torch.tensor(ys))
    EF, TF = ember.autograd.functional, torch.autograd.functional
    je, jt = EF.jacobian(_g(ember), ein, create_graph=create_graph), TF.jacobian(_g(torch), tin, create_graph=create_graph)
    for re_, rt in zip(je, jt):
        for a, b in zip(re_, rt):
            assert_close(a, b)
    scalar_e = lambda x, y: (ember.exp(x) * y * ember.sin(y)).sum()
    scalar_t = lambda x, y: (torch.exp(x) * y * torch.sin(y)).sum()
    he, ht = EF.hessian(scalar_e, ein), TF.hessian(scalar_t, tin)
    for re_, rt in zip(he, ht):
        for a, b in zip(re_, rt):
            assert_close(a, b)
    assert_close(EF.hessian(lambda x: (x * x * ember.exp(x)).sum(), ein[0]),
                 TF.hessian(lambda x: (x * x * torch.exp(x)).sum(), tin[0]))
    ve, vt = (ember.tensor(ys), ember.tensor(xs)), (torch.tensor(ys), torch.tensor(xs))
    for name in ["vhp", "hvp"]:
        (oe, re_), (ot, rt) = getattr(EF, name)(scalar_e, ein, ve), getattr(TF, name)(scalar_t, tin, vt)
        assert_close(oe, ot)
        for a, b in zip(re_, rt):
            assert_close(a, b)
    ue, ut = ember.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 3.0])
    (oe, re_), (ot, rt) = EF.vjp(lambda x: ember.tanh(x) * x, ein[0], ue), TF.vjp(lambda x: torch.tanh(x) * x, tin[0], ut)
    assert_close(oe, ot)
    assert_close(re_, rt)
    (oe, re_), (ot, rt) = EF.jvp(lambda x: ember.tanh(x) * x, ein[0], ue), TF.jvp(lambda x: torch.tanh(x) * x, tin[0], ut)
    assert_close(oe, ot)
    assert_close(re_, rt)


def test_functional_errors_like_torch():
    EF = ember.autograd.functional
    with pytest.raises(RuntimeError, match="independent of input 1"):
        EF.jacobian(lambda x, y: x * 2.0, (ember.ones(2), ember.ones(2)), strict=True)
    with pytest.raises(RuntimeError, match="single element"):
        EF.vjp(lambda x: x * 2.0, ember.ones(2))
    with pytest.raises(TypeError, match="Tensor or a tuple of Tensors"):
        EF.jacobian(lambda x: x, [1.0, 2.0])


def test_detect_anomaly_names_the_op_and_the_forward_line():
    x = ember.tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with ember.autograd.detect_anomaly():
            y = x / x  # the line the error must point to
            with pytest.raises(RuntimeError, match=r"Function 'DivBackward0' returned nan values in its 1th "
                                                   r"output\..*test_higher_order\.py:\d+ \(y = x / x"):
                y.sum().backward()
    assert not ember.autograd.is_anomaly_enabled()
    (x / x).sum().backward()                # off again: no error, as torch
    with ember.autograd.set_detect_anomaly(True):
        assert ember.autograd.is_anomaly_enabled()
    assert not ember.autograd.is_anomaly_enabled()


def test_post_accumulate_grad_hook_sees_the_accumulated_grad():
    seen = []
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    handle = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.tolist()))
    (w * 3.0).sum().backward()
    (w * 3.0).sum().backward()
    assert seen == [[3.0, 3.0], [6.0, 6.0]]
    handle.remove()
    (w * 3.0).sum().backward()
    assert len(seen) == 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        (w * 2.0).register_post_accumulate_grad_hook(lambda p: None)


def test_gradcheck_accepts_torch_options():
    x = ember.tensor([0.3, 0.9], dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(ember.tanh, (x,), check_grad_dtypes=True, nondet_tol=1e-12, fast_mode=True)
    with pytest.raises(NotImplementedError, match="check_forward_ad"):
        ember.autograd.gradcheck(ember.tanh, (x,), check_forward_ad=True)


def test_create_graph_gradients_keep_each_input_dtype():
    x32 = ember.tensor([0.5, 1.5], requires_grad=True)
    x64 = ember.tensor([2.0, 3.0], dtype=ember.float64, requires_grad=True)
    y = (x32 * x64).sum()                                    # computed in float64
    g32, g64 = ember.autograd.grad(y, (x32, x64), create_graph=True)
    assert g32.dtype == ember.float32 and g64.dtype == ember.float64
    assert g32.tolist() == [2.0, 3.0]
