"""Matrix functions and decompositions: inv, det, slogdet, solve, solve_triangular, cholesky, eigh,
svd, qr — the differentiable cores behind ``ember.linalg``.

Every op works on a stack of matrices (the last two dimensions) in float32 or float64, as
PyTorch's do. A backward reads the formula in its docstring; under ``create_graph=True`` it
computes with the ops of this file on Tensors, so it can be differentiated again.
Notation: A^-T is the transposed inverse, g the incoming gradient, ∘ the elementwise product.

Layer: above the matrix products (linalg), diagonals and views.
"""
import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.function import Op
from ..autograd.xp import array_namespace
from .arithmetic import mul
from .diagonals import tril, triu
from .linalg import matmul
from .reduce import return_type

__all__ = ["inv", "det", "slogdet", "logdet", "solve", "solve_triangular", "cholesky", "eigh", "svd", "qr",
           "LinAlgError"]


class LinAlgError(RuntimeError):
    """A matrix the operation cannot handle (singular, not positive-definite, no convergence);
    ``torch.linalg.LinAlgError``, a RuntimeError."""


def _mT(x):
    return array_namespace(x).swapaxes(x, -1, -2)


def _mm(a, b):
    return array_namespace(a, b).matmul(a, b)


def _eye_like(a):
    values = a._data if isinstance(a, Tensor) else a
    return np.eye(values.shape[-1], dtype=values.dtype)


def _diag(d):
    """The diagonal matrices with d (..., k) on their diagonals."""
    return array_namespace(d).expand_dims(d, -1) * _eye_like(d)


def check_matrices(name, A, square=True):
    """Floating point, at least 2-d, square (when asked): PyTorch's checks and messages."""
    a = A._data
    if a.dtype.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {A.dtype}")
    if a.dtype == np.float16:
        raise RuntimeError(f"{name}: Low precision dtypes not supported. Got {A.dtype}")
    if a.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if square and a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices")


def _lapack(name, fn, *args, what="the input matrix is singular"):
    try:
        with np.errstate(all="ignore"):
            return fn(*args)
    except np.linalg.LinAlgError:
        raise LinAlgError(f"{name}: The solver failed because {what}.") from None


class Inv(Op):
    """Y = A^-1;  dL/dA = -Y^T g Y^T"""
    backward_name = "LinalgInvExBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a):
        out = _lapack("linalg.inv", np.linalg.inv, a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        y, = ctx.saved_tensors
        yt = _mT(y)
        return -_mm(yt, _mm(grad, yt))


def inv(A):
    """Inverse of a square matrix (or a stack of them).

    Example:
        >>> ember.linalg.inv(ember.tensor([[2.0, 0.0], [0.0, 4.0]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.2500]])
    """
    check_matrices("linalg.inv", A)
    return Inv.apply(A)


def _cofactor(a):
    """cof(A) = det(A) A^-T, from the SVD so that it also holds for singular A:
    A = U S Vh gives cof(A) = det(U) det(Vh) U diag(prod_{j != i} s_j) Vh."""
    u, s, vh = np.linalg.svd(a)
    n = s.shape[-1]
    ones = np.ones(s.shape[:-1] + (1,), s.dtype)
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], -1), -1)         # prod_{j < i} s_j
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], -1), -1)[..., ::-1]  # prod_{j > i} s_j
    others = before * after if n else s
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return (u * others[..., None, :]) @ vh * sign[..., None, None]


class Det(Op):
    """d = det(A);  dL/dA = g cof(A), the cofactor matrix (d A^-T when A is invertible)"""
    backward_name = "LinalgDetBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.asarray(np.linalg.det(a)).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        a, = ctx.saved_tensors
        xp = array_namespace(grad)
        g = xp.expand_dims(xp.expand_dims(grad, -1), -1)
        if isinstance(a, Tensor):           # create_graph: d A^-T, which records (needs A invertible)
            return g * mul(xp.expand_dims(xp.expand_dims(det(a), -1), -1), _mT(inv(a)))
        return g * _cofactor(a).astype(a.dtype, copy=False)


def det(A):
    """Determinant of a square matrix (or a stack of them).

    Example:
        >>> ember.linalg.det(ember.tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor(-2.)
    """
    check_matrices("linalg.det", A)
    return Det.apply(A)


class Slogdet(Op):
    """(sign, log|det A|);  dL/dA = g_logabsdet A^-T  (sign is piecewise constant)"""
    backward_name = "LinalgSlogdetBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a):
        sign, logabs = np.linalg.slogdet(a)
        sign, logabs = np.asarray(sign).astype(a.dtype), np.asarray(logabs).astype(a.dtype)
        ctx.save_for_backward(a)
        ctx.mark_non_differentiable(sign)
        return sign, logabs

    @staticmethod
    def backward(ctx, grad_sign, grad_logabs):
        a, = ctx.saved_tensors
        xp = array_namespace(grad_logabs)
        g = xp.expand_dims(xp.expand_dims(grad_logabs, -1), -1)
        a_inv_t = _mT(inv(a)) if isinstance(a, Tensor) else _mT(_lapack("linalg.slogdet", np.linalg.inv, a))
        return g * a_inv_t


def slogdet(A):
    """(sign, log|det A|) of a square matrix, stable where det itself under- or overflows.

    Example:
        >>> sign, logabsdet = ember.linalg.slogdet(ember.eye(3) * 10)
    """
    check_matrices("linalg.slogdet", A)
    return return_type("linalg_slogdet", ("sign", "logabsdet"))(*Slogdet.apply(A))


def logdet(A):
    """log det A: nan where the determinant is negative, -inf where it is zero (``torch.logdet``)."""
    check_matrices("logdet", A)
    sign, logabs = Slogdet.apply(A)
    return logabs + _wrap(np.where(sign._data < 0, np.nan, 0.0).astype(logabs._data.dtype))


class Solve(Op):
    """X = A^-1 B;  dL/dB = A^-T g,  dL/dA = -(dL/dB) X^T   (A and B share their batch shape)"""
    backward_name = "LinalgSolveExBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b):
        x = _lapack("linalg.solve", np.linalg.solve, a, b)
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        if isinstance(a, Tensor):
            gb = Solve.apply(_mT(a), grad)
        else:
            gb = _lapack("linalg.solve", np.linalg.solve, _mT(a), grad)
        ga = -_mm(gb, _mT(x)) if ctx.needs_input_grad[0] else None
        return ga, gb if ctx.needs_input_grad[1] else None


def _broadcast_batch(A, B):
    """A (..., n, n) and B (..., n, k) expanded to one batch shape (differentiably)."""
    batch = np.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    return A.expand(*batch, *A.shape[-2:]), B.expand(*batch, *B.shape[-2:])


def _as_matrix_rhs(name, A, B):
    """B as a stack of column blocks and whether it was a (batch of) vector(s), PyTorch's rule:
    B is a vector when it is 1-d or has exactly A's batch shape plus n."""
    if B._data.dtype != A._data.dtype:
        raise RuntimeError(f"{name}: Expected A and B to have the same dtype, but found A of type {A.dtype} "
                           f"and B of type {B.dtype} instead")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if vector:
        B = B.unsqueeze(-1)
    if B.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation AX = B "
                           f"({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})")
    return B, vector


def solve(A, B, *, left=True, out=None):
    """The X with A X = B (``left=False``: X A = B), without forming A^-1.

    Example:
        >>> A = ember.tensor([[3.0, 1.0], [1.0, 2.0]]); b = ember.tensor([9.0, 8.0])
        >>> ember.linalg.solve(A, b)
        tensor([2., 3.])
    """
    if out is not None:
        raise TypeError("linalg.solve: out= is not supported by ember; assign the result instead")
    check_matrices("linalg.solve", A)
    if not left:
        return _mT(solve(_mT(A), _mT(B)))
    B, vector = _as_matrix_rhs("linalg.solve", A, B)
    A, B = _broadcast_batch(A, B)
    x = Solve.apply(A, B)
    return x.squeeze(-1) if vector else x


def _triangle(a, upper, unitriangular):
    t = np.triu(a) if upper else np.tril(a)
    if unitriangular:
        t = t - np.triu(np.tril(t)) + _eye_like(a)
    return t


class SolveTriangular(Op):
    """X = T^-1 B for the triangle T of A;  dL/dB = T^-T g,  dL/dA = the same triangle of
    -(dL/dB) X^T (strictly inside it when the diagonal is taken as ones)"""
    backward_name = "LinalgSolveTriangularBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b, upper, unitriangular):
        x = _lapack("linalg.solve_triangular", np.linalg.solve, _triangle(a, upper, unitriangular), b)
        ctx.save_for_backward(a, x)
        ctx.upper, ctx.unit = upper, unitriangular
        return x

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        upper, unit = ctx.upper, ctx.unit
        if isinstance(a, Tensor):
            gb = SolveTriangular.apply(_mT(a), grad, not upper, unit)
            gm = -matmul(gb, _mT(x))
            ga = (triu(gm, int(unit)) if upper else tril(gm, -int(unit))) if ctx.needs_input_grad[0] else None
        else:
            gb = _lapack("linalg.solve_triangular", np.linalg.solve,
                         _mT(_triangle(a, upper, unit)), grad)
            gm = -(gb @ _mT(x))
            ga = (np.triu(gm, int(unit)) if upper else np.tril(gm, -int(unit))) if ctx.needs_input_grad[0] else None
        return ga, gb if ctx.needs_input_grad[1] else None


def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """X with T X = B for the upper or lower triangle T of A (the other half is not read).

    Example:
        >>> L = ember.tensor([[2.0, 0.0], [1.0, 1.0]])
        >>> ember.linalg.solve_triangular(L, ember.tensor([[2.0], [3.0]]), upper=False)
        tensor([[1.],
                [2.]])
    """
    if out is not None:
        raise TypeError("linalg.solve_triangular: out= is not supported by ember; assign the result instead")
    check_matrices("linalg.solve_triangular", A)
    if B.ndim < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 dimensions.")
    if not left:
        return _mT(solve_triangular(_mT(A), _mT(B), upper=not upper, unitriangular=unitriangular))
    B, _ = _as_matrix_rhs("linalg.solve_triangular", A, B)
    A, B = _broadcast_batch(A, B)
    return SolveTriangular.apply(A, B, bool(upper), bool(unitriangular))


class Cholesky(Op):
    """A = L L^T;  with P = Φ(L^T g) (Φ: lower triangle, diagonal halved) and S = L^-T P L^-1,
    dL/dA = (S + S^T) / 2"""
    backward_name = "LinalgCholeskyExBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a):
        out = _lapack("linalg.cholesky", np.linalg.cholesky, a, what="the input is not positive-definite")
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        L, = ctx.saved_tensors
        xp = array_namespace(grad)
        p = _mm(_mT(L), grad)
        if isinstance(L, Tensor):
            p = tril(p) - 0.5 * p * _eye_like(p)
            s = SolveTriangular.apply(_mT(L), _mT(SolveTriangular.apply(_mT(L), _mT(p), True, False)), True, False)
        else:
            p = np.tril(p) - 0.5 * p * _eye_like(p)
            lt = _mT(L)
            s = np.linalg.solve(lt, _mT(np.linalg.solve(lt, _mT(p))))
        return 0.5 * (s + xp.swapaxes(s, -1, -2))


def cholesky(A, *, upper=False, out=None):
    """The lower-triangular L with A = L L^T for a symmetric positive-definite A (``upper=True``: L^T).

    Example:
        >>> ember.linalg.cholesky(ember.tensor([[4.0, 2.0], [2.0, 5.0]]))
        tensor([[2., 0.],
                [1., 2.]])
    """
    if out is not None:
        raise TypeError("linalg.cholesky: out= is not supported by ember; assign the result instead")
    check_matrices("linalg.cholesky", A)
    L = Cholesky.apply(A)
    return _mT(L) if upper else L


def _off_diagonal_reciprocal(d, xp):
    """E_ij = 1 / (d_j - d_i) off the diagonal, 0 on it (d: (..., k) values)."""
    diff = xp.expand_dims(d, -2) - xp.expand_dims(d, -1)
    eye = _eye_like(d)
    with np.errstate(divide="ignore"):
        return xp.where(eye > 0, 0.0, 1.0 / (diff + eye))


class Eigh(Op):
    """A = V diag(w) V^T (symmetric A);  with G = V (diag(g_w) + E ∘ (V^T g_V)) V^T,
    E_ij = 1/(w_j - w_i) off the diagonal, 0 on it: dL/dA = (G + G^T) / 2 (A is symmetric)"""
    backward_name = "LinalgEighBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, uplo):
        w, v = _lapack("linalg.eigh", np.linalg.eigh, a, uplo, what="the algorithm failed to converge")
        ctx.save_for_backward(w, v)
        return w.astype(a.dtype, copy=False), v

    @staticmethod
    def backward(ctx, gw, gv):
        w, v = ctx.saved_tensors
        xp = array_namespace(gw, gv)
        inner = _off_diagonal_reciprocal(w, xp) * _mm(_mT(v), gv)
        inner = inner + _diag(gw)
        g = _mm(v, _mm(inner, _mT(v)))
        return 0.5 * (g + _mT(g))


def eigh(A, UPLO="L", *, out=None):
    """Eigenvalues (ascending) and orthonormal eigenvectors (columns) of a symmetric matrix,
    reading only its lower (``UPLO='L'``) or upper triangle.

    Example:
        >>> w, V = ember.linalg.eigh(ember.tensor([[2.0, 1.0], [1.0, 2.0]]))
        >>> w
        tensor([1., 3.])
    """
    if out is not None:
        raise TypeError("linalg.eigh: out= is not supported by ember; assign the result instead")
    check_matrices("linalg.eigh", A)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"linalg.eigh: Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))(*Eigh.apply(A, UPLO))


class Svd(Op):
    """A = U diag(s) Vh (reduced, k = min(m, n));  with F_ij = 1/(s_j^2 - s_i^2) off the diagonal,
    J = F ∘ (U^T g_U), K = F ∘ (V^T g_V):
    dL/dA = U [diag(g_s) + (J + J^T) S + S (K + K^T)] Vh
            + (I - U U^T) g_U S^-1 Vh + U S^-1 g_V^T (I - V V^T)"""
    backward_name = "LinalgSvdBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, full_matrices):
        u, s, vh = _lapack("linalg.svd", np.linalg.svd, a, full_matrices, what="the algorithm failed to converge")
        ctx.save_for_backward(u, s, vh)
        ctx.full = full_matrices
        return u, s.astype(a.dtype, copy=False), vh

    @staticmethod
    def backward(ctx, gu, gs, gvh):
        u, s, vh = ctx.saved_tensors
        xp = array_namespace(gu, gs, gvh)
        k = s.shape[-1]
        if ctx.full and (u.shape[-1] != k or vh.shape[-2] != k):
            raise RuntimeError("linalg.svd_backward: Setting full_matrices=True in forward is not supported "
                               "unless the matrices are square; use full_matrices=False")
        v, gv = _mT(vh), _mT(gvh)
        f = _off_diagonal_reciprocal(s * s, xp)
        j = f * _mm(_mT(u), gu)
        kk = f * _mm(_mT(v), gv)
        s_row = xp.expand_dims(s, -2)              # multiplies columns: X S
        s_col = xp.expand_dims(s, -1)              # multiplies rows: S X
        core = (j + _mT(j)) * s_row + s_col * (kk + _mT(kk))
        core = core + _diag(gs)
        ga = _mm(u, _mm(core, vh))
        m, n = u.shape[-2], vh.shape[-1]
        if m > k:      # the part of g_U outside U's column space
            gu_out = gu - _mm(u, _mm(_mT(u), gu))
            ga = ga + _mm(gu_out / s_row, vh)
        if n > k:
            gv_out = gv - _mm(v, _mm(_mT(v), gv))
            ga = ga + _mm(u / s_row, _mT(gv_out))
        return ga


def svd(A, full_matrices=True, *, driver=None, out=None):
    """Singular value decomposition A = U diag(S) Vh, S descending.

    Example:
        >>> U, S, Vh = ember.linalg.svd(ember.tensor([[3.0, 0.0], [0.0, -2.0]]))
        >>> S
        tensor([3., 2.])
    """
    if out is not None or driver is not None:
        raise TypeError("linalg.svd: out= and driver= are not supported by ember")
    check_matrices("linalg.svd", A, square=False)
    return return_type("linalg_svd", ("U", "S", "Vh"))(*Svd.apply(A, bool(full_matrices)))


class Qr(Op):
    """A = Q R (reduced, m >= n);  with M = R g_R^T - g_Q^T Q and copyltu(M) = tril(M) + tril(M, -1)^T:
    dL/dA = (g_Q + Q copyltu(M)) R^-T"""
    backward_name = "LinalgQrBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, mode):
        q, r = np.linalg.qr(a, mode=mode)
        ctx.save_for_backward(q, r)
        ctx.mode = mode
        return q, r

    @staticmethod
    def backward(ctx, gq, gr):
        q, r = ctx.saved_tensors
        m, n = q.shape[-2], r.shape[-1]
        if ctx.mode == "complete" and m > n or m < n:
            raise RuntimeError("linalg.qr_backward: The derivative of linalg.qr is only implemented when "
                               "mode='reduced' and nrows >= ncols (or mode='complete' on square input)")
        xp = array_namespace(gq, gr)
        mm = _mm(r, _mT(gr)) - _mm(_mT(gq), q)
        if xp.graph:
            low = tril(mm, -1)
            copyltu = low + _mT(low) + mm * _eye_like(mm)
            return _mT(SolveTriangular.apply(r, _mT(gq + _mm(q, copyltu)), True, False))
        low = np.tril(mm, -1)
        copyltu = low + _mT(low) + mm * _eye_like(mm)
        return _mT(np.linalg.solve(np.triu(r), _mT(gq + q @ copyltu)))


def qr(A, mode="reduced", *, out=None):
    """QR decomposition: Q with orthonormal columns, R upper-triangular (``mode``: 'reduced',
    'complete' or 'r').

    Example:
        >>> Q, R = ember.linalg.qr(ember.randn(4, 3))
    """
    if out is not None:
        raise TypeError("linalg.qr: out= is not supported by ember; assign the result instead")
    check_matrices("linalg.qr", A, square=False)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
                           "'r', or 'complete'")
    if mode == "r":
        q, r = Qr.apply(A, "reduced")
        return return_type("linalg_qr", ("Q", "R"))(_wrap(np.empty((0,), A._data.dtype)), r)
    return return_type("linalg_qr", ("Q", "R"))(*Qr.apply(A, mode))
