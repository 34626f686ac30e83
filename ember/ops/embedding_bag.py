"""EmbeddingBag: the sum, mean or max of the embedding rows of each bag of indices, as one fused op
(one graph node; the looked-up rows are reduced per bag in NumPy, never kept for backward).

For the K indices j kept (those not equal to padding_idx), in bag b_j, with per-sample weight a_j
(mode 'sum' only; else 1):
    sum:  y[b] = sum_{j in b} a_j w[i_j]        mean: y[b] = that / |b|          (0 for an empty bag)
    max:  y[b, d] = max_{j in b} w[i_j, d]      (the first maximum wins)
Gradients:
    sum/mean:  dL/dw[r] = sum_{j: i_j = r} c_j a_j g[b_j]   with c_j = 1 (sum) or 1 / |b_j| (mean), also
               divided by the count of r among the indices with ``scale_grad_by_freq``
               dL/da_j = g[b_j] · w[i_j]
    max:       dL/dw[i_win(b, d), d] += g[b, d]
The first-order backward is NumPy (a sorted, duplicate-free scatter of rows); with create_graph=True it is written with
ember's differentiable ops (``index_select``, ``index_add``), so every order works.
"""
import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.function import Op
from ..autograd.xp import array_namespace
from ._util import check_index_range
from .arithmetic import mul
from .embedding import _renorm_rows
from .index import index_add, index_select
from .reduce import sum as sum_
from .views import reshape, unsqueeze

__all__ = ["embedding_bag"]


class _Bags:
    """The bag structure of the kept indices: index ``i``, bag ``b`` (non-decreasing), B bags."""
    __slots__ = ("i", "b", "B", "counts", "starts", "filled", "inv_freq")

    def __init__(self, i, b, B, by_freq, num):
        self.i, self.b, self.B = i, b, B
        self.counts = np.bincount(b, minlength=B)
        self.filled = np.nonzero(self.counts)[0]
        self.starts = np.searchsorted(b, self.filled)
        self.inv_freq = 1.0 / np.bincount(i, minlength=num)[i] if by_freq and len(i) else None


def _scatter_rows(G, i, num):
    """zeros(num, D) with row j of G added into row i[j].

    Sorted by index, the k-th occurrences of all indices form one duplicate-free fancy-indexed add
    (as many passes as the most repeated index occurs); heavy repeats fall back to ``bincount``.
    """
    K, D = G.shape
    gw = np.zeros((num, D), G.dtype)
    if not K:
        return gw
    order = np.argsort(i, kind="stable")
    si = i[order]
    new = np.empty(K, bool)
    new[0] = True
    np.not_equal(si[1:], si[:-1], out=new[1:])
    rank = np.arange(K) - np.maximum.accumulate(np.where(new, np.arange(K), 0))
    passes = int(rank.max()) + 1
    if passes > 32:
        pos = (i[:, None] * D + np.arange(D)).ravel()
        return np.bincount(pos, weights=G.ravel(), minlength=num * D).reshape(num, D).astype(G.dtype, copy=False)
    for r in range(passes):
        sel = order[rank == r]
        if r == 0:
            gw[i[sel]] = G[sel]
        else:
            gw[i[sel]] += G[sel]
    return gw


def _bag_reduce(rows, bags, ufunc):
    """Per-bag ``ufunc`` reduction of ``rows`` for the non-empty bags (equal-length bags: one reshape)."""
    n = len(bags.filled)
    if n and len(rows) % n == 0 and bags.starts[-1] == len(rows) - len(rows) // n and \
            np.all(bags.counts[bags.filled] == len(rows) // n):
        return ufunc.reduce(rows.reshape(n, len(rows) // n, rows.shape[1]), axis=1)
    return ufunc.reduceat(rows, bags.starts, axis=0)


class EmbeddingBag(Op):
    """y = per-bag sum / mean / max of (per-sample weighted) rows of w (see the module docstring)."""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, w, psw, bags, mode):
        rows = w[bags.i]
        if psw is not None:
            rows = rows * psw[:, None]
        out = np.zeros((bags.B, w.shape[1]), w.dtype)
        win = None
        if len(bags.i):
            if mode == "max":
                out[bags.filled] = _bag_reduce(rows, bags, np.maximum)
                pos = np.where(rows == out[bags.b], np.arange(len(bags.i))[:, None], len(bags.i))
                win = _bag_reduce(pos, bags, np.minimum)      # first maximum per (bag, column)
            else:
                out[bags.filled] = _bag_reduce(rows, bags, np.add)
                if mode == "mean":
                    out[bags.filled] /= bags.counts[bags.filled, None].astype(w.dtype)
        ctx.save_for_backward(w, psw)
        ctx.c = (bags, mode, win)
        return out

    @staticmethod
    def backward(ctx, grad):
        w, psw = ctx.saved_tensors
        bags, mode, win = ctx.c
        num, D = w.shape
        xp = array_namespace(grad)
        dt = (grad._data if isinstance(grad, Tensor) else grad).dtype
        need_w, need_psw = ctx.needs_input_grad[0], psw is not None and ctx.needs_input_grad[1]
        if mode == "max":
            if not len(bags.i):
                return None, None, None, None
            flat = (bags.i[win] * D + np.arange(D)).ravel()
            if xp.graph:
                g = index_select(grad, 0, _wrap(bags.filled))
                gw = index_add(_wrap(np.zeros(num * D, dt)), 0, _wrap(flat), reshape(g, (-1,)))
                return reshape(gw, (num, D)), None, None, None
            g = grad[bags.filled]
            gw = np.bincount(flat, weights=g.ravel(), minlength=num * D).astype(grad.dtype, copy=False)
            return gw.reshape(num, D), None, None, None
        coef = None
        if mode == "mean":
            coef = (1.0 / np.maximum(bags.counts, 1))[bags.b].astype(dt)
        if xp.graph:
            G = index_select(grad, 0, _wrap(bags.b))
            if coef is not None:
                G = mul(G, _wrap(coef[:, None]))
            gpsw = sum_(mul(G, index_select(w, 0, _wrap(bags.i))), 1) if need_psw else None
            gw = None
            if need_w:
                if psw is not None:
                    G = mul(G, unsqueeze(psw, 1))
                if bags.inv_freq is not None:
                    G = mul(G, _wrap(bags.inv_freq[:, None].astype(dt)))
                gw = index_add(_wrap(np.zeros((num, D), dt)), 0, _wrap(bags.i), G)
            return gw, gpsw, None, None
        G = grad[bags.b]
        if coef is not None:
            G *= coef[:, None]
        gpsw = np.einsum("kd,kd->k", G, w[bags.i]) if need_psw else None
        gw = None
        if need_w:
            scale = psw if psw is not None else None
            if bags.inv_freq is not None:
                f = bags.inv_freq.astype(dt)
                scale = f if scale is None else scale * f
            if scale is not None:
                G = G * scale[:, None]
            gw = _scatter_rows(G, bags.i, num)
        return gw, gpsw, None, None


def _bags(input, offsets, include_last_offset, per_sample_weights):
    """(flat indices, bag number of each index, number of bags) from PyTorch's two input layouts."""
    idx = input._data
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets).__name__}")
        B, L = idx.shape
        return idx.reshape(-1), np.repeat(np.arange(B), L), B
    if idx.ndim != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {idx.ndim}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    off = offsets._data if isinstance(offsets, Tensor) else np.asarray(offsets)
    if off.ndim != 1:
        raise ValueError(f"offsets has to be a 1D Tensor, but got Tensor of dimension {off.ndim}")
    if off.dtype.kind not in "iu":
        raise RuntimeError(f"embedding_bag: offsets must be an integer tensor, got {off.dtype}")
    off = off.astype(np.int64)
    if off.size and off[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {int(off[0])}")
    if off.size and off[-1] > idx.size:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length ({idx.size}), but got offsets[-1] of "
                           f"{int(off[-1])}")
    if np.any(np.diff(off) < 0):
        raise RuntimeError(f"embedding_bag: offsets must be non-decreasing, got {off.tolist()}")
    ends = np.append(off, idx.size)
    if include_last_offset:
        ends = off
        off = off[:-1]
    B = len(off)
    sizes = ends[1:B + 1] - off if include_last_offset else np.diff(ends)
    return idx, np.repeat(np.arange(B), sizes), B


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxima of bags of embeddings: ``input`` (B, L) is B bags of L indices, or a
    1-D ``input`` with ``offsets`` giving where each bag starts. Returns (B, embedding_dim).

    Example:
        >>> w = ember.randn(10, 3)
        >>> F = ember.nn.functional
        >>> F.embedding_bag(ember.tensor([1, 2, 4, 5, 4]), w, ember.tensor([0, 2]), mode="sum").shape
        ember.Size([2, 3])
    """
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, but got {mode!r}")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if sparse:
        raise NotImplementedError("embedding_bag: sparse=True (a sparse weight gradient) is not supported by ember, "
                                  "which has no sparse tensors; use sparse=False")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                      f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                                      f"on GitHub.")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"embedding_bag: If per_sample_weights ({tuple(per_sample_weights.shape)}) is not None, "
                             f"then it must have the same shape as the input ({tuple(input.shape)})")
    flat, bag_of, B = _bags(input, offsets, include_last_offset, per_sample_weights)
    if weight.ndim != 2:
        raise RuntimeError(f"embedding_bag: weight must be 2-D (num_embeddings, embedding_dim), got shape "
                           f"{tuple(weight.shape)}")
    num = weight.shape[0]
    if flat.dtype.kind not in "iu":
        raise RuntimeError(f"embedding_bag: expected an integer index tensor (Long or Int), got {input.dtype}")
    check_index_range(flat, num, lambda bad: f"Index {int(np.flatnonzero(flat == bad[0])[0])} of input takes "
                      f"value {bad[0]} which is not in the valid range [0, {num}) (embedding_bag: the weight has "
                      f"{num} rows)")
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise AssertionError(f"padding_idx must be within the number of embeddings ({num}), got {padding_idx}")
        padding_idx = padding_idx + num if padding_idx < 0 else padding_idx
        keep = np.nonzero(flat != padding_idx)[0]
    else:
        keep = np.arange(flat.size)
    if max_norm is not None:
        _renorm_rows(weight, flat, max_norm, norm_type)
    bags = _Bags(flat[keep].astype(np.intp), bag_of[keep], B, bool(scale_grad_by_freq), num)
    psw = None
    if per_sample_weights is not None:
        psw = index_select(reshape(per_sample_weights, (-1,)), 0, _wrap(keep))
    return EmbeddingBag.apply(weight, psw, bags, mode)
