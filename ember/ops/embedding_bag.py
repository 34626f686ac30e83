"""EmbeddingBag: the sum, mean or max of the embedding rows of each bag of indices, without
materialising the (bags, length, dim) tensor of looked-up rows.

    rows_j  = w[idx_j] (* per_sample_weights_j, mode 'sum' only)     for every index j not padding_idx
    sum:  y[b] = sum_{j in bag b} rows_j       mean: y[b] = that / |bag b|      (0 for an empty bag)
    max:  y[b, d] = max_{j in bag b} rows_j[d]   (the gradient goes to the winning row, per column)

Built from ``embedding`` (the lookup and its scatter-add backward), ``index_add`` (the per-bag sum)
and ``gather`` (max), so gradients for the weight and the per-sample weights, and every higher
order, come from theirs.
"""
import numpy as np

from .._tensor import Tensor, _wrap
from .arithmetic import div, mul
from .embedding import embedding
from .index import gather, index_add, index_select
from .views import unsqueeze

__all__ = ["embedding_bag"]


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
    num, dim = weight.shape
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise AssertionError(f"padding_idx must be within the number of embeddings ({num}), got {padding_idx}")
        padding_idx = padding_idx + num if padding_idx < 0 else padding_idx
        keep = np.nonzero(flat != padding_idx)[0]
    else:
        keep = np.arange(flat.size)
    rows = embedding(_wrap(flat[keep]), weight, None, max_norm, norm_type, scale_grad_by_freq)
    if per_sample_weights is not None:
        psw = index_select(per_sample_weights.reshape(-1), 0, _wrap(keep))
        rows = mul(rows, unsqueeze(psw, 1))
    bags = bag_of[keep]
    zeros = _wrap(np.zeros((B, dim), weight._data.dtype))
    if mode == "max":
        return _bag_max(rows, bags, B, zeros)
    out = index_add(zeros, 0, _wrap(bags), rows)
    if mode == "mean":
        counts = np.maximum(np.bincount(bags, minlength=B), 1).astype(weight._data.dtype)
        out = div(out, _wrap(counts[:, None]))
    return out


def _bag_max(rows, bags, B, zeros):
    """Per bag and column, the largest row value (first maximum wins); zero for an empty bag."""
    r = rows._data
    if r.shape[0] == 0:
        return zeros
    win = np.zeros((B, r.shape[1]), np.int64)
    filled = np.zeros(B, bool)
    starts = np.searchsorted(bags, np.arange(B))
    ends = np.searchsorted(bags, np.arange(B), side="right")
    for b in range(B):
        if ends[b] > starts[b]:
            win[b] = starts[b] + np.argmax(r[starts[b]:ends[b]], axis=0)
            filled[b] = True
    if filled.all():
        return gather(rows, 0, _wrap(win))
    picked = gather(rows, 0, _wrap(np.where(filled[:, None], win, 0)))
    return mul(picked, _wrap(filled[:, None].astype(r.dtype)))
