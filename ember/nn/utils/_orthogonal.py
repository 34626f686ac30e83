"""``torch.nn.utils.parametrizations.orthogonal``: a weight kept orthogonal (``Q^T Q = I``).

The original is an unconstrained matrix ``X``; the weight is ``base @ Q(X)`` where ``Q`` maps
``X`` to an orthogonal matrix: ``matrix_exp`` (of the skew part ``tril(X) - tril(X)^T``, default
for square weights), ``cayley`` (``(I - A/2)^-1 (I + A/2)``) or ``householder`` (the product of
the reflectors stored below the diagonal of ``X``, default for rectangular weights). With
``use_trivialization`` (default) registration stores the current weight, made orthogonal, in the
buffer ``base`` and sets ``X`` so that ``Q(X) = I``: the weight starts as its QR ``Q`` factor.

The matrix exponential and the Householder product are composed from ember's differentiable ops
(scaling and squaring of a degree-12 Taylor polynomial; one reflector at a time), so gradients
come from autograd; results agree with PyTorch's kernels to float32 round-off.
"""
import math

import numpy as np

from ... import _creation
from ..._tensor import Tensor, _wrap
from ...autograd.grad_mode import no_grad
from ...linalg import solve
from ...ops import cat
from ..modules.module import Module
from . import parametrize

_MAPS = ("matrix_exp", "cayley", "householder")


def _matrix_exp(A):
    """``exp(A)`` for a batch of square matrices: ``(T_12(A / 2^s))^(2^s)`` with ``||A / 2^s||_1 <= 1/2``."""
    norm = float(np.abs(A.detach()._data).sum(axis=-2).max()) if A.numel() else 0.0
    s = max(0, int(math.ceil(math.log2(norm / 0.5)))) if norm > 0.5 else 0
    X = A / (2.0 ** s)
    n = A.shape[-1]
    eye = _creation.eye(n, dtype=A.dtype)
    result, term = eye + X, X
    for k in range(2, 13):
        term = (term @ X) / k
        result = result + term
    for _ in range(s):
        result = result @ result
    return result


def _householder_product(A, tau):
    """``H_1 H_2 ... H_k`` (its first ``A.shape[-1]`` columns), ``H_i = I - tau_i v_i v_i^T`` with
    ``v_i`` = (0, ..., 0, 1, A[i+1:, i])."""
    n, k = A.shape[-2], A.shape[-1]
    eye = _creation.eye(n, dtype=A.dtype)
    unit = np.zeros((n, k), dtype=A._data.dtype)
    unit[np.arange(k), np.arange(k)] = 1
    V = A.tril(-1) + _wrap(unit)                                   # the reflectors, one per column
    Q = eye.expand(*A.shape[:-2], n, n) if A.ndim > 2 else eye
    for i in range(k):
        v = V[..., :, i:i + 1]
        Q = Q - (Q @ v) @ (v.transpose(-2, -1) * tau[..., i:i + 1].unsqueeze(-1))
    return Q[..., :, :k]


def _make_orthogonal(A):
    """The Q of A's QR factorisation with a positive-diagonal R (as ``geqrf`` + ``householder_product``
    with the diagonal's signs)."""
    a = A.detach()._data
    q, r = np.linalg.qr(a)
    signs = np.sign(np.diagonal(r, axis1=-2, axis2=-1))
    signs[signs == 0] = 1
    return _wrap((q * signs[..., None, :]).astype(a.dtype))


def _is_orthogonal(Q):
    n, k = Q.shape[-2], Q.shape[-1]
    eps = 10.0 * n * float(np.finfo(Q._data.dtype).eps)
    gram = np.swapaxes(Q._data, -2, -1) @ Q._data
    return bool(np.allclose(gram, np.eye(k, dtype=Q._data.dtype), rtol=1e-5, atol=eps))


class _Orthogonal(Module):
    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        if self.orthogonal_map in ("matrix_exp", "cayley"):
            X = X.tril()
            if n != k:
                X = _cat_zeros(X, n - k)
            A = X - X.mT
            if self.orthogonal_map == "matrix_exp":
                Q = _matrix_exp(A)
            else:
                eye = _creation.eye(n, dtype=A.dtype)
                Q = solve(eye - 0.5 * A, eye + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if self._buffers.get("base") is not None:
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q):
        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                                 f"Got a tensor of shape {Q.shape}.")
            Q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if "base" not in self._buffers:
                raise NotImplementedError("orthogonal: assigning with use_trivialization=False is not supported by "
                                          "ember (it needs geqrf's reflectors)")
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:
                N = _creation.randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=Q.dtype)
                Q = _make_orthogonal(_cat(Q, N))
            self.base = Q
            neg_id = np.zeros(Q_init.shape, dtype=Q_init._data.dtype)
            idx = np.arange(min(neg_id.shape[-2:]))
            neg_id[..., idx, idx] = -1.0
            return _wrap(neg_id)


def _cat(a, b):
    return _wrap(np.concatenate([a._data, b._data], axis=-1))


def _cat_zeros(X, extra):
    zeros = _creation.zeros(*X.shape[:-1], extra, dtype=X.dtype)
    return cat([X, zeros], dim=-1)


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Keep ``module.<name>`` orthogonal (or with orthonormal rows/columns when not square).

    Example:
        >>> m = nn.utils.parametrizations.orthogonal(nn.Linear(5, 5))
        >>> (m.weight.T @ m.weight - ember.eye(5)).abs().max() < 1e-5
        tensor(True)
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    if orthogonal_map not in _MAPS:
        raise ValueError(f'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". Got: {orthogonal_map}')
    if not use_trivialization:
        raise NotImplementedError("orthogonal: use_trivialization=False is not supported by ember (it needs "
                                  "geqrf's reflectors); use the default use_trivialization=True")
    parametrize.register_parametrization(module, name, _Orthogonal(weight, orthogonal_map,
                                                                   use_trivialization=use_trivialization), unsafe=True)
    return module
