"""Recurrent time loops (Elman RNN, LSTM with optional projection, GRU): one fused op per layer and
direction, forward over all time steps and backpropagation through time in closed form.

Every op takes the input projection of all time steps at once, ``gi = x @ W_ih^T + b_ih``
(computed by the caller with one GEMM), in *packed* layout: the rows of time step ``t`` are
``gi[offset_t : offset_t + batch_sizes[t]]``, times in increasing order, sequences sorted by
decreasing length (a padded batch of T steps is the special case ``batch_sizes = (B,) * T``).
Inside the loop each step costs one GEMM ``h @ W_hh^T`` and a few elementwise passes.

Gate formulas (PyTorch's; ``s`` = sigmoid, ``gh = h_{t-1} @ W_hh^T + b_hh``):

    RNN:   h_t = act(gi_t + gh)                                  act = tanh or relu
    LSTM:  i, f, g, o = s(.), s(.), tanh(.), s(.) of gi_t + gh   (4 chunks of H, that order)
           c_t = f * c_{t-1} + i * g;  h_t = (o * tanh(c_t)) @ W_hr^T   (W_hr only with proj_size)
    GRU:   r, z = s(gi_r + gh_r), s(gi_z + gh_z);  n = tanh(gi_n + r * gh_n)
           h_t = (1 - z) * n + z * h_{t-1}

Backward through time, from the gradient ``dh`` arriving at h_t (output rows + the carry) and ``dc``:

    RNN:   dp = dh * act'(.);  dgi = dgh = dp
    LSTM:  dr = dh @ W_hr;  dc += dr * o * (1 - tanh(c_t)^2);  do = dr * tanh(c_t)
           di, df, dg = dc * g, dc * c_{t-1}, dc * i;  dc_{t-1} = dc * f
           dgi = dgh = [di i(1-i), df f(1-f), dg (1-g^2), do o(1-o)]
    GRU:   dn = dh (1-z) (1-n^2);  dz = dh (h_{t-1} - n) z(1-z);  dr = dn gh_n r(1-r)
           dgi = [dr, dz, dn],  dgh = [dr, dz, dn * r];  dh_{t-1} += dh * z
    all:   dh_{t-1} += dgh @ W_hh;  dW_hh = sum_t dgh_t^T h_{t-1};  db_hh = sum_t dgh_t;
           dW_hr = sum_t dh_t^T (o * tanh(c_t))

The backward is written once against ``array_namespace``; with ``create_graph=True`` it first
re-runs the forward on Tensors (the saved gates would otherwise be constants), so every order of
derivative is exact.
"""
import numpy as np

from ..autograd.function import Op
from ..autograd.xp import NumpyNamespace as _NP, array_namespace
from ._math import sigmoid as _np_sigmoid

__all__ = ["rnn_layer", "lstm_layer", "gru_layer"]


def _t(xp, w):
    """w^T as the right operand of the per-step GEMM (C-ordered on NumPy: small GEMMs are much
    faster than on a transposed view)."""
    return xp.transpose(w) if xp.graph else np.ascontiguousarray(w.T)


def _sigmoid(xp, a):
    if not xp.graph:
        return _np_sigmoid(a)
    return 0.5 * xp.tanh(0.5 * a) + 0.5      # stable for any |a|, built from differentiable ops


def _schedule(batch_sizes, reverse):
    """(time, first row, batch size) of each step in the order the loop runs them."""
    steps, off = [], 0
    for t, bs in enumerate(batch_sizes):
        steps.append((t, off, bs))
        off += bs
    return steps[::-1] if reverse else steps


def _run(xp, cell, init, batch_sizes, reverse):
    """Run ``cell(t, rows, state) -> state`` over the schedule; ``state`` is a tuple of (bs, .)
    arrays whose first entry is h. Returns the final state of every sequence (at its own length)."""
    steps = _schedule(batch_sizes, reverse)
    first = steps[0][2]
    state = tuple(s[:first] if s.shape[0] != first else s for s in init)
    ended = []                                  # forward direction: states of sequences that ended
    for t, off, bs in steps:
        cur = state[0].shape[0]
        if bs < cur:                            # forward: sequences [bs:cur] ended at the previous step
            ended.append(tuple(s[bs:cur] for s in state))
            state = tuple(s[:bs] for s in state)
        elif bs > cur:                          # reverse: sequences [cur:bs] start here
            state = tuple(xp.concatenate([s, s0[cur:bs]], axis=0) for s, s0 in zip(state, init))
        state = cell(t, off, bs, state)
    if ended:
        state = tuple(xp.concatenate([s] + [e[k] for e in reversed(ended)], axis=0) for k, s in enumerate(state))
    return state


def _bptt(xp, cell_backward, g_final, g_out, batch_sizes, reverse):
    """Walk the schedule backwards. ``cell_backward(t, off, bs, dstate) -> dstate_before`` where
    ``dstate`` is the gradient at the state after step t (its h entry already includes the output
    gradient). Returns the gradient of the initial state."""
    steps = _schedule(batch_sizes, reverse)[::-1]
    carry = tuple(g[:steps[0][2]] for g in g_final) if not reverse else tuple(g_final)
    pieces = []                                  # reverse: gradients of initial-state rows
    n_steps = len(batch_sizes)
    for t, off, bs in steps:
        cur = carry[0].shape[0]
        if bs > cur:                             # forward: sequences [cur:bs] ended at step t
            carry = tuple(xp.concatenate([c, g[cur:bs]], axis=0) for c, g in zip(carry, g_final))
        carry = (carry[0] + g_out[off:off + bs],) + carry[1:]
        carry = cell_backward(t, off, bs, carry)
        if reverse:
            nxt = batch_sizes[t + 1] if t + 1 < n_steps else 0
            if nxt < bs:                         # rows [nxt:bs] started (in reverse time) at step t
                pieces.append(tuple(c[nxt:bs] for c in carry))
                carry = tuple(c[:nxt] for c in carry)
    if reverse:
        return tuple(xp.concatenate([p[k] for p in reversed(pieces)], axis=0) for k in range(len(g_final)))
    return carry


def _cat_rows(xp, by_time):
    """Arrays of each time step (a dict) concatenated in time order: the packed layout."""
    return xp.concatenate([by_time[t] for t in sorted(by_time)], axis=0)


# -- Elman RNN ----------------------------------------------------------------------------------

def _rnn_forward(xp, gi, h0, w_hh, b_hh, batch_sizes, reverse, relu):
    outs = {}
    w_t = _t(xp, w_hh)

    def cell(t, off, bs, state):
        pre = gi[off:off + bs] + xp.matmul(state[0], w_t)
        if b_hh is not None:
            pre = pre + b_hh
        h = xp.maximum(pre, 0.0) if relu else xp.tanh(pre)
        outs[t] = (state[0], h)
        return (h,)
    final = _run(xp, cell, (h0,), batch_sizes, reverse)
    return outs, final


class RNNLayer(Op):
    """One layer and direction of an Elman RNN (tanh or relu) over packed rows; see the module."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, gi, h0, w_hh, b_hh, batch_sizes, reverse, relu):
        outs, (h_n,) = _rnn_forward(_NP, gi, h0, w_hh, b_hh, batch_sizes, reverse, relu)
        ctx.args = (batch_sizes, reverse, relu)
        ctx.save_for_backward(gi, h0, w_hh, b_hh, outs)
        return np.concatenate([outs[t][1] for t in range(len(batch_sizes))], axis=0), h_n

    @staticmethod
    def backward(ctx, g_out, g_hn):
        gi, h0, w_hh, b_hh, outs = ctx.saved_tensors
        batch_sizes, reverse, relu = ctx.args
        xp = array_namespace(g_out, g_hn)
        if xp.graph:
            outs, _ = _rnn_forward(xp, gi, h0, w_hh, b_hh, batch_sizes, reverse, relu)
        dpre, h_prev = {}, {}

        def cell_backward(t, off, bs, carry):
            h_prev[t], h = outs[t]
            d = xp.where(h > 0, carry[0], 0.0) if relu else carry[0] * (1 - h * h)
            dpre[t] = d
            return (xp.matmul(d, w_hh),)
        gh0, = _bptt(xp, cell_backward, (g_hn,), g_out, batch_sizes, reverse)
        need = ctx.needs_input_grad
        d = _cat_rows(xp, dpre)
        gw, gb = _hh_grads(ctx, xp, d, h_prev, 2)
        return d if need[0] else None, gh0 if need[1] else None, gw, gb


def _hh_grads(ctx, xp, d, h_prev, k):
    """(dW_hh, db_hh) from the gate gradients ``d`` of all rows, for the op whose inputs ``k`` and
    ``k + 1`` are W_hh and b_hh."""
    need = ctx.needs_input_grad
    if not (need[k] or need[k + 1]):
        return None, None
    gw = xp.matmul(xp.transpose(d), _cat_rows(xp, h_prev)) if need[k] else None
    return gw, (xp.sum(d, axis=0) if need[k + 1] else None)


# -- LSTM ---------------------------------------------------------------------------------------

def _lstm_forward(xp, gi, h0, c0, w_hh, b_hh, w_hr, batch_sizes, reverse):
    H = c0.shape[1]
    saved = {}

    def cell(t, off, bs, state):
        h, c = state
        gates = gi[off:off + bs] + xp.matmul(h, xp.transpose(w_hh))
        if b_hh is not None:
            gates = gates + b_hh
        i = _sigmoid(xp, gates[:, :H])
        f = _sigmoid(xp, gates[:, H:2 * H])
        g = xp.tanh(gates[:, 2 * H:3 * H])
        o = _sigmoid(xp, gates[:, 3 * H:])
        c_new = f * c + i * g
        tc = xp.tanh(c_new)
        r = o * tc
        h_new = r if w_hr is None else xp.matmul(r, xp.transpose(w_hr))
        saved[t] = (i, f, g, o, c, tc, r, h, h_new)
        return h_new, c_new
    final = _run(xp, cell, (h0, c0), batch_sizes, reverse)
    return saved, final


def _lstm_forward_numpy(gi, h0, c0, w_hh, b_hh, w_hr, batch_sizes, reverse):
    """``_lstm_forward`` tuned for NumPy (first-order training): b_hh added to all rows at once,
    the gate activations computed in place in one (rows, 4H) buffer; the same saved layout plus
    that buffer at index 9."""
    H = c0.shape[1]
    gib = gi + b_hh if b_hh is not None else gi
    w_t = np.ascontiguousarray(w_hh.T)         # a C-ordered right operand: small GEMMs ~1.7x faster
    w_hr_t = None if w_hr is None else np.ascontiguousarray(w_hr.T)
    saved = {}

    def cell(t, off, bs, state):
        h, c = state
        act = h @ w_t
        act += gib[off:off + bs]
        g = np.tanh(act[:, 2 * H:3 * H])
        np.negative(act, out=act)               # sigmoid of all four blocks, in place ...
        np.exp(act, out=act)
        act += 1
        np.reciprocal(act, out=act)
        act[:, 2 * H:3 * H] = g                 # ... then the cell block is tanh
        i, f, g, o = act[:, :H], act[:, H:2 * H], act[:, 2 * H:3 * H], act[:, 3 * H:]
        c_new = f * c
        c_new += i * g
        tc = np.tanh(c_new)
        r = o * tc
        h_new = r if w_hr_t is None else r @ w_hr_t
        saved[t] = (i, f, g, o, c, tc, r, h, h_new, act)
        return h_new, c_new
    with np.errstate(over="ignore"):            # exp(-x) = inf for x < -88 gives sigmoid 0, as it should
        final = _run(_NP, cell, (h0, c0), batch_sizes, reverse)
    return saved, final


def _lstm_gate_grads_numpy(act, g, c, tc, o, dh, dc, d):
    """The pre-activation gate gradients (rows, 4H), written into ``d``, and dc_t, with few passes
    over the arrays."""
    H = c.shape[1]
    dc_t = tc * tc
    np.subtract(1, dc_t, out=dc_t)
    dc_t *= o
    dc_t *= dh
    dc_t += dc
    np.multiply(dc_t, g, out=d[:, :H])
    np.multiply(dc_t, c, out=d[:, H:2 * H])
    np.multiply(dc_t, act[:, :H], out=d[:, 2 * H:3 * H])
    np.multiply(dh, tc, out=d[:, 3 * H:])
    deriv = act * act                           # s (1 - s) for the sigmoid blocks ...
    np.subtract(act, deriv, out=deriv)
    gd = deriv[:, 2 * H:3 * H]                  # ... and 1 - g^2 for the tanh block
    np.multiply(g, g, out=gd)
    np.subtract(1, gd, out=gd)
    d *= deriv
    return d, dc_t


class LSTMLayer(Op):
    """One layer and direction of an LSTM (optionally with projection) over packed rows."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, gi, h0, c0, w_hh, b_hh, w_hr, batch_sizes, reverse):
        saved, (h_n, c_n) = _lstm_forward_numpy(gi, h0, c0, w_hh, b_hh, w_hr, batch_sizes, reverse)
        ctx.args = (batch_sizes, reverse)
        ctx.save_for_backward(gi, h0, c0, w_hh, b_hh, w_hr, saved)
        out = np.concatenate([saved[t][8] for t in range(len(batch_sizes))], axis=0)
        return out, h_n, c_n

    @staticmethod
    def backward(ctx, g_out, g_hn, g_cn):
        gi, h0, c0, w_hh, b_hh, w_hr, saved = ctx.saved_tensors
        batch_sizes, reverse = ctx.args
        xp = array_namespace(g_out, g_hn, g_cn)
        if xp.graph:
            saved, _ = _lstm_forward(xp, gi, h0, c0, w_hh, b_hh, w_hr, batch_sizes, reverse)
        dgates, h_prev, dh_all, r_all = {}, {}, {}, {}
        d_all = None if xp.graph else np.empty(gi.shape, gi.dtype)   # NumPy: gate gradients written in place

        def cell_backward(t, off, bs, carry):
            dh, dc = carry
            i, f, g, o, c, tc, r, h = saved[t][:8]
            if w_hr is not None:
                dh_all[t], r_all[t] = dh, r
                dh = xp.matmul(dh, w_hr)
            if not xp.graph:
                d, dc = _lstm_gate_grads_numpy(saved[t][9], g, c, tc, o, dh, dc, d_all[off:off + bs])
            else:
                dc = dc + dh * o * (1 - tc * tc)
                d = xp.concatenate([dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g),
                                    dh * tc * o * (1 - o)], axis=1)
            dgates[t], h_prev[t] = d, h
            return xp.matmul(d, w_hh), dc * f
        gh0, gc0 = _bptt(xp, cell_backward, (g_hn, g_cn), g_out, batch_sizes, reverse)
        need = ctx.needs_input_grad
        if d_all is None:
            d_all = _cat_rows(xp, dgates)
        gw, gb = _hh_grads(ctx, xp, d_all, h_prev, 3)
        gw_hr = None
        if w_hr is not None and need[5]:
            gw_hr = xp.matmul(xp.transpose(_cat_rows(xp, dh_all)), _cat_rows(xp, r_all))
        return (d_all if need[0] else None, gh0 if need[1] else None, gc0 if need[2] else None,
                gw, gb, gw_hr)


# -- GRU ----------------------------------------------------------------------------------------

def _gru_forward(xp, gi, h0, w_hh, b_hh, batch_sizes, reverse):
    H = h0.shape[1]
    saved = {}
    w_t = _t(xp, w_hh)

    def cell(t, off, bs, state):
        h, = state
        x = gi[off:off + bs]
        gh = xp.matmul(h, w_t)
        if b_hh is not None:
            gh = gh + b_hh
        r = _sigmoid(xp, x[:, :H] + gh[:, :H])
        z = _sigmoid(xp, x[:, H:2 * H] + gh[:, H:2 * H])
        ghn = gh[:, 2 * H:]
        n = xp.tanh(x[:, 2 * H:] + r * ghn)
        h_new = n + z * (h - n)
        saved[t] = (r, z, n, ghn, h, h_new)
        return (h_new,)
    final = _run(xp, cell, (h0,), batch_sizes, reverse)
    return saved, final


class GRULayer(Op):
    """One layer and direction of a GRU over packed rows."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, gi, h0, w_hh, b_hh, batch_sizes, reverse):
        saved, (h_n,) = _gru_forward(_NP, gi, h0, w_hh, b_hh, batch_sizes, reverse)
        ctx.args = (batch_sizes, reverse)
        ctx.save_for_backward(gi, h0, w_hh, b_hh, saved)
        out = np.concatenate([saved[t][5] for t in range(len(batch_sizes))], axis=0)
        return out, h_n

    @staticmethod
    def backward(ctx, g_out, g_hn):
        gi, h0, w_hh, b_hh, saved = ctx.saved_tensors
        batch_sizes, reverse = ctx.args
        xp = array_namespace(g_out, g_hn)
        if xp.graph:
            saved, _ = _gru_forward(xp, gi, h0, w_hh, b_hh, batch_sizes, reverse)
        dgi, dgh, h_prev = {}, {}, {}

        def cell_backward(t, off, bs, carry):
            dh, = carry
            r, z, n, ghn, h, _ = saved[t]
            dn = dh * (1 - z) * (1 - n * n)
            dz = dh * (h - n) * z * (1 - z)
            dr = dn * ghn * r * (1 - r)
            dgi[t] = xp.concatenate([dr, dz, dn], axis=1)
            dgh[t] = d = xp.concatenate([dr, dz, dn * r], axis=1)
            h_prev[t] = h
            return (dh * z + xp.matmul(d, w_hh),)
        gh0, = _bptt(xp, cell_backward, (g_hn,), g_out, batch_sizes, reverse)
        gw, gb = _hh_grads(ctx, xp, _cat_rows(xp, dgh), h_prev, 2)
        return _cat_rows(xp, dgi) if ctx.needs_input_grad[0] else None, gh0 if ctx.needs_input_grad[1] else None, gw, gb


# -- functions ----------------------------------------------------------------------------------

def rnn_layer(gi, h0, w_hh, b_hh, batch_sizes, reverse=False, nonlinearity="tanh"):
    """One RNN layer/direction over packed rows ``gi`` (N, H): returns (output (N, H), h_n (B, H))."""
    return RNNLayer.apply(gi, h0, w_hh, b_hh, tuple(batch_sizes), bool(reverse), nonlinearity == "relu")


def lstm_layer(gi, h0, c0, w_hh, b_hh, batch_sizes, reverse=False, w_hr=None):
    """One LSTM layer/direction over packed rows ``gi`` (N, 4H): returns (output, h_n, c_n)."""
    return LSTMLayer.apply(gi, h0, c0, w_hh, b_hh, w_hr, tuple(batch_sizes), bool(reverse))


def gru_layer(gi, h0, w_hh, b_hh, batch_sizes, reverse=False):
    """One GRU layer/direction over packed rows ``gi`` (N, 3H): returns (output (N, H), h_n)."""
    return GRULayer.apply(gi, h0, w_hh, b_hh, tuple(batch_sizes), bool(reverse))
