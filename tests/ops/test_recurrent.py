"""The fused recurrent ops (ember/ops/recurrent.py): first and second derivatives against PyTorch's
recurrent layers (float64, gradgradcheck), padded and packed, both directions; and the op's own
contract (one node per layer and direction, saved values freed)."""
import numpy as np
import pytest
import torch

import ember
from ember.ops.recurrent import GRULayer, LSTMLayer, RNNLayer, gru_layer, lstm_layer, rnn_layer
from tests.autograd.second_order import check_second_order

I, H, T, B = 2, 2, 3, 2
CASES = {"rnn_tanh": ("RNN", {}), "rnn_relu": ("RNN", {"nonlinearity": "relu"}), "lstm": ("LSTM", {}),
         "lstm_proj": ("LSTM", {"proj_size": 1}), "gru": ("GRU", {})}


def _functions(case, bidirectional, packed):
    """(ember function, torch function, arrays): f(x, *parameters) -> (output, final states...)."""
    cls, extra = CASES[case]
    tm = getattr(torch.nn, cls)(I, H, bidirectional=bidirectional, **extra).double()
    em = getattr(ember.nn, cls)(I, H, bidirectional=bidirectional, **extra).double()
    names = [n for n, _ in tm.named_parameters()]
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((T, B, I))] + [rng.standard_normal(tuple(p.shape)) for _, p in tm.named_parameters()]
    lengths = [3, 1]

    def ember_fn(x, *params):
        for n, p in zip(names, params):
            em._parameters[n] = p
        if packed:
            x = ember.nn.utils.rnn.pack_padded_sequence(x, lengths)
        out, fin = em(x)
        if packed:
            out = out.data
        return (out,) + (tuple(fin) if isinstance(fin, tuple) else (fin,))

    def torch_fn(x, *params):
        if packed:
            x = torch.nn.utils.rnn.pack_padded_sequence(x, lengths)
        out, fin = torch.func.functional_call(tm, dict(zip(names, params)), (x,))
        if packed:
            out = out.data
        return (out,) + (tuple(fin) if isinstance(fin, tuple) else (fin,))
    return ember_fn, torch_fn, arrays


def _dense_outputs(fn):
    def f(*args):
        extra = 0 * sum((a * a).sum() for a in args if isinstance(a, torch.Tensor) and a.requires_grad)
        return tuple(o + extra for o in fn(*args))
    return f


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("packed", [False, True])
def test_second_order_matches_torch(case, bidirectional, packed):
    ember_fn, torch_fn, arrays = _functions(case, bidirectional, packed)
    if case == "rnn_relu":    # torch's second derivative through relu is a ZeroTensor: make it dense
        torch_fn = _dense_outputs(torch_fn)
    check_second_order(ember_fn, torch_fn, *arrays, gradgrad=not bidirectional)


def test_initial_states_second_order():
    rng = np.random.default_rng(1)
    w_hh, b_hh = rng.standard_normal((4 * H, H)), rng.standard_normal(4 * H)
    gi, h0, c0 = rng.standard_normal((T * B, 4 * H)), rng.standard_normal((B, H)), rng.standard_normal((B, H))

    def ember_fn(gi, h0, c0, w_hh, b_hh):
        return lstm_layer(gi, h0, c0, w_hh, b_hh, (B, B, 1), reverse=True)

    def torch_fn(gi, h0, c0, w_hh, b_hh):     # the same recurrence written with torch ops
        steps, off = [], 0
        for bs in (B, B, 1):
            steps.append((off, bs))
            off += bs
        h, c = h0[:1], c0[:1]
        outs = {}
        for t in (2, 1, 0):
            o, bs = steps[t]
            if h.shape[0] < bs:
                h, c = torch.cat([h, h0[h.shape[0]:bs]]), torch.cat([c, c0[c.shape[0]:bs]])
            g = gi[o:o + bs] + h @ w_hh.T + b_hh
            i, f, gg, oo = g.sigmoid()[:, :H], g.sigmoid()[:, H:2 * H], g[:, 2 * H:3 * H].tanh(), g.sigmoid()[:, 3 * H:]
            c = f * c + i * gg
            h = oo * c.tanh()
            outs[t] = h
        return torch.cat([outs[0], outs[1], outs[2]]), h, c
    check_second_order(ember_fn, torch_fn, gi[:2 * B + 1], h0, c0, w_hh, b_hh)


def test_one_node_per_layer_and_direction():
    m = ember.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
    out, (h, c) = m(ember.randn(6, 2, 3))
    seen, stack, kinds = set(), [out.grad_fn], []
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        kinds.append(type(node).__name__)
        stack.extend(n for n, _ in node.next_functions)
    assert kinds.count("LSTMLayerBackward0") == 4
    assert len(kinds) < 30


@pytest.mark.parametrize("op,fn,n_states", [(RNNLayer, rnn_layer, 1), (LSTMLayer, lstm_layer, 2),
                                            (GRULayer, gru_layer, 1)])
def test_saved_values_are_freed_and_second_backward_raises(op, fn, n_states):
    gates = {RNNLayer: 1, LSTMLayer: 4, GRULayer: 3}[op]
    gi = ember.randn(6, gates * 4, requires_grad=True)
    states = [ember.zeros(2, 4) for _ in range(n_states)]
    w_hh = ember.randn(gates * 4, 4, requires_grad=True)
    out = fn(gi, *states, w_hh, None, (2, 2, 2))[0]
    assert type(out.grad_fn).__name__ == op.__name__ + "Backward0"
    out.sum().backward(retain_graph=True)
    g1 = gi.grad.clone()
    out.sum().backward()
    np.testing.assert_allclose(gi.grad.numpy(), 2 * g1.numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.sum().backward()


def test_float32_stays_float32():
    gi = ember.randn(6, 16, requires_grad=True)
    out, h, c = lstm_layer(gi, ember.zeros(2, 4), ember.zeros(2, 4), ember.randn(16, 4), ember.randn(16), (2, 2, 2))
    assert out.dtype == h.dtype == c.dtype == ember.float32
    out.sum().backward()
    assert gi.grad.dtype == ember.float32
