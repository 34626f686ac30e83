"""Connectionist temporal classification: ``ctc_loss`` (CTCLoss), PyTorch's CPU algorithm.

For one sequence: log-probabilities lp[t, c] (t < T), a target l of length L and the blank b.
The extended target l' = (b, l1, b, l2, ..., lL, b) has 2L + 1 positions s. In log space:
    alpha[0, 0] = lp[0, b],  alpha[0, 1] = lp[0, l'1]
    alpha[t, s] = logsumexp(alpha[t-1, s], alpha[t-1, s-1], alpha[t-1, s-2] if l's != b and
                  l's != l'(s-2)) + lp[t, l's]
    nll = -logsumexp(alpha[T-1, 2L], alpha[T-1, 2L-1])
    beta mirrors alpha from t = T - 1 backwards (beta[T-1, 2L] = lp[T-1, b], ...).
Gradient (as PyTorch's kernel, which assumes lp came out of log_softmax):
    dL/dlp[t, c] = exp(lp[t, c]) - exp(logsumexp_{s: l's = c}(alpha[t, s] + beta[t, s]) + nll - lp[t, c])
for t < T, and 0 for t >= T. Through a log_softmax this is the exact gradient of the logits.
The recursions run over time in Python and over the batch and positions s in NumPy, in float64.
``zero_infinity`` turns an impossible alignment's infinite loss (and its gradient) into 0.
Second-order gradients are not implemented (PyTorch has none either).
"""
import numpy as np

from ..._tensor import Tensor, _wrap
from ...autograd.function import Op
from ..arithmetic import div
from ..reduce import mean, sum as _sum
from ._common import _reduction

__all__ = ["ctc_loss"]

_NEG = -np.inf


def _lse(*terms):
    """Elementwise logsumexp of arrays of one shape (-inf where all are -inf)."""
    m = terms[0]
    for t in terms[1:]:
        m = np.maximum(m, t)
    safe = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore", under="ignore"):
        return np.log(sum(np.exp(t - safe) for t in terms)) + safe


def _shift(a, k):
    """a[..., s - k] (with -inf shifted in)."""
    out = np.full_like(a, _NEG)
    out[..., k:] = a[..., :a.shape[-1] - k]
    return out


def _unshift(a, k):
    """a[..., s + k] (with -inf shifted in)."""
    out = np.full_like(a, _NEG)
    out[..., :a.shape[-1] - k] = a[..., k:]
    return out


def _alpha_beta(lp, ext, skip, skip_back, in_len, valid):
    """log alpha and log beta (T, N, S') of the extended labels ``ext`` (N, S')."""
    T, N, _ = lp.shape
    n = np.arange(N)[:, None]
    lpe = lp[:, n, ext]                                               # (T, N, S'): lp[t, n, l'_s]
    alpha = np.full(lpe.shape, _NEG)
    start = np.full(ext.shape, _NEG)
    start[:, :2] = lpe[0, :, :2]
    alpha[0] = np.where(valid, start, _NEG)
    for t in range(1, T):
        prev = alpha[t - 1]
        a = _lse(prev, _shift(prev, 1), np.where(skip, _shift(prev, 2), _NEG)) + lpe[t]
        alpha[t] = np.where(valid & (t < in_len)[:, None], a, _NEG)
    beta = np.full(lpe.shape, _NEG)
    last = in_len - 1
    S2 = valid.sum(axis=1) - 1                                        # 2 L (the final blank)
    end = np.full(ext.shape, _NEG)
    rows = np.arange(N)
    end[rows, S2] = lpe[np.maximum(last, 0), rows, S2]
    has_label = S2 > 0
    end[rows[has_label], S2[has_label] - 1] = lpe[np.maximum(last, 0)[has_label], rows[has_label],
                                                  S2[has_label] - 1]
    for t in range(T - 1, -1, -1):
        nxt = beta[t + 1] if t + 1 < T else np.full(ext.shape, _NEG)
        b = _lse(nxt, _unshift(nxt, 1), np.where(skip_back, _unshift(nxt, 2), _NEG)) + lpe[t]
        beta[t] = np.where(valid, np.where((t == last)[:, None], end, np.where((t < last)[:, None], b, _NEG)),
                           _NEG)
    nll = np.full(N, np.inf)
    ok = in_len > 0
    fin = alpha[np.maximum(last, 0), rows]                            # (N, S')
    tail = _lse(fin[rows, S2], np.where(has_label, fin[rows, np.maximum(S2 - 1, 0)], _NEG))
    nll[ok] = -tail[ok]
    nll[~ok & (S2 == 0)] = -0.0                                      # empty input, empty target
    return alpha, beta, nll


class _CtcLossBackwardGrad(Op):
    """The gradient of ``CtcLoss`` as a graph node (create_graph=True) that cannot be differentiated
    again, as PyTorch's ``_ctc_loss_backward``: its backward raises."""

    @staticmethod
    def forward(ctx, grad, log_probs, value):
        return value

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for ctc_loss's backward is not implemented: the second-order gradient of "
                           "ctc_loss is not available (in PyTorch either); differentiate it only once")


class CtcLoss(Op):
    """Per-sequence negative log-likelihood (N,) of the targets; see the module docstring."""
    differentiable_backward = True      # its gradient is a node whose own backward raises (as PyTorch)

    @staticmethod
    def forward(ctx, log_probs, targets, input_lengths, target_lengths, blank, zero_infinity):
        lp = log_probs.astype(np.float64)
        N, S = targets.shape
        Sx = 2 * S + 1
        ext = np.full((N, Sx), blank, np.int64)
        ext[:, 1::2] = targets
        pos = np.arange(Sx)[None]
        valid = pos <= 2 * target_lengths[:, None]
        skip = (ext != blank) & (ext != _shift(ext.astype(np.float64), 2)) & (pos >= 2)
        skip_back = (ext != blank) & (ext != _unshift(ext.astype(np.float64), 2))
        alpha, beta, nll = _alpha_beta(lp, ext, skip, skip_back, input_lengths, valid)
        ctx.save_for_backward(log_probs)
        ctx.save = (lp, ext, valid, alpha, beta, nll, input_lengths, zero_infinity, log_probs.dtype)
        out = nll
        if zero_infinity:
            out = np.where(np.isinf(nll), 0.0, nll)
        return out.astype(log_probs.dtype)

    @staticmethod
    def backward(ctx, grad):
        if isinstance(grad, Tensor):                 # create_graph=True
            log_probs, = ctx.saved_tensors
            return (_CtcLossBackwardGrad.apply(grad, log_probs, CtcLoss.backward(ctx, grad._data)[0]),
                    None, None, None, None, None)
        lp, ext, valid, alpha, beta, nll, in_len, zero_infinity, dtype = ctx.save
        T, N, C = lp.shape
        ab = np.where(valid[None], alpha + beta, _NEG)                  # (T, N, S')
        m = ab.max(axis=2, keepdims=True)
        m = np.where(np.isfinite(m), m, 0.0)
        with np.errstate(under="ignore", divide="ignore", invalid="ignore"):
            onehot = (ext[:, :, None] == np.arange(C)) & valid[:, :, None]  # (N, S', C)
            sums = np.einsum("tns,nsc->tnc", np.exp(ab - m), onehot.astype(np.float64))
            lcab = np.log(sums) + m
            g = np.exp(lp) - np.exp(lcab + nll[None, :, None] - lp)
        g = np.where((np.arange(T)[:, None] < in_len[None, :])[..., None], g, 0.0)
        if zero_infinity:
            g = np.where(np.isinf(nll)[None, :, None], 0.0, g)
        g = g * np.asarray(grad, np.float64)[None, :, None]
        return g.astype(dtype), None, None, None, None, None


def _lengths(name, value, N):
    if isinstance(value, Tensor):
        if value.dtype.is_floating_point:
            raise RuntimeError(f"ctc_loss: {name} must be an integer tensor or a tuple of ints, got {value.dtype}")
        arr = np.asarray(value._data, np.int64).reshape(-1)
    else:
        arr = np.asarray(tuple(int(v) for v in value), np.int64)
    if arr.shape[0] != N:
        raise RuntimeError(f"{name} must be of size batch_size (got {arr.shape[0]} lengths for a batch of {N})")
    if arr.size and arr.min() < 0:
        raise RuntimeError(f"Expected {name} to have value at least 0, but got value {arr.min()}")
    return arr


def _check_kinds(input_lengths, target_lengths):
    kinds = [isinstance(v, Tensor) for v in (input_lengths, target_lengths)]
    ok_seq = [isinstance(v, (tuple, list)) for v in (input_lengths, target_lengths)]
    if not (all(kinds) or all(ok_seq)):
        raise TypeError(f"ctc_loss() received an invalid combination of arguments: input_lengths and "
                        f"target_lengths must both be Tensors or both be tuples of ints, but got "
                        f"{type(input_lengths).__name__} and {type(target_lengths).__name__}")


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """Connectionist temporal classification loss of log-probabilities (T, N, C) (or unbatched (T, C)).

    ``targets``: (N, S) padded or the N targets concatenated (1-D); lengths as tensors or tuples.
    ``reduction='mean'`` divides each loss by its target length, then averages over the batch.

    Example:
        >>> lp = ember.randn(6, 1, 4).log_softmax(2)
        >>> F.ctc_loss(lp, ember.tensor([[1, 2]]), (6,), (2,)).shape
        ember.Size([])
    """
    reduction = _reduction(None, None, reduction)
    _check_kinds(input_lengths, target_lengths)
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {log_probs.ndim}-dimensional tensor for "
                           f"argument #1 'log_probs' (log_probs must be (T, N, C), or (T, C) unbatched)")
    if not log_probs.dtype.is_floating_point:
        raise NotImplementedError(f"ctc_loss is implemented for floating-point log_probs only, got {log_probs.dtype}")
    if targets.dtype.is_floating_point or targets.dtype.name == "bool":
        raise RuntimeError(f"ctc_loss: targets must hold integer class indices (int64 or int32), got "
                           f"{targets.dtype} (convert with targets.long())")
    if log_probs.numel() == 0:
        raise RuntimeError(f"log_probs tensor must not be empty (got shape {tuple(log_probs.shape)})")
    unbatched = log_probs.ndim == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    T, N, C = lp.shape
    if not 0 <= blank < C:
        raise RuntimeError(f"blank must be in label range (got blank={blank} for {C} classes)")
    in_len = _lengths("input_lengths", input_lengths, N)
    tgt_len = _lengths("target_lengths", target_lengths, N)
    if in_len.size and in_len.max() > T:
        raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value {in_len.max()}")
    t = np.asarray(targets._data, np.int64)
    if unbatched:
        t = t.reshape(1, -1)
    if t.ndim == 1:                                                  # concatenated targets
        if t.shape[0] != tgt_len.sum():
            raise RuntimeError(f"Expected tensor to have size {tgt_len.sum()} at dimension 0, but got size "
                               f"{t.shape[0]} for argument #2 'targets' (concatenated targets must hold "
                               f"sum(target_lengths) labels)")
        S = int(tgt_len.max()) if N else 0
        padded = np.full((N, S), blank, np.int64)
        mask = np.arange(S)[None] < tgt_len[:, None]
        padded[mask] = t
        t = padded
    else:
        if t.ndim != 2 or t.shape[0] != N:
            raise RuntimeError(f"ctc_loss: targets must be (N, S) padded or 1-D concatenated, got shape "
                               f"{tuple(targets.shape)} for a batch of {N}")
        if tgt_len.size and tgt_len.max() > t.shape[1]:
            raise RuntimeError(f"Expected tensor to have size at least {tgt_len.max()} at dimension 1, but got "
                               f"size {t.shape[1]} for argument #2 'targets'")
        t = np.where(np.arange(t.shape[1])[None] < tgt_len[:, None], t, blank)
    if t.size and (t.min() < 0 or t.max() >= C):
        raise RuntimeError(f"ctc_loss: target labels must be in [0, {C - 1}], got values in "
                           f"[{t.min()}, {t.max()}]")
    loss = CtcLoss.apply(lp, t, in_len, tgt_len, int(blank), bool(zero_infinity))
    if reduction == "mean":
        denom = _wrap(np.maximum(tgt_len, 1).astype(log_probs.dtype.np))
        return mean(div(loss, denom))
    if reduction == "sum":
        return _sum(loss)
    return loss.squeeze(0) if unbatched else loss
