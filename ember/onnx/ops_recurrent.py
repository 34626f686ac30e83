"""ONNX translations of the recurrent layers' ops and of scaled-dot-product attention.

ember runs an RNN/LSTM/GRU layer as one op per layer and direction, on the input already
projected by ``W_ih`` (a Linear op before it). Each becomes ONNX's own RNN/LSTM/GRU operator
(which loops over time itself, so sequence length and batch can both be dynamic) fed that
projection's input and ``W_ih`` (or, when the projection is not a constant-weight Linear, the
projected rows with an identity ``W``), gates permuted from PyTorch's order to ONNX's
(LSTM: i f g o -> i o f c; GRU: r z n -> z r h, with ``linear_before_reset=1`` as PyTorch).
"""
import numpy as np
from onnx import numpy_helper

from ..ops import attention as AT, linalg as L, recurrent as RC
from ._registry import translates


def _perm(H, order):
    return np.concatenate([np.arange(k * H, (k + 1) * H) for k in order])


def _layer(g, c, op_type, n_gates, order, n_state, attrs):
    """Shared translation: gi (T*B, G*H) packed time-major, h0 (B, H) [, c0], w_hh, b_hh."""
    first_w = 1 + n_state                        # index of w_hh among the arguments
    H = c.shape(1)[1]
    batch_sizes, batch_sizes2 = c.a(first_w + 2 + (op_type == "LSTM")), c.a2(first_w + 2 + (op_type == "LSTM"))
    if len(set(batch_sizes)) > 1 or len(set(batch_sizes2)) > 1:
        c.fail("a packed sequence of varying lengths (PackedSequence)")
    reverse = c.a(first_w + 3 + (op_type == "LSTM"))
    dt = c.out_dtype()
    G = n_gates * H
    p = _perm(H, order)
    W = np.eye(G, dtype=dt)[p][None]                        # (1, G, G): gi reordered
    w_hh = c.value_of(first_w) if not c.ex.is_live(c.a(first_w)) else None
    if w_hh is None:
        c.fail("a recurrent weight computed from the inputs")
    R = np.ascontiguousarray(w_hh[p])[None]
    b = c.a(first_w + 1)
    b_hh = np.zeros(G, dt) if b is None else np.asarray(c.value_of(first_w + 1))[p]
    batch = g.node("Shape", [c.x(1)], start=0, end=1)    # B, read from h0 at run time
    W_b = np.zeros(G, dt)
    proj = _input_projection(c)
    if proj is not None:                         # the Linear before: its input and weight feed the operator
        x_in, w_ih, b_ih = proj
        size = x_in._data.shape[1]
        x = g.node("Reshape", [c.ex.value(x_in), g.node("Concat", [g.i64([-1]), batch, g.i64([size])], axis=0)])
        W = np.ascontiguousarray(w_ih[p])[None]
        if b_ih is not None:
            W_b = np.asarray(b_ih)[p]
    else:                                        # gi (T*B, G) -> (T, B, G), W the (reordering) identity
        x = g.node("Reshape", [c.x(0), g.node("Concat", [g.i64([-1]), batch, g.i64([G])], axis=0)])
    B = np.concatenate([W_b, b_hh])[None]
    ins = [x, g.const(W, "W"), g.const(R, "R"), g.const(B, "B"), None,
           g.node("Unsqueeze", [c.x(1), g.i64([0])])]
    if op_type == "LSTM":
        ins.append(g.node("Unsqueeze", [c.x(2), g.i64([0])]))
    outs = g.node(op_type, ins, n_out=1 + n_state, hidden_size=H,
                  direction="reverse" if reverse else "forward", **attrs)
    y = g.node("Reshape", [outs[0], g.i64([-1, H])])         # (T, 1, B, H) -> (T*B, H)
    finals = [g.node("Squeeze", [o, g.i64([0])]) for o in outs[1:]]
    return [y] + finals


def _input_projection(c):
    """(x, W_ih, b_ih) when the op's input rows are ``Linear(x, W_ih, b_ih)`` of a 2-D ``x`` with
    constant weights (as ember's recurrent layers compute them), else None."""
    found = c.ex.producer_of(c.a(0))
    if found is None or found[0].cls not in (L.Linear, L.LinearNoBias):
        return None
    args = found[0].args
    w, b = args[1], args[2] if len(args) > 2 else None
    if args[0]._data.ndim != 2 or c.ex.is_live(w) or (b is not None and c.ex.is_live(b)):
        return None
    return args[0], w._data, None if b is None else b._data


@translates(RC.RNNLayer)
def _rnn(g, c):
    relu = c.a(6)
    return _layer(g, c, "RNN", 1, [0], 1, dict(activations=["Relu" if relu else "Tanh"]))


@translates(RC.LSTMLayer)
def _lstm(g, c):
    if c.a(5) is not None:
        c.fail("an LSTM with proj_size > 0 (ONNX's LSTM has no projection)")
    return _layer(g, c, "LSTM", 4, [0, 3, 1, 2], 2, {})


@translates(RC.GRULayer)
def _gru(g, c):
    return _layer(g, c, "GRU", 3, [1, 0, 2], 1, dict(linear_before_reset=1))


def _is_causal(c):
    """True if the mask is a constant lower-triangular boolean mask of ones (``is_causal=True``)."""
    if c.ex.is_live(c.a(3)) or not c.a(6):
        return False
    masks = [c.value_of(3)] + ([] if c.step2 is None else [c.step2.args[3]._data])
    return all(m.ndim == 2 and np.array_equal(m, np.tril(np.ones(m.shape, np.bool_))) for m in masks)


@translates(AT.ScaledDotProductAttention)
def _sdpa(g, c):
    """softmax(q k^T * scale + mask) v, from MatMul/Softmax (attention dropout is off in eval)."""
    q, k, v, mask, scale = c.x(0), c.x(1), c.x(2), c.a(3), c.a(4)
    if c.a(5) is not None:
        c.fail("attention dropout (export in eval mode, or use dropout_p=0)")
    dt = c.out_dtype()
    kt = g.node("Transpose", [k], perm=list(range(c.rank(1) - 2)) + [c.rank(1) - 1, c.rank(1) - 2])
    s = g.node("Mul", [g.node("MatMul", [q, kt]), g.scalar(scale, dt)])
    if mask is not None:
        if _is_causal(c):                                # is_causal=True: tril(ones(L, S)) at any L, S
            ls = g.node("Concat", [g.node("Shape", [q], start=-2, end=-1), g.node("Shape", [k], start=-2, end=-1)],
                        axis=0)
            ones = g.node("ConstantOfShape", [ls], value=numpy_helper.from_array(np.ones(1, np.bool_)))
            m = g.node("Trilu", [ones], upper=0)
        else:
            m = c.x(3) if c.ex.is_live(mask) else g.const(np.asarray(c.value_of(3)))
        if c.a(6):                                       # boolean mask: True = attend
            s = g.node("Where", [m, s, g.scalar(-np.inf, dt)])
        else:
            s = g.node("Add", [s, m])
    return g.node("MatMul", [g.node("Softmax", [s], axis=-1), v])
