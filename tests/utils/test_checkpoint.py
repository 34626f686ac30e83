"""ember.utils.checkpoint against torch.utils.checkpoint: same outputs and gradients (dropout
masks included), recomputation in backward, torch's warnings and errors."""
import numpy as np
import pytest
import torch

import ember


def _block(mod):
    mod.manual_seed(0)
    lin1, lin2, drop = mod.nn.Linear(4, 6), mod.nn.Linear(6, 3), mod.nn.Dropout(0.5)
    calls = []

    def f(x, scale=1.0):
        calls.append(1)
        return lin2(drop(lin1(x).tanh())) * scale
    return f, (lin1, lin2), calls


def _run(mod, use_reentrant, x_requires_grad=True, **kw):
    f, layers, calls = _block(mod)
    x = mod.tensor(np.linspace(-1, 1, 8 * 4, dtype=np.float32).reshape(8, 4), requires_grad=x_requires_grad)
    y = mod.utils.checkpoint.checkpoint(f, x, use_reentrant=use_reentrant, **kw)
    n_forward = len(calls)
    mod.manual_seed(123)                          # the recomputation must not depend on the stream now
    (y ** 2).sum().backward()
    grads = [p.grad.numpy() for layer in layers for p in layer.parameters()]
    return y.detach().numpy(), (x.grad.numpy() if x_requires_grad else None), grads, n_forward, len(calls)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_same_values_and_grads_as_torch(use_reentrant):
    ye, xe, ge, n1, n2 = _run(ember, use_reentrant)
    yt, xt, gt, _, _ = _run(torch, use_reentrant)
    np.testing.assert_allclose(ye, yt, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(xe, xt, rtol=1e-5, atol=1e-6)
    for a, b in zip(ge, gt):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert (n1, n2) == (1, 2)                     # run once in forward, once more in backward


def test_checkpoint_keeps_no_graph_inside():
    f, _, _ = _block(ember)
    x = ember.ones(2, 4, requires_grad=True)
    y = ember.utils.checkpoint.checkpoint(f, x, use_reentrant=False)
    assert type(y.grad_fn).__name__ == "CheckpointFunctionBackward"
    nodes = [n for n, _ in y.grad_fn.next_functions if n is not None]
    # straight to the leaves: x and the 4 parameters, none of the block's own ops
    assert [type(n).__name__ for n in nodes] == ["AccumulateGrad"] * 5


def test_non_reentrant_input_without_grad_still_trains_parameters():
    _, xe, ge, _, _ = _run(ember, False, x_requires_grad=False)
    _, _, gt, _, _ = _run(torch, False, x_requires_grad=False)
    for a, b in zip(ge, gt):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_reentrant_input_without_grad_warns_and_gives_no_grad():
    for mod in (torch, ember):
        f, _, _ = _block(mod)
        with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
            y = mod.utils.checkpoint.checkpoint(f, mod.ones(2, 4), use_reentrant=True)
        assert not y.requires_grad


def test_use_reentrant_omitted_warns_as_torch_and_kwargs_rules():
    for mod in (torch, ember):
        f, _, _ = _block(mod)
        x = mod.ones(2, 4, requires_grad=True)
        with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
            mod.utils.checkpoint.checkpoint(f, x)
        with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
            mod.utils.checkpoint.checkpoint(f, x, use_reentrant=True, scale=2.0)
        y = mod.utils.checkpoint.checkpoint(f, x, use_reentrant=False, scale=2.0)
        assert y.requires_grad


def test_multiple_outputs_and_preserve_rng_state_false():
    def f(mod):
        def g(a, b):
            return a * b, (a + b).sin(), mod.ones(1).long()
        return g
    res = {}
    for mod in (torch, ember):
        a = mod.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = mod.tensor([0.5, -1.0, 2.0], requires_grad=True)
        p, q, n = mod.utils.checkpoint.checkpoint(f(mod), a, b, use_reentrant=False, preserve_rng_state=False)
        assert n.dtype == mod.int64
        (p.sum() + (q * q).sum()).backward()
        res[mod.__name__] = (a.grad.numpy(), b.grad.numpy())
    for e, t in zip(res["ember"], res["torch"]):
        np.testing.assert_allclose(e, t, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_sequential_as_torch(use_reentrant):
    out = {}
    for mod in (torch, ember):
        mod.manual_seed(0)
        model = mod.nn.Sequential(mod.nn.Linear(4, 8), mod.nn.ReLU(), mod.nn.Dropout(0.3), mod.nn.Linear(8, 8),
                                  mod.nn.Tanh(), mod.nn.Linear(8, 2))
        x = mod.tensor(np.linspace(-2, 2, 20, dtype=np.float32).reshape(5, 4), requires_grad=True)
        y = mod.utils.checkpoint.checkpoint_sequential(model, 3, x, use_reentrant=use_reentrant)
        y.pow(2).sum().backward()
        out[mod.__name__] = [y.detach().numpy(), x.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]
    for e, t in zip(out["ember"], out["torch"]):
        np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-6)
    with pytest.warns(UserWarning, match="checkpoint_sequential: the use_reentrant parameter"):
        ember.utils.checkpoint.checkpoint_sequential(ember.nn.Sequential(ember.nn.ReLU()), 1, ember.ones(2))


def test_nested_checkpoints_as_torch():
    out = {}
    for mod in (torch, ember):
        mod.manual_seed(0)
        l1, l2 = mod.nn.Linear(3, 3), mod.nn.Linear(3, 3)
        cp = mod.utils.checkpoint.checkpoint

        def inner(x):
            return l2(x).tanh()

        def outer(x):
            return cp(inner, l1(x), use_reentrant=False).sin()
        x = mod.tensor([[1.0, -2.0, 0.5], [0.3, 0.1, -1.0]], requires_grad=True)
        cp(outer, x, use_reentrant=False).sum().backward()
        out[mod.__name__] = [x.grad.numpy(), l1.weight.grad.numpy(), l2.weight.grad.numpy(), l2.bias.grad.numpy()]
    for e, t in zip(out["ember"], out["torch"]):
        np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-6)
