"""Scaled dot-product attention as one fused op with a closed-form backward.

    S = scale * Q @ K^T + M        (M: additive float mask, or -inf where a boolean mask is False)
    P = softmax(S) along the key axis (a row whose keys are all masked gives P = 0, as PyTorch CPU)
    O = (P * D) @ V                 (D: the dropout mask, 0 or 1/(1-p); 1 without dropout)

The softmax probabilities P are computed once in the forward and saved; the backward is

    dV = (P * D)^T @ dO
    dP = (dO @ V^T) * D
    dS = P * (dP - sum(dP * P, keys)),   sum(dP * P, keys) = sum(dO * O, features)
    dQ = scale * dS @ K,   dK = scale * dS^T @ Q,   dM = dS (float mask only)

Layer: above softmax_ops, views and dropout (it uses their helpers); below nn.
"""
import math

import numpy as np

from .._parallel import split_rows
from .._tensor import Tensor, _wrap
from ..autograd.function import Op
from ..autograd.xp import array_namespace
from .dropout import _dropout_mask
from .views import reshape, unsqueeze

__all__ = ["scaled_dot_product_attention"]


def _softmax_rows(s):
    """softmax over the last axis of ``s`` in place; rows that are all -inf become 0 (not NaN)."""
    if s.size == 0:
        return s
    m = s.max(axis=-1, keepdims=True)
    m[~np.isfinite(m)] = 0
    s -= m
    np.exp(s, out=s)
    den = s.sum(axis=-1, keepdims=True)
    den[den == 0] = 1
    s /= den
    return s


def _probabilities_graph(xp, q, k, mask, scale, bool_mask):
    """P recomputed from the (graph-carrying) inputs, for a backward with create_graph=True."""
    s = xp.matmul(q, xp.swapaxes(k, -1, -2)) * scale
    if mask is not None:
        s = xp.where(mask, s, -math.inf) if bool_mask else s + mask
    m = np.max(xp.asarray(s), axis=-1, keepdims=True, initial=-np.inf)     # a constant shift: softmax does not depend on it
    m = np.where(np.isfinite(m), m, 0)
    e = xp.exp(s - m)
    den = xp.sum(e, axis=-1, keepdims=True)
    return e / xp.where(den == 0, 1.0, den)


class ScaledDotProductAttention(Op):
    """O = (softmax(scale * Q K^T + M) * D) V; backward in closed form from the saved softmax P
    (see the module docstring for the formulas)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, q, k, v, mask, scale, drop, bool_mask):
        # (the batch of heads shared out over ember's threads: each head's math is independent)
        out, p = split_rows(_attend, (q, k, v, mask, drop), scale, bool_mask, elements=_work(q, k, v))
        ctx.save_for_backward(q, k, v, mask, p, drop, out)
        ctx.scale, ctx.bool_mask = scale, bool_mask
        return out

    @staticmethod
    def backward(ctx, grad):
        q, k, v, mask, p, drop, out = ctx.saved_tensors
        xp = array_namespace(grad)
        scale, need = ctx.scale, ctx.needs_input_grad
        if xp.graph:
            p = _probabilities_graph(xp, q, k, mask, scale, ctx.bool_mask)
            pd = p if drop is None else p * drop
            gv = xp.matmul(xp.swapaxes(pd, -1, -2), grad) if need[2] else None
            dp = xp.matmul(grad, xp.swapaxes(v, -1, -2))
            if drop is not None:
                dp = dp * drop
            ds = p * (dp - xp.sum(dp * p, axis=-1, keepdims=True))
            gm = ds if need[3] else None
            gq = xp.matmul(ds, k) * scale if need[0] else None
            gk = xp.matmul(xp.swapaxes(ds, -1, -2), q) * scale if need[1] else None
            return gq, gk, gv, gm
        return split_rows(_attend_grad, (grad, q, k, v, mask, p, drop, out), scale, tuple(need),
                          elements=_work(q, k, v))


def _work(q, k, v):
    """Elements attention touches (Q, K, V and the scores), the measure of whether to share it out."""
    return q.size + k.size + v.size + q.size // max(1, q.shape[-1]) * k.shape[-2]


def _attend(q, k, v, mask, drop, scale, bool_mask):
    """(O, P): the forward's math for a batch of heads."""
    s = q @ np.swapaxes(k, -1, -2)
    s *= q.dtype.type(scale)
    if mask is not None:
        in_place = np.broadcast_shapes(mask.shape, s.shape) == s.shape
        if bool_mask:
            if in_place:
                np.copyto(s, q.dtype.type(-np.inf), where=~mask)
            else:
                s = np.where(mask, s, q.dtype.type(-np.inf))
        elif in_place:
            s += mask
        else:
            s = s + mask
    p = _softmax_rows(s)
    return (p if drop is None else p * drop) @ v, p


def _attend_grad(grad, q, k, v, mask, p, drop, out, scale, need):
    """(dQ, dK, dV, dM) for a batch of heads, from the saved P and O (first order)."""
    gv = None
    if need[2]:
        pd = p if drop is None else p * drop
        gv = np.swapaxes(pd, -1, -2) @ grad
    if not (need[0] or need[1] or need[3]):
        return None, None, gv, None
    dp = grad @ np.swapaxes(v, -1, -2)
    if drop is not None:
        dp *= drop
    # sum_j P_ij dP_ij = sum_j P_ij D_ij (dO_i . V_j) = dO_i . O_i: over Ev, not over the keys
    dp -= np.einsum("...i,...i->...", grad, out)[..., None]
    dp *= p
    ds = dp
    gq = gk = None
    sc = q.dtype.type(scale)
    if need[0]:
        gq = ds @ k
        gq *= sc
    if need[1]:
        gk = np.swapaxes(ds, -1, -2) @ q
        gk *= sc
    return gq, gk, gv, (ds if need[3] else None)


def _check(query, key, value, attn_mask):
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): argument '{name}' must be Tensor, "
                            f"not {type(t).__name__}")
    q, k, v = query._data, key._data, value._data
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise RuntimeError(f"scaled_dot_product_attention: expected query, key and value to be at least 2-D "
                           f"(..., L, E), got shapes {tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}")
    if not (q.dtype == k.dtype == v.dtype):
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{query.dtype} key.dtype: {key.dtype} and value.dtype: {value.dtype} instead; "
                           f"convert them with .to(...)")
    if q.dtype.kind != "f":
        raise RuntimeError(f"scaled_dot_product_attention: expected floating-point query, key and value, "
                           f"got {query.dtype}; call .float() first")
    if q.shape[-1] != k.shape[-1]:
        raise RuntimeError(f"scaled_dot_product_attention: query has embedding size {q.shape[-1]} but key has "
                           f"{k.shape[-1]} (shapes {tuple(q.shape)} and {tuple(k.shape)}); they must match")
    if k.shape[-2] != v.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: key has {k.shape[-2]} positions but value has "
                           f"{v.shape[-2]} (shapes {tuple(k.shape)} and {tuple(v.shape)}); they must match")
    if attn_mask is not None:
        if not isinstance(attn_mask, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): attn_mask must be a Tensor or None, "
                            f"not {type(attn_mask).__name__}")
        if attn_mask._data.ndim < 2:
            raise IndexError(f"scaled_dot_product_attention: attn_mask must be at least 2-D (L, S), got shape "
                             f"{tuple(attn_mask._data.shape)}; use mask[None, :] for one row shared by all queries")
        md = attn_mask._data.dtype
        if md != np.bool_ and md != q.dtype:
            raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                               f"attn_mask.dtype: {attn_mask.dtype} and query.dtype: {query.dtype} instead")


def _check_broadcast(query, key, value, mask):
    """The batch dims of query, key, value (and the mask) broadcast; returns the weights' shape (..., L, S)."""
    q, k, v = query._data.shape, key._data.shape, value._data.shape
    try:
        scores = np.broadcast_shapes(q[:-2], k[:-2], v[:-2]) + (q[-2], k[-2])
    except ValueError:
        raise RuntimeError(f"scaled_dot_product_attention: the batch dimensions of query {tuple(q)}, key {tuple(k)} "
                           f"and value {tuple(v)} do not broadcast (for fewer key/value heads than query "
                           f"heads pass enable_gqa=True)") from None
    if mask is not None:
        try:
            return np.broadcast_shapes(mask._data.shape, scores)
        except ValueError:
            raise RuntimeError(f"scaled_dot_product_attention: attn_mask of shape {tuple(mask._data.shape)} does "
                               f"not broadcast to the attention weights' shape {scores} (..., L, S)") from None
    return scores


def _gqa(query, key, value, mask):
    """Grouped-query attention as broadcasting: query heads (..., Hk, g, L, E) against key/value heads
    (..., Hk, 1, S, E), so each key/value head serves g consecutive query heads (repeat_interleave)."""
    hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
    if hk != hv or hq % hk:
        raise RuntimeError(f"Number of heads in key and value must divide the number of heads in query "
                           f"(query has {hq}, key {hk}, value {hv})")
    g = hq // hk
    query = reshape(query, tuple(query.shape[:-3]) + (hk, g) + tuple(query.shape[-2:]))
    key, value = unsqueeze(key, -3), unsqueeze(value, -3)
    if isinstance(mask, Tensor) and mask.ndim >= 3:
        h = mask.shape[-3]
        split = (hk, g) if h == hq else (1, 1) if h == 1 else None
        if split is None:
            raise RuntimeError(f"scaled_dot_product_attention: attn_mask has {h} heads (shape "
                               f"{tuple(mask.shape)}); expected 1 or {hq} (the query's heads)")
        mask = reshape(mask, tuple(mask.shape[:-3]) + split + tuple(mask.shape[-2:]))
    return query, key, value, mask


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(query @ key^T * scale + mask) @ value over shapes (..., L, E), (..., S, E), (..., S, Ev).

    ``attn_mask``: boolean (True = the position takes part) or additive float, broadcastable to
    (..., L, S). ``is_causal``: query i sees keys 0..i (top-left aligned). ``scale``: 1/sqrt(E) by
    default. ``dropout_p``: dropout on the attention weights. ``enable_gqa``: key/value heads (dim -3)
    are shared by groups of query heads. A query whose keys are all masked gets 0.

    Example:
        >>> q = k = v = ember.randn(2, 4, 8, 16)            # (batch, heads, length, embedding)
        >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
        ember.Size([2, 4, 8, 16])
    """
    _check(query, key, value, attn_mask)
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    if is_causal:
        L, S = query._data.shape[-2], key._data.shape[-2]
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                               "is_causal=True; pass one or the other")
        attn_mask = _wrap(np.tril(np.ones((L, S), dtype=np.bool_)))
    if scale is None:
        scale = 1.0 / math.sqrt(query._data.shape[-1])
    out_shape = None
    if enable_gqa and query.ndim >= 3 and key.ndim >= 3 and query.shape[-3] != key.shape[-3]:
        out_shape = tuple(query.shape[:-1]) + (value.shape[-1],)
        query, key, value, attn_mask = _gqa(query, key, value, attn_mask)
    weights_shape = _check_broadcast(query, key, value, attn_mask)
    bool_mask = attn_mask is not None and attn_mask._data.dtype == np.bool_
    drop = None
    if dropout_p > 0.0:
        drop = _dropout_mask(weights_shape, dropout_p, query._data.dtype)
    out = ScaledDotProductAttention.apply(query, key, value, attn_mask, float(scale), drop, bool_mask)
    return reshape(out, out_shape) if out_shape is not None else out
