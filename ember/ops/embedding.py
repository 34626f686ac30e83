"""Embedding: rows of a weight matrix looked up by integer indices (one graph node per call)."""
import numpy as np

from ..autograd.function import Op
from ..autograd.xp import array_namespace
from ._util import check_index_range, require_tensor

__all__ = ["embedding"]


def _scatter_rows(grad, flat, shape, padding_idx, by_freq):
    """dL/dw (zeros of ``shape``) from dL/dy: row i of dL/dy added into row ``flat[i]``."""
    g2 = grad.reshape(-1, shape[1])
    if by_freq:
        counts = np.bincount(flat, minlength=shape[0])
        g2 = g2 / counts[flat][:, None].astype(g2.dtype)
    gw = np.zeros(shape, grad.dtype)
    if flat.size:   # sum the rows of each index in one pass (sorted, then reduceat): ~20x np.add.at
        order = np.argsort(flat, kind="stable")
        rows = flat[order]
        starts = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
        gw[rows[starts]] = np.add.reduceat(g2[order], starts, axis=0)
    if padding_idx is not None:
        gw[padding_idx] = 0
    return gw


class Embedding(Op):
    """y[..., :] = w[idx[...], :].

    Backward scatters the output gradient back onto the looked-up rows, summing repeats:
        dL/dw[r] = sum over positions i with idx[i] == r of dL/dy[i]        (scaled by 1 / count(r) with
    ``scale_grad_by_freq``);  dL/dw[padding_idx] = 0.  The indices get no gradient.
    With create_graph=True that scatter is itself an op (``EmbeddingDenseBackward``).
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, idx, w, padding_idx, scale_grad_by_freq):
        ctx.save_for_backward(idx)
        ctx.c = (w.shape, padding_idx, scale_grad_by_freq)
        return w[idx]

    @staticmethod
    def backward(ctx, grad):
        idx, = ctx.saved_tensors
        shape, padding_idx, by_freq = ctx.c
        if array_namespace(grad).graph:
            return None, EmbeddingDenseBackward.apply(grad, idx._data, shape, padding_idx, by_freq), None, None
        return None, _scatter_rows(grad, idx.reshape(-1), shape, padding_idx, by_freq), None, None


class EmbeddingDenseBackward(Op):
    """dL/dw = scatter of dL/dy onto rows idx (Embedding's backward, as an op for create_graph=True).

    Its derivative in dL/dy is PyTorch's ``embedding_dense_double_backward``: the rows idx of the
    incoming gradient, zero where idx == padding_idx, and (as in PyTorch) not scaled by frequency.
    """
    differentiable_backward = True

    @staticmethod
    def forward(ctx, grad, idx, shape, padding_idx, by_freq):
        ctx.c = (idx, grad.shape, padding_idx)
        return _scatter_rows(grad, idx.reshape(-1), shape, padding_idx, by_freq)

    @staticmethod
    def backward(ctx, gg):
        idx, gshape, padding_idx = ctx.c
        xp = array_namespace(gg)
        rows = Embedding.apply(idx, gg, None, False) if xp.graph else gg[idx]
        if padding_idx is not None:
            rows = xp.where((idx == padding_idx)[..., None], 0.0, rows)
        return xp.reshape(rows, gshape), None, None, None, None


def _check_indices(input, weight):
    """Integer indices within [0, num_embeddings) and a 2-D weight, with PyTorch's error types."""
    require_tensor("embedding", "input", input)
    idx = input._data
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar "
                           f"types: Long, Int; but got {input.dtype} instead (usage: embedding(input.long(), "
                           f"weight))")
    if weight._data.ndim != 2:
        raise RuntimeError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), got shape "
                           f"{tuple(weight.shape)}")
    num = weight._data.shape[0]
    check_index_range(idx, num, lambda bad: f"index out of range in self: embedding index {bad[0]} is outside "
                      f"[0, {num - 1}] for an Embedding with {num} rows", error=IndexError)


def _renorm_rows(weight, idx, max_norm, norm_type):
    """Rescale, in place, the looked-up rows of ``weight`` whose ``norm_type``-norm exceeds ``max_norm``."""
    rows = np.unique(idx)
    w = weight._data
    norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
    over = norms > max_norm
    if over.any():
        scale = (max_norm / (norms[over] + 1e-7)).astype(w.dtype)
        w[rows[over]] *= scale[:, None]
        weight._vc[0] += 1


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of ``weight`` picked by the integer tensor ``input``: output shape ``input.shape + (dim,)``.

    Rows at ``padding_idx`` get no gradient; with ``max_norm``, looked-up rows whose norm exceeds
    it are rescaled in place first.

    Example:
        >>> w = ember.randn(10, 3)
        >>> ember.nn.functional.embedding(ember.tensor([[1, 2], [4, 9]]), w).shape
        ember.Size([2, 2, 3])
    """
    _check_indices(input, weight)
    idx = input._data
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight._data.shape[0]
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    return Embedding.apply(_IndexArg(idx), weight, padding_idx, bool(scale_grad_by_freq))


def _IndexArg(idx):
    # Indices pass through Op.apply as a plain array (not a Tensor): they never get a gradient.
    return idx if idx.dtype == np.intp else idx.astype(np.intp)
