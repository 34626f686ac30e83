"""``ember.linalg``: PyTorch's ``torch.linalg`` — norms, inverses, solves and decompositions.

The differentiable cores (inv, det, slogdet, solve, solve_triangular, cholesky, eigh, svd, qr)
live with their gradient formulas in ``ember.ops.decompositions``; this module composes them
into the rest of the namespace (norms, pinv, matrix_rank, matrix_power, ...), so gradients of
everything here come from those cores and the elementwise ops.

Example:
    >>> A = ember.tensor([[4.0, 1.0], [2.0, 3.0]], requires_grad=True)
    >>> ember.linalg.det(A)
    tensor(10., grad_fn=<LinalgDetBackward0>)
    >>> ember.linalg.norm(A)                 # Frobenius
    tensor(5.4772, grad_fn=<LinalgVectorNormBackward0>)
"""
import numpy as np

from ._dtype import int64
from ._tensor import _wrap
from .ops import linalg as _products
from .ops.decompositions import (LinAlgError, check_matrices, cholesky, det, eigh, inv, qr, slogdet,  # noqa: F401
                                 solve, solve_triangular, svd)
from .ops.reduce import norm as _p_norm, return_type
from .ops.views import movedim

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eigh", "eigvalsh", "inv",
           "inv_ex", "matmul", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr",
           "slogdet", "solve", "solve_triangular", "svd", "svdvals", "vecdot", "vector_norm"]

matmul = _products.matmul
_NOT_IMPLEMENTED = {"eig", "eigvals", "householder_product", "ldl_factor", "ldl_factor_ex", "ldl_solve", "lstsq",
                    "lu", "lu_factor", "lu_factor_ex", "lu_solve", "matrix_exp", "solve_ex", "tensorinv",
                    "tensorsolve", "vander"}


def __getattr__(name):
    if name in _NOT_IMPLEMENTED:
        raise NotImplementedError(f"torch.linalg.{name} is not implemented in ember (complex results or "
                                  f"rarely used factorizations); ember.linalg has: {', '.join(__all__)}")
    raise AttributeError(f"module 'ember.linalg' has no attribute '{name}'")


def _floating(name, x):
    if x._data.dtype.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {x.dtype}")


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    """The p-norm of ``x`` as a vector (all elements, or along ``dim``): (sum |x|^ord)^(1/ord);
    ``ord`` = inf / -inf gives max / min |x|, 0 the count of non-zeros.

    Example:
        >>> ember.linalg.vector_norm(ember.tensor([3.0, -4.0]))
        tensor(5.)
    """
    if out is not None:
        raise TypeError("linalg.vector_norm: out= is not supported by ember; assign the result instead")
    _floating("linalg.vector_norm", x)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got '{ord}'; use linalg.matrix_norm "
                           "for 'fro' and 'nuc'")
    return _p_norm(x, float(ord), dim, keepdim, dtype)


def _matrix_dims(name, A, dim):
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if not (isinstance(dim, (tuple, list)) and len(dim) == 2):
        raise RuntimeError(f"{name}: dim must be a 2-tuple. Got {dim}")
    d0, d1 = (d % A.ndim for d in dim)
    if d0 == d1:
        raise RuntimeError(f"{name}: dims must be different. Got ({dim[0]}, {dim[1]})")
    return d0, d1


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    """A matrix norm over the two dimensions ``dim``: 'fro' (Frobenius), 'nuc' (sum of singular
    values), 2 / -2 (largest / smallest singular value), 1 / -1 (max / min column sum of |A|),
    inf / -inf (max / min row sum of |A|).

    Example:
        >>> ember.linalg.matrix_norm(ember.tensor([[1.0, -2.0], [3.0, 4.0]]), ord=1)
        tensor(6.)
    """
    if out is not None:
        raise TypeError("linalg.matrix_norm: out= is not supported by ember; assign the result instead")
    _floating("linalg.matrix_norm", A)
    d0, d1 = _matrix_dims("linalg.matrix_norm", A, dim)
    if dtype is not None:
        A = A.to(dtype)
    if ord == "fro":
        return _p_norm(A, 2.0, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        s = svdvals(movedim(A, (d0, d1), (-2, -1)))
        r = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
        return r.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1)) if keepdim else r
    if ord in (1, -1, float("inf"), float("-inf")):
        summed, over = (d0, d1) if ord in (1, -1) else (d1, d0)   # 1: column sums; inf: row sums
        sums = A.abs().sum(summed, keepdim=True)
        r = sums.amax(over, keepdim=True) if ord > 0 else sums.amin(over, keepdim=True)
        return r if keepdim else r.squeeze((d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """A vector or matrix norm, as ``torch.linalg.norm`` decides: an int ``dim`` (or no ``dim`` and
    no ``ord``) gives a vector norm, a 2-tuple ``dim`` (or a 2-d input with ``ord``) a matrix norm.

    Example:
        >>> ember.linalg.norm(ember.tensor([[1.0, 2.0], [2.0, 4.0]]))
        tensor(5.)
    """
    if out is not None:
        raise TypeError("linalg.norm: out= is not supported by ember; assign the result instead")
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if dim is None and ord is not None:
        if A.ndim == 2:
            return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
        if A.ndim != 1:
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                               f"Got {A.ndim}D.")
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.norm: ord '{ord}' needs a matrix: pass a 2-tuple dim or a 2-d input")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def svdvals(A, *, driver=None, out=None):
    """The singular values of ``A``, descending.

    Example:
        >>> ember.linalg.svdvals(ember.tensor([[3.0, 0.0], [0.0, -2.0]]))
        tensor([3., 2.])
    """
    if out is not None or driver is not None:
        raise TypeError("linalg.svdvals: out= and driver= are not supported by ember")
    return svd(A, full_matrices=False).S


def eigvalsh(A, UPLO="L", *, out=None):
    """The eigenvalues of a symmetric matrix, ascending.

    Example:
        >>> ember.linalg.eigvalsh(ember.tensor([[2.0, 1.0], [1.0, 2.0]]))
        tensor([1., 3.])
    """
    return eigh(A, UPLO, out=out).eigenvalues


def _tolerance(name, s, shape, atol, rtol):
    """PyTorch's cut-off for 'zero' singular values: max(atol, rtol * largest), rtol defaulting to
    eps * max(m, n) when neither is given."""
    eps = float(np.finfo(s._data.dtype).eps)
    if rtol is None:
        rtol = eps * max(shape[-2:]) if atol is None or (not hasattr(atol, "shape") and atol == 0) else 0.0
    largest = s.amax(-1, keepdim=True) if s.shape[-1] else s.sum(-1, keepdim=True)
    tol = largest * rtol
    if atol is not None:
        tol = tol.clamp(min=atol) if not hasattr(atol, "shape") else tol.maximum(atol.unsqueeze(-1))
    return tol


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """The Moore–Penrose pseudo-inverse, from the SVD with singular values at or below the
    tolerance treated as zero.

    Example:
        >>> ember.linalg.pinv(ember.tensor([[1.0, 2.0], [2.0, 4.0]]))
        tensor([[0.0400, 0.0800],
                [0.0800, 0.1600]])
    """
    if out is not None:
        raise TypeError("linalg.pinv: out= is not supported by ember; assign the result instead")
    check_matrices("linalg.pinv", A, square=hermitian)
    U, S, Vh = svd(A, full_matrices=False)
    keep = S > _tolerance("linalg.pinv", S, A.shape, atol, rtol)
    s_inv = (1 / S.masked_fill(~keep, 1.0)).masked_fill(~keep, 0.0)
    return Vh.mT @ (s_inv.unsqueeze(-1) * U.mT)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """The number of singular values above the tolerance (int64).

    Example:
        >>> ember.linalg.matrix_rank(ember.tensor([[1.0, 2.0], [2.0, 4.0]]))
        tensor(1)
    """
    if out is not None:
        raise TypeError("linalg.matrix_rank: out= is not supported by ember; assign the result instead")
    check_matrices("linalg.matrix_rank", A, square=hermitian)
    S = svdvals(A.detach())
    return (S > _tolerance("linalg.matrix_rank", S, A.shape, atol, rtol)).sum(-1).to(int64)


def matrix_power(A, n, *, out=None):
    """A multiplied by itself ``n`` times (``n`` < 0: the inverse's power; 0: the identity).

    Example:
        >>> ember.linalg.matrix_power(ember.tensor([[1.0, 1.0], [0.0, 1.0]]), 3)
        tensor([[1., 3.],
                [0., 1.]])
    """
    if out is not None:
        raise TypeError("linalg.matrix_power: out= is not supported by ember; assign the result instead")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"linalg.matrix_power: n must be an int, got {type(n).__name__}")
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but got shape "
                           f"{tuple(A.shape)}")
    if n == 0:
        return _wrap(np.broadcast_to(np.eye(A.shape[-1], dtype=A._data.dtype), A.shape).copy())
    if n < 0:
        A, n = inv(A), -n
    result, base = None, A
    while n:                     # binary powering: log2(n) squarings
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


def multi_dot(tensors, *, out=None):
    """The product of a list of matrices (a 1-d first or last one as a row or column vector).

    Example:
        >>> ember.linalg.multi_dot([ember.ones(2, 3), ember.ones(3, 4), ember.ones(4)])
        tensor([12., 12.])
    """
    if out is not None:
        raise TypeError("linalg.multi_dot: out= is not supported by ember; assign the result instead")
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    for i, t in enumerate(tensors):
        if t.ndim != 2 and not (t.ndim == 1 and i in (0, len(tensors) - 1)):
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D (the first and last may be 1D) but got "
                               f"{t.ndim}D")
    result = tensors[0]
    for t in tensors[1:]:
        result = result @ t
    return result


def vecdot(x, y, *, dim=-1, out=None):
    """The dot product of ``x`` and ``y`` along ``dim`` (broadcasting the rest).

    Example:
        >>> ember.linalg.vecdot(ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0]))
        tensor(11.)
    """
    if out is not None:
        raise TypeError("linalg.vecdot: out= is not supported by ember; assign the result instead")
    return (x * y).sum(dim)


def cross(input, other, *, dim=-1, out=None):
    """The cross product of 3-vectors along ``dim`` (default the last)."""
    if out is not None:
        raise TypeError("linalg.cross: out= is not supported by ember; assign the result instead")
    return _products.cross(input, other, dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonals of a stack of matrices (``torch.diagonal`` with matrix defaults)."""
    return A.diagonal(offset, dim1, dim2)


def cond(A, p=None, *, out=None):
    """The condition number: ratio of the largest to smallest singular value (``p`` None or 2), or
    ||A||_p ||A^-1||_p for the other matrix norms.

    Example:
        >>> ember.linalg.cond(ember.tensor([[2.0, 0.0], [0.0, 0.5]]))
        tensor(4.)
    """
    if out is not None:
        raise TypeError("linalg.cond: out= is not supported by ember; assign the result instead")
    if p in (None, 2, -2):
        s = svdvals(A)
        return s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


def _ex(name, field, fn, A, check_errors):
    """(result, info): info 0 on success; on failure NaNs and info 1 (``check_errors=True``: raise)."""
    try:
        value = fn(A)
        info = np.zeros(A.shape[:-2], np.int32)
    except LinAlgError:
        if check_errors:
            raise
        value = _wrap(np.full(A.shape, np.nan, A._data.dtype))
        info = np.ones(A.shape[:-2], np.int32)
    return return_type(name, (field, "info"))(value, _wrap(info))


def inv_ex(A, *, check_errors=False, out=None):
    """(inverse, info): like ``inv`` but reports a singular matrix in ``info`` instead of raising."""
    check_matrices("linalg.inv_ex", A)
    return _ex("linalg_inv_ex", "inverse", inv, A, check_errors)


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """(L, info): like ``cholesky`` but reports a matrix that is not positive-definite in ``info``."""
    check_matrices("linalg.cholesky_ex", A)
    return _ex("linalg_cholesky_ex", "L", lambda a: cholesky(a, upper=upper), A, check_errors)


# -- the top-level forms (torch.inverse, torch.det, torch.svd, ...) ---------------------------------

def inverse(input):
    """``torch.inverse``: the same as ``linalg.inv``."""
    return inv(input)


def pinverse(input, rcond=1e-15):
    """``torch.pinverse``: the pseudo-inverse with singular values below ``rcond`` times the largest
    treated as zero."""
    return pinv(input, rtol=rcond)


def logdet(input):
    """``torch.logdet``: log det A (nan for a negative determinant, -inf for a zero one)."""
    from .ops.decompositions import logdet as _logdet
    return _logdet(input)


def legacy_cholesky(input, upper=False):
    """``torch.cholesky(A, upper=False)``, the older form of ``linalg.cholesky``."""
    return cholesky(input, upper=upper)


def legacy_svd(input, some=True, compute_uv=True):
    """``torch.svd``: (U, S, V) with V (not Vh); ``some=False`` gives the full U and V."""
    U, S, Vh = svd(input, full_matrices=not some)
    if not compute_uv:
        return return_type("svd", ("U", "S", "V"))(_wrap(np.zeros_like(U._data)), S, _wrap(np.zeros_like(Vh._data)))
    return return_type("svd", ("U", "S", "V"))(U, S, Vh.mT)


def legacy_qr(input, some=True):
    """``torch.qr``: (Q, R), reduced unless ``some=False``."""
    Q, R = qr(input, "reduced" if some else "complete")
    return return_type("qr", ("Q", "R"))(Q, R)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matrices with the last dimension of ``input`` on their diagonals (offset 0, last two dims)."""
    if (offset, dim1, dim2) != (0, -2, -1):
        raise NotImplementedError("ember.diag_embed supports offset=0, dim1=-2, dim2=-1 only; build other "
                                  "layouts with movedim")
    return input.unsqueeze(-1) * _wrap(np.eye(input.shape[-1], dtype=input._data.dtype))


def dist(input, other, p=2):
    """``torch.dist``: the p-norm of ``input - other``."""
    return vector_norm(input - other, p)


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Pairwise p-norm distances between the rows of ``x1`` (..., P, M) and ``x2`` (..., R, M):
    a (..., P, R) tensor.

    Example:
        >>> ember.cdist(ember.tensor([[0.0, 0.0]]), ember.tensor([[3.0, 4.0], [0.0, 1.0]]))
        tensor([[5., 1.]])
    """
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"cdist: X1 and X2 must have the same number of columns and at least 2 dimensions; "
                           f"got shapes {tuple(x1.shape)} and {tuple(x2.shape)}")
    return vector_norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), p, -1)
