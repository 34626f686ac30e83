"""ember.compile: compiled calls give eager ember's values and gradients (bitwise where the same
NumPy calls run in the same order), on the tutorials' models and an op chain checked against torch."""
import os
import warnings

import numpy as np
import pytest
import torch

import ember
from ember import nn

from ..paths import PHONE_CSV


def _chain(lib, x, w):
    y = x * w
    y = y + 1.0
    y = y.tanh()
    y = y * 2.0
    y = y - x
    y = y.exp()
    y = y / 3.0
    y = y.sigmoid()
    y = y * y
    y = y.relu()
    return y.sum()


def _leaves(*arrays):
    return [ember.tensor(a, requires_grad=True) for a in arrays]


def _grads(tensors):
    out = [t.grad.detach().numpy().copy() for t in tensors]
    for t in tensors:
        t.grad = None
    return out


def test_chain_equals_eager_bitwise_and_torch():
    rng = np.random.default_rng(0)
    xs, ws = (rng.standard_normal((16, 128)).astype(np.float32) for _ in range(2))
    x, w = _leaves(xs, ws)
    compiled = ember.compile(lambda a, b: _chain(ember, a, b))
    eager = _chain(ember, x, w)
    eager.backward()
    want = _grads([x, w])
    for call in range(3):                       # record, then replay twice
        out = compiled(x, w)
        out.backward()
        got = _grads([x, w])
        assert out.item() == eager.item()
        for g, e in zip(got, want):
            np.testing.assert_array_equal(g, e)
    assert type(out.grad_fn).__name__ == "CompiledFunctionBackward"
    tx, tw = (torch.tensor(a, requires_grad=True) for a in (xs, ws))
    ref = _chain(torch, tx, tw)
    ref.backward()
    np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-5)
    np.testing.assert_allclose(want[0], tx.grad.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(want[1], tw.grad.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_broadcasting_function_gradients_reduced_to_input_shapes():
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in [(16, 1), (1, 8), (8,)]]

    def f(x, w, b):
        h = (x * w + b).tanh()
        return (h * h).mean(dim=0), h.max()

    compiled = ember.compile(f)
    ins = _leaves(*arrays)
    e = f(*ins)
    (e[0].sum() + e[1]).backward()
    want = _grads(ins)
    for _ in range(2):
        got_out = compiled(*ins)
        (got_out[0].sum() + got_out[1]).backward()
        assert isinstance(got_out, tuple) and len(got_out) == 2
        np.testing.assert_array_equal(got_out[0].detach().numpy(), e[0].detach().numpy())
        np.testing.assert_array_equal(got_out[1].detach().numpy(), e[1].detach().numpy())
        for g, w, a in zip(_grads(ins), want, arrays):
            assert g.shape == a.shape
            np.testing.assert_array_equal(g, w)
    tins = [torch.tensor(a, requires_grad=True) for a in arrays]
    t = f(*tins)
    (t[0].sum() + t[1]).backward()
    for w, ti in zip(want, tins):
        np.testing.assert_allclose(w, ti.grad.detach().numpy(), rtol=1e-5, atol=1e-6)


def _mlp(seed=0):
    ember.manual_seed(seed)
    return nn.Sequential(nn.Linear(20, 128), nn.ReLU(), nn.Linear(128, 256), nn.ReLU(), nn.Linear(256, 4))


def test_mlp_forward_and_parameter_gradients_equal_eager():
    x = ember.randn(16, 20)
    eager, model = _mlp(), _mlp()
    compiled = ember.compile(model)
    for _ in range(3):
        a, b = eager(x), compiled(x)
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        (a * a).sum().backward()
        (b * b).sum().backward()
        for p, q in zip(eager.parameters(), model.parameters()):
            np.testing.assert_array_equal(p.grad.detach().numpy(), q.grad.detach().numpy())
            p.grad = q.grad = None
    assert type(b.grad_fn).__name__ == "CompiledFunctionBackward"


def _phone_data(n):
    raw = np.loadtxt(PHONE_CSV, delimiter=",", skiprows=1, dtype=np.float64)
    x = (raw[:, :-1] - raw[:, :-1].mean(0)) / raw[:, :-1].std(0)
    return ember.tensor(x[:n].astype(np.float32)), ember.tensor(raw[:n, -1].astype(np.int64))


@pytest.mark.skipif(not os.path.exists(PHONE_CSV), reason="phone-price data not available")
def test_phone_price_training_loop_compiled_equals_eager():
    """Adam steps between calls change the parameters in place; replay reads them each call."""
    x, y = _phone_data(64)
    losses = {}
    params = {}
    for name in ("eager", "compiled"):
        model = _mlp(3)
        run = ember.compile(model) if name == "compiled" else model
        opt = ember.optim.Adam(model.parameters(), lr=1e-2)
        loss_fn = nn.CrossEntropyLoss()
        losses[name] = []
        for step in range(6):
            for i in range(0, 64, 16):
                opt.zero_grad()
                loss = loss_fn(run(x[i:i + 16]), y[i:i + 16])
                loss.backward()
                opt.step()
            losses[name].append(loss.item())
        params[name] = [p.detach().numpy().copy() for p in model.parameters()]
    assert losses["eager"] == losses["compiled"]
    assert losses["compiled"][-1] < losses["compiled"][0]
    for a, b in zip(params["eager"], params["compiled"]):
        np.testing.assert_array_equal(a, b)


def _cnn(seed=0):
    ember.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 2 * 2, 10))


def test_cnn_with_batchnorm_train_and_eval_equals_eager():
    x = ember.randn(6, 1, 8, 8)
    y = ember.tensor(np.arange(6) % 10)
    eager, model = _cnn(), _cnn()
    compiled = ember.compile(model)
    loss_fn = nn.CrossEntropyLoss()
    opts = [ember.optim.SGD(m.parameters(), lr=0.1, momentum=0.9) for m in (eager, model)]
    for mode in ("train", "train", "train", "eval", "eval", "train"):
        for m in (eager, model):
            m.train(mode == "train")
        outs = []
        for m, run, opt in ((eager, eager, opts[0]), (model, compiled, opts[1])):
            opt.zero_grad()
            out = run(x)
            loss_fn(out, y).backward()
            opt.step()
            outs.append(out.detach().numpy())
        np.testing.assert_array_equal(outs[0], outs[1])
        for p, q in zip(eager.parameters(), model.parameters()):
            np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
        for (n, p), q in zip(eager.named_buffers(), model.buffers()):
            np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=n)
    assert int(model[1].num_batches_tracked) == 4
    assert len(compiled._compiled._cache) == 2            # one program for train, one for eval
    assert not compiled._compiled._eager


def test_dropout_eval_replays_and_train_falls_back_with_one_warning():
    def make():
        ember.manual_seed(0)
        return nn.Sequential(nn.Linear(8, 8), nn.Dropout(0.5), nn.Linear(8, 2))
    x = ember.randn(4, 8)
    eager, model = make(), make()
    compiled = ember.compile(model)
    eager.eval(), model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(2):
            np.testing.assert_array_equal(compiled(x).detach().numpy(), eager(x).detach().numpy())
    eager.train(), model.train()
    with pytest.warns(UserWarning, match="random op") as record:
        ember.manual_seed(5)
        a = compiled(x)
        ember.manual_seed(5)
        b = eager(x)
        ember.manual_seed(6)
        c = compiled(x)
        ember.manual_seed(6)
        d = eager(x)
    assert sum("graph break" in str(w.message) for w in record) == 1
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    np.testing.assert_array_equal(c.detach().numpy(), d.detach().numpy())
    assert not np.array_equal(a.detach().numpy(), c.detach().numpy())


def test_no_grad_inference_and_grad_mode_guard():
    model = _mlp()
    compiled = ember.compile(model)
    x = ember.randn(5, 20)
    with ember.no_grad():
        for _ in range(2):
            out = compiled(x)
            assert out.grad_fn is None and not out.requires_grad
            np.testing.assert_array_equal(out.detach().numpy(), model(x).detach().numpy())
    out = compiled(x)
    assert out.requires_grad
    assert len(compiled._compiled._cache) == 2


def test_module_compile_in_place_and_decorators():
    model = _mlp()
    eager = _mlp()
    assert model.compile() is None
    x = ember.randn(3, 20)
    for _ in range(2):
        np.testing.assert_array_equal(model(x).detach().numpy(), eager(x).detach().numpy())
    assert type(model(x).grad_fn).__name__ == "CompiledFunctionBackward"
    assert set(model.state_dict()) == set(eager.state_dict())

    @ember.compile
    def f(a):
        return (a * 2.0).sum()

    @ember.compile(fullgraph=True, mode="reduce-overhead")
    def g(a):
        return (a * 3.0).sum()
    a = ember.ones(3, requires_grad=True)
    for _ in range(2):
        assert f(a).item() == 6.0 and g(a).item() == 9.0
    assert f.__name__ == "f"


def test_disable_returns_the_original_and_options_are_checked():
    def f(a):
        return a + 1
    assert ember.compile(f, disable=True) is f
    assert torch.compile(f, disable=True) is f
    with pytest.raises(NotImplementedError, match="dynamic"):
        ember.compile(f, dynamic=True)
    with pytest.raises(NotImplementedError, match="options"):
        ember.compile(f, options={"trace.enabled": True})
    for lib in (torch, ember):
        with pytest.raises(RuntimeError, match="mode or options"):
            lib.compile(f, mode="default", options={})
        with pytest.raises(RuntimeError, match="Unrecognized mode"):
            lib.compile(f, mode="fastest")
    with pytest.raises(TypeError, match="function or an nn.Module"):
        ember.compile(3)


def test_second_backward_needs_retain_graph():
    f = ember.compile(lambda a: (a * a).sum())
    a = ember.ones(3, requires_grad=True)
    f(a)
    out = f(a)
    out.backward(retain_graph=True)
    out.backward()
    np.testing.assert_array_equal(a.grad.detach().numpy(), [4.0, 4.0, 4.0])
    with pytest.raises(RuntimeError, match="second time"):
        out.backward()


def test_torch_compiler_alias():
    assert ember.compiler.config.cache_size_limit == 8
    assert not ember.compiler.is_compiling()
    seen = []
    f = ember.compile(lambda a: seen.append(ember.compiler.is_compiling()) or a * 2)
    f(ember.ones(2))
    assert seen == [True]


def test_create_graph_through_a_compiled_function_raises():
    f = ember.compile(lambda a: (a * a).sum())
    a = ember.ones(3, requires_grad=True)
    f(a)
    with pytest.raises(RuntimeError, match="create_graph"):
        ember.autograd.grad(f(a), a, create_graph=True)


def test_compiled_model_inside_a_compiled_loss():
    model = _mlp()
    model.compile()
    loss_fn = nn.CrossEntropyLoss()
    step = ember.compile(lambda a, b: loss_fn(model(a), b))
    x, y = ember.randn(8, 20), ember.tensor(np.arange(8) % 4)
    model(x)                                   # the inner one has a program of its own
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            loss = step(x, y)
    assert type(loss.grad_fn).__name__ == "CompiledFunctionBackward"
    assert loss.item() == loss_fn(model.__dict__["forward"]._fn(x), y).item()


def test_parameter_changed_between_forward_and_backward_raises_as_eager():
    for compiled in (False, True):
        model = nn.Linear(3, 2)
        run = ember.compile(model) if compiled else model
        opt = ember.optim.SGD(model.parameters(), lr=0.1)
        x = ember.ones(4, 3, requires_grad=True)
        run(x)
        out = run(x)
        out.sum().backward(retain_graph=True)
        opt.step()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            out.sum().backward()
