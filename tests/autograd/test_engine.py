"""The backward engine: accumulation, retain_graph, gradient=, hooks, retain_grad, autograd.grad, depth."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle import assert_close


def _pair(arr, requires_grad=True):
    arr = np.asarray(arr, np.float32)
    return ember.tensor(arr, requires_grad=requires_grad), torch.tensor(arr, requires_grad=requires_grad)


def test_tutorial_backprop_example():
    # y_hat = w2 * (w1 * x), L = 1/2 (y - y_hat)^2
    x, y = 1.5, 2.0
    w1 = ember.tensor(0.8, requires_grad=True)
    w2 = ember.tensor(-0.3, requires_grad=True)
    y_hat = w2 * (w1 * x)
    loss = 0.5 * (y - y_hat) ** 2
    loss.backward()
    yh = -0.3 * 0.8 * x
    assert w2.grad.item() == pytest.approx(-(y - yh) * 0.8 * x, rel=1e-6)
    assert w1.grad.item() == pytest.approx(-(y - yh) * -0.3 * x, rel=1e-6)
    assert loss.item() == pytest.approx(0.5 * (y - yh) ** 2, rel=1e-6)


def test_grad_accumulates_across_backward_calls():
    e, t = _pair([1.0, 2.0, 3.0])
    for lib_x in (e, t):
        y = (lib_x * lib_x).sum()
        y.backward(retain_graph=True)
        y.backward()
        (lib_x * 3).sum().backward()
    assert_close(e.grad, t.grad)
    assert e.grad.tolist() == [7.0, 11.0, 15.0]


def test_grad_zeroing_and_none():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    assert x.grad is None
    (x * 2).sum().backward()
    x.grad.zero_()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    x.grad = None
    (x * 4).sum().backward()
    assert x.grad.tolist() == [4.0, 4.0]


def test_grad_is_not_aliased_to_incoming_gradient():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    g = ember.tensor([1.0, 1.0])
    (x * 1).backward(g)
    x.grad.add_(5)
    assert g.tolist() == [1.0, 1.0]


def test_gradient_argument():
    e, t = _pair(np.arange(6).reshape(2, 3))
    g = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    (e.exp() * 2).backward(ember.tensor(g))
    (t.exp() * 2).backward(torch.tensor(g))
    assert_close(e.grad, t.grad)
    e2, t2 = _pair([1.0, 2.0])
    (e2 * 3).backward(gradient=ember.tensor([1.0, 0.5]))
    (t2 * 3).backward(gradient=torch.tensor([1.0, 0.5]))
    assert_close(e2.grad, t2.grad)


def test_scalar_backward_on_one_element_tensor():
    x = ember.tensor([2.0], requires_grad=True)
    (x * x).backward()  # shape (1,): implicit gradient allowed, as torch
    assert x.grad.tolist() == [4.0]


def test_diamond_and_reuse():
    e, t = _pair([0.5, -1.0, 2.0])
    outs = []
    for x in (e, t):
        a = x * 2
        b = a.exp()
        c = a.sin()
        d = b * c + a * a + x
        outs.append(d.sum())
        outs[-1].backward()
    assert_close(e.grad, t.grad)


def test_multiple_roots_autograd_backward():
    e, t = _pair([1.0, 2.0])
    ember.autograd.backward([(e * 2).sum(), (e * e).sum()])
    torch.autograd.backward([(t * 2).sum(), (t * t).sum()])
    assert_close(e.grad, t.grad)


def test_backward_inputs_restricts_accumulation():
    a = ember.tensor([1.0], requires_grad=True)
    b = ember.tensor([2.0], requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert a.grad.tolist() == [2.0] and b.grad is None


def test_retain_grad_on_non_leaf():
    e, t = _pair([1.0, 2.0])
    ye, yt = e * 3, t * 3
    ye.retain_grad()
    yt.retain_grad()
    assert ye.retains_grad and not e.retains_grad
    (ye * ye).sum().backward()
    (yt * yt).sum().backward()
    assert_close(ye.grad, yt.grad)
    assert_close(e.grad, t.grad)


def test_retain_grad_accumulates():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    z = y.sum()
    z.backward(retain_graph=True)
    z.backward()
    assert y.grad.tolist() == [2.0, 2.0]


def test_register_hook_leaf_and_non_leaf_modify_and_remove():
    seen = []
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    hy = y.register_hook(lambda g: seen.append(("y", g.tolist())) or g * 10)
    hx = x.register_hook(lambda g: seen.append(("x", g.tolist())))
    y.sum().backward()
    assert seen == [("y", [1.0, 1.0]), ("x", [30.0, 30.0])]
    assert x.grad.tolist() == [30.0, 30.0]
    hy.remove()
    hx.remove()
    seen.clear()
    x.grad = None
    (x * 3).sum().backward()
    y2 = x * 3
    y2.sum().backward()
    assert seen == [] and x.grad.tolist() == [6.0, 6.0]


def test_hooks_match_torch():
    e, t = _pair([1.0, -2.0, 0.5])
    for x in (e, t):
        y = x.exp()
        y.register_hook(lambda g: g * 2)
        x.register_hook(lambda g: g + 1)
        (y * x).sum().backward()
    assert_close(e.grad, t.grad)


def test_hook_on_tensor_without_grad_errors():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        ember.zeros(2).register_hook(lambda g: g)


def test_detach_requires_grad_is_leaf():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf and y.requires_grad
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.grad_fn is None
    z = ember.zeros(2)
    assert z.is_leaf and not z.requires_grad
    assert z.requires_grad_() is z and z.requires_grad and z.is_leaf
    z.requires_grad_(False)
    assert not z.requires_grad
    y.detach_()
    assert y.is_leaf and not y.requires_grad
    (x * d).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_requires_grad_propagation():
    a = ember.ones(2)
    b = ember.ones(2, requires_grad=True)
    assert not (a * 2).requires_grad
    assert (a * b).requires_grad and (a * b).grad_fn is not None
    assert not (b > 0).requires_grad
    assert not b.argmax().requires_grad
    assert (b.long()).grad_fn is None


def test_deep_chain_does_not_recurse():
    x = ember.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001 + 0.0
    y.sum().backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 5000, rel=1e-3)


def test_autograd_grad_basic_and_no_accumulation():
    e, t = _pair([1.0, 2.0, 3.0])
    ge, = ember.autograd.grad((e ** 3).sum(), e)
    gt, = torch.autograd.grad((t ** 3).sum(), t)
    assert_close(ge, gt)
    assert e.grad is None
    assert not ge.requires_grad


def test_autograd_grad_multiple_inputs_outputs_grad_outputs():
    a_e, a_t = _pair([1.0, 2.0])
    b_e, b_t = _pair([3.0, -1.0])
    ge = ember.autograd.grad([a_e * b_e, a_e.exp()], [a_e, b_e],
                             grad_outputs=[ember.tensor([1.0, 2.0]), ember.tensor([0.5, 0.5])])
    gt = torch.autograd.grad([a_t * b_t, a_t.exp()], [a_t, b_t],
                             grad_outputs=[torch.tensor([1.0, 2.0]), torch.tensor([0.5, 0.5])])
    for x, y in zip(ge, gt):
        assert_close(x, y)


def test_autograd_grad_allow_unused():
    a = ember.tensor([1.0], requires_grad=True)
    b = ember.tensor([2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        ember.autograd.grad((a * 2).sum(), [a, b])
    ga, gb = ember.autograd.grad((a * 2).sum(), [a, b], allow_unused=True)
    assert ga.tolist() == [2.0] and gb is None
    ga, gb = ember.autograd.grad((a * 2).sum(), [a, b], allow_unused=True, materialize_grads=True)
    assert gb.tolist() == [0.0]


def test_autograd_grad_retain_graph():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (a.exp() * a).sum()
    g1, = ember.autograd.grad(y, a, retain_graph=True)
    g2, = ember.autograd.grad(y, a)
    assert g1.tolist() == g2.tolist()
    with pytest.raises(RuntimeError, match="retain_graph"):
        ember.autograd.grad(y, a)


def test_autograd_grad_on_non_leaf_input():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    h = a * 2
    g, = ember.autograd.grad((h * h).sum(), h)
    assert g.tolist() == [4.0, 8.0]


def test_broadcast_gradients_reduce_to_input_shape():
    e1, t1 = _pair(np.ones((3, 1)))
    e2, t2 = _pair(np.arange(4))
    e3, t3 = _pair(2.0)
    (e1 * e2 + e3).sum().backward()
    (t1 * t2 + t3).sum().backward()
    for e, t in [(e1, t1), (e2, t2), (e3, t3)]:
        assert_close(e.grad, t.grad)


def test_float64_leaf_gets_float64_grad_through_float32_ops():
    x = ember.tensor([1.0, 2.0], dtype=ember.float64, requires_grad=True)
    (x.float() * 2).sum().backward()
    assert x.grad.dtype == ember.float64


# -- grad_fn names ------------------------------------------------------------------------------
NAMED = [
    lambda x, y: x + y, lambda x, y: x - y, lambda x, y: x * y, lambda x, y: x / y, lambda x, y: x ** 2,
    lambda x, y: x ** y, lambda x, y: -x, lambda x, y: x.exp(), lambda x, y: x.log(), lambda x, y: x.sqrt(),
    lambda x, y: x.tanh(), lambda x, y: x.sigmoid(), lambda x, y: x.relu(), lambda x, y: x.abs(),
    lambda x, y: x.sin(), lambda x, y: x.cos(), lambda x, y: x.sum(), lambda x, y: x.sum(0), lambda x, y: x.mean(),
    lambda x, y: x.mean(1), lambda x, y: x.max(), lambda x, y: x.max(1)[0], lambda x, y: x.amax(1),
    lambda x, y: x.prod(), lambda x, y: x.var(), lambda x, y: x.std(), lambda x, y: x.logsumexp(1),
    lambda x, y: x.norm(), lambda x, y: x.cumsum(0), lambda x, y: x.reshape(-1), lambda x, y: x.view(6),
    lambda x, y: x.permute(1, 0), lambda x, y: x.transpose(0, 1), lambda x, y: x.t(), lambda x, y: x.unsqueeze(0),
    lambda x, y: x.expand(2, 2, 3), lambda x, y: x.repeat(2, 1), lambda x, y: x.flip(0), lambda x, y: x[0],
    lambda x, y: x[:, 1:], lambda x, y: x.clone(), lambda x, y: x @ y.t(), lambda x, y: x.clamp(0, 1),
    lambda x, y: x.softmax(1), lambda x, y: x.log_softmax(1), lambda x, y: x.double(), lambda x, y: x.square(),
    lambda x, y: x.rsqrt(), lambda x, y: x.reciprocal(), lambda x, y: x.flatten(), lambda x, y: x.squeeze(),
    lambda x, y: x.unsqueeze(0).squeeze(0), lambda x, y: x[:, 0], lambda x, y: x[0, 1:], lambda x, y: x[1, ...],
    lambda x, y: x[None], lambda x, y: x.min(), lambda x, y: x.min(0)[0], lambda x, y: x.amin(0), lambda x, y: 2 ** x,
    lambda x, y: x.split(1)[0], lambda x, y: x.unbind(1)[0], lambda x, y: x.narrow(0, 0, 1), lambda x, y: x.mT,
    lambda x, y: x.movedim(0, 1), lambda x, y: x.flip(1), lambda x, y: x.cumprod(1), lambda x, y: x.where(x > 1, y),
    lambda x, y: x.maximum(y), lambda x, y: x.gather(1, x.argsort(1)), lambda x, y: x.masked_fill(x > 1, 0.0),
    lambda x, y: x.index_select(0, x.argmax(0)), lambda x, y: x.sigmoid().log1p(), lambda x, y: x.exp2(),
    lambda x, y: x.mean((0, 1)), lambda x, y: x.var(1), lambda x, y: x.std(0), lambda x, y: x.atan2(y),
    lambda x, y: x @ y[0], lambda x, y: x[0] @ y[0], lambda x, y: x[0].outer(y[0]),
]

# Where ember's node name differs from torch's, and why (kept on purpose).
NAME_DIFFERENCES = {
    "FillBackward2": "FillBackward0",   # ember has one fill_ node
    "CopySlices": "IndexPutBackward0",   # t[k] = v on a non-view records index_put (see test_index.py)
    "SplitBackward0": "SliceBackward0",  # ember's split/chunk/unbind give one slice node per piece
    "UnbindBackward0": "SliceBackward0",
}


@pytest.mark.parametrize("fn", NAMED, ids=[str(i) for i in range(len(NAMED))])
def test_grad_fn_names_match_torch(fn):
    arr = np.abs(np.random.default_rng(3).standard_normal((2, 3))).astype(np.float32) + 0.5
    e, t = _pair(arr)
    e2, t2 = _pair(arr * 2)
    ne = fn(e, e2).grad_fn.name()
    nt = type(fn(t, t2).grad_fn).__name__
    assert ne == NAME_DIFFERENCES.get(nt, nt), f"ember {ne} vs torch {nt}"


def test_next_functions_and_accumulate_grad():
    x = ember.tensor([1.0], requires_grad=True)
    y = (x * 2).exp()
    (node, idx), = y.grad_fn.next_functions
    assert node.name() == "MulBackward0"
    (acc, _), second = node.next_functions
    assert type(acc).__name__ == "AccumulateGrad" and acc.variable is x
    assert second[0] is None


def test_leaf_hook_applies_to_autograd_grad():
    e, t = _pair([1.0, 2.0])
    e.register_hook(lambda g: g * 10)
    t.register_hook(lambda g: g * 10)
    assert_close(ember.autograd.grad((e * e).sum(), e)[0], torch.autograd.grad((t * t).sum(), t)[0])


def test_hook_called_once_with_total_gradient():
    calls = []
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: calls.append(g.tolist()))
    (y * y + y).sum().backward()
    assert calls == [[5.0, 9.0]]


def test_leaf_backward_and_requires_grad_after_no_grad():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    x.backward(ember.ones(2))
    assert x.grad.tolist() == [1.0, 1.0]
    a = ember.tensor([1.0], requires_grad=True)
    with ember.no_grad():
        b = a * 2
    b.requires_grad_()
    (b * 3).sum().backward()
    assert b.grad.tolist() == [3.0] and a.grad is None


def _no_shared_grad_arrays(*leaves):
    arrays = [t.grad._data for t in leaves]
    for i, a in enumerate(arrays):
        for b in arrays[i + 1:]:
            assert not np.shares_memory(a, b)


def test_sum_of_one_non_leaf_gives_each_leaf_its_own_grad_array():
    # Add's backward returns the same array for both inputs; each leaf must get its own .grad.
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor([3.0, 4.0], requires_grad=True)
    u = a + b
    (u * u).sum().backward()
    _no_shared_grad_arrays(a, b)
    a.grad.add_(100.0)
    assert b.grad.tolist() == [8.0, 12.0]
    assert a.grad.tolist() == [108.0, 112.0]


def test_second_backward_accumulates_without_touching_the_other_leaf():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor([3.0, 4.0], requires_grad=True)
    for _ in range(2):
        u = a + b
        (u * u).sum().backward()
    _no_shared_grad_arrays(a, b)
    assert a.grad.tolist() == b.grad.tolist() == [16.0, 24.0]


def test_root_gradient_and_hook_tensors_are_not_adopted_as_grad():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    g = ember.tensor([1.0, 1.0])
    (a * 1.0).backward(g)
    a.grad.add_(5.0)
    assert g.tolist() == [1.0, 1.0]
    seen = []
    b = ember.tensor([1.0, 2.0], requires_grad=True)
    b.register_hook(lambda grad: seen.append(grad))
    (b * 2.0).sum().backward()
    b.grad.add_(5.0)
    assert seen[0].tolist() == [2.0, 2.0]


def test_custom_function_returning_a_saved_tensor_keeps_it_intact():
    saved = ember.tensor([1.0, 1.0])

    class Passthrough(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.clone()

        @staticmethod
        def backward(ctx, grad):
            return saved

    x = ember.tensor([0.0, 0.0], requires_grad=True)
    Passthrough.apply(x).sum().backward()
    x.grad.add_(1.0)
    assert saved.tolist() == [1.0, 1.0]
