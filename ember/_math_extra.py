"""PyTorch's smaller top-level math functions, composed from ember's ops (so they are
differentiable through them): ``matrix_exp``, ``renorm``, ``cholesky_solve``/``cholesky_inverse``,
``nuclear_norm``/``frobenius_norm``, ``gradient``, ``histogram``, ``frexp``, ``unravel_index``, the bit
shifts, and the ``*_copy`` forms of the view functions (a view's values as a new tensor).

Example:
    >>> ember.matrix_exp(ember.zeros(2, 2))
    tensor([[1., 0.],
            [0., 1.]])
"""
import math
import numbers
import warnings

import numpy as np

from . import _dtype, linalg, ops
from ._creation import linspace, tensor
from ._tensor import Tensor, _wrap
from .ops.reduce import return_type
from .ops.windowed_views import tensor_unfold


def _require_float(name, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    if not x.is_floating_point():
        raise RuntimeError(f"{name}: expected a floating point tensor, got {x.dtype}; convert with .float()")


# -- matrices ---------------------------------------------------------------------------------------
def matrix_exp(input):
    """exp(A) = sum_k A^k / k! of each square matrix in the last two dims, by scaling and squaring:
    exp(A) = exp(A / 2^s)^(2^s) with ||A / 2^s||_1 <= 1/2 and an 18-term Taylor sum (float64
    round-off); differentiable through its products.

    Example: ``ember.matrix_exp(ember.tensor([[0., 1.], [0., 0.]]))`` is ``[[1., 1.], [0., 1.]]``."""
    _require_float("matrix_exp", input)
    if input.ndim < 2 or input.shape[-1] != input.shape[-2]:
        raise RuntimeError(f"matrix_exp: expected a tensor of square matrices, got shape {tuple(input.shape)}")
    if input.numel() == 0:
        return input.clone()
    norm = float(np.abs(input._data).sum(-2).max()) if input.numel() else 0.0
    s = max(0, int(math.ceil(math.log2(norm / 0.5)))) if norm > 0.5 else 0
    a = ops.div(input, float(2 ** s)) if s else input
    eye = ops.expand(tensor(np.eye(input.shape[-1], dtype=input._data.dtype)), *input.shape)
    term, out = eye, eye
    for k in range(1, 19):
        term = ops.div(ops.matmul(term, a), float(k))
        out = ops.add(out, term)
    for _ in range(s):
        out = ops.matmul(out, out)
    return out


def cholesky_solve(input, input2, upper=False):
    """X with A X = ``input`` where A = L L^T (``input2`` = L, lower) or U^T U (``upper=True``); only
    that triangle of ``input2`` is read. The gradient is PyTorch's, that of solve(L L^T, B) in
    every entry of L.

    Example: ``ember.cholesky_solve(b, ember.linalg.cholesky(A))`` solves A x = b."""
    _require_float("cholesky_solve", input)
    return linalg.solve(_gram(input2, upper), input)


def _gram(factor, upper):
    """A = L L^T or U^T U from the factor's triangle (the other half's values are not read, but the
    gradient reaches every entry, as PyTorch's)."""
    tri = ops.triu(factor) if upper else ops.tril(factor)
    f = ops.sub(factor, ops.sub(factor, tri).detach())
    ft = ops.transpose(f, -2, -1)
    return ops.matmul(ft, f) if upper else ops.matmul(f, ft)


def cholesky_inverse(input, upper=False):
    """The inverse of A = L L^T (``input`` = L, lower) or U^T U (``upper=True``) from its Cholesky factor."""
    _require_float("cholesky_inverse", input)
    return linalg.inv(_gram(input, upper))


def nuclear_norm(input, dim=None, keepdim=False):
    """Deprecated (warns, as PyTorch; use ``linalg.matrix_norm(A, 'nuc')``): the sum of singular values
    of the last two dims, or of ``dim`` (two dims). A bool second argument is ``keepdim``."""
    warnings.warn("at::nuclear_norm is deprecated and it is just left for JIT compatibility. It will be removed in "
                  "a future PyTorch release. Please use `linalg.matrix_norm(A, 'nuc', dim, keepdim)` instead",
                  UserWarning, stacklevel=2)
    if isinstance(dim, bool):
        dim, keepdim = None, dim
    if dim is None:
        if input.ndim != 2:
            raise RuntimeError(f"nuclear_norm: expected a 2D tensor, but got a {input.ndim}D tensor; pass dim= "
                               "for batches")
        dim = (0, 1)
    return linalg.matrix_norm(input, "nuc", tuple(dim), keepdim)


def frobenius_norm(input, dim, keepdim=False):
    """Deprecated (warns, as PyTorch; use ``linalg.vector_norm``): sqrt(sum x^2) over ``dim`` (one or two dims)."""
    warnings.warn("at::frobenius_norm is deprecated and it is just left for JIT compatibility. It will be removed "
                  "in a future PyTorch release. Please use `linalg.vector_norm(A, 2., dim, keepdim)` instead",
                  UserWarning, stacklevel=2)
    dim = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    if len(dim) > 2:
        raise RuntimeError(f"frobenius_norm: expected at most 2 dimensions, but got {len(dim)}")
    return linalg.vector_norm(input, 2, dim, keepdim)


def renorm(input, p, dim, maxnorm):
    """Each slice ``input.select(dim, i)`` whose ``p``-norm exceeds ``maxnorm`` scaled down to norm
    ``maxnorm`` (factor maxnorm / (norm + 1e-7), as PyTorch); the others unchanged.

    Example: ``ember.renorm(ember.ones(2, 4), 2, 0, 1.0)`` gives rows of norm 1."""
    _require_float("renorm", input)
    if p <= 0:
        raise RuntimeError(f"renorm: non-positive-norm not supported (p={p})")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions")
    d = dim % input.ndim
    others = tuple(i for i in range(input.ndim) if i != d)
    norm = linalg.vector_norm(input, p, others, True)
    factor = ops.where(ops.gt(norm, maxnorm), ops.div(maxnorm, ops.add(norm, 1e-7)), 1.0)
    return ops.mul(input, factor)


# -- numerical gradient --------------------------------------------------------------------------
def _grad_along(f, d, h, edge_order):
    """Central differences of ``f`` along dim ``d``; ``h`` a number (uniform spacing) or a 1-d
    coordinates tensor; one-sided first or second order at the two ends."""
    n = f.shape[d]

    def part(start, length):
        return ops.narrow(f, d, start, length)

    if isinstance(h, Tensor):
        shape = [1] * f.ndim
        shape[d] = n

        def c(start, length):
            return ops.reshape(ops.narrow(h, 0, start, length), *shape[:d], length, *shape[d + 1:])
        hs, hd = ops.sub(c(1, n - 2), c(0, n - 2)), ops.sub(c(2, n - 2), c(1, n - 2))
        interior = ops.div(ops.add(ops.sub(ops.mul(ops.square(hs), part(2, n - 2)),
                                           ops.mul(ops.square(hd), part(0, n - 2))),
                                   ops.mul(ops.sub(ops.square(hd), ops.square(hs)), part(1, n - 2))),
                           ops.mul(ops.mul(hs, hd), ops.add(hd, hs)))
        if edge_order == 1:
            first = ops.div(ops.sub(part(1, 1), part(0, 1)), ops.sub(c(1, 1), c(0, 1)))
            last = ops.div(ops.sub(part(n - 1, 1), part(n - 2, 1)), ops.sub(c(n - 1, 1), c(n - 2, 1)))
        else:
            dx1, dx2 = ops.sub(c(1, 1), c(0, 1)), ops.sub(c(2, 1), c(1, 1))
            s = ops.add(dx1, dx2)
            first = ops.add(ops.add(ops.mul(ops.neg(ops.div(ops.add(ops.mul(dx1, 2.0), dx2), ops.mul(dx1, s))), part(0, 1)),
                                    ops.mul(ops.div(s, ops.mul(dx1, dx2)), part(1, 1))),
                            ops.mul(ops.neg(ops.div(dx1, ops.mul(dx2, s))), part(2, 1)))
            dx1, dx2 = ops.sub(c(n - 2, 1), c(n - 3, 1)), ops.sub(c(n - 1, 1), c(n - 2, 1))
            s = ops.add(dx1, dx2)
            last = ops.add(ops.add(ops.mul(ops.div(dx2, ops.mul(dx1, s)), part(n - 3, 1)),
                                   ops.mul(ops.neg(ops.div(s, ops.mul(dx1, dx2))), part(n - 2, 1))),
                           ops.mul(ops.div(ops.add(ops.mul(dx2, 2.0), dx1), ops.mul(dx2, s)), part(n - 1, 1)))
        return ops.cat([first, interior, last], d)
    interior = ops.div(ops.sub(part(2, n - 2), part(0, n - 2)), 2.0 * h)
    if edge_order == 1:
        first = ops.div(ops.sub(part(1, 1), part(0, 1)), h)
        last = ops.div(ops.sub(part(n - 1, 1), part(n - 2, 1)), h)
    else:
        first = ops.div(ops.add(ops.sub(ops.mul(part(1, 1), 2.0), ops.mul(part(0, 1), 1.5)),
                                ops.mul(part(2, 1), -0.5)), h)
        last = ops.div(ops.add(ops.sub(ops.mul(part(n - 3, 1), 0.5), ops.mul(part(n - 2, 1), 2.0)),
                               ops.mul(part(n - 1, 1), 1.5)), h)
    return ops.cat([first, interior, last], d)


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """The numerical gradient of ``input`` along each of ``dim`` (all dims by default), as a tuple:
    central differences inside, one-sided differences of order ``edge_order`` (1 or 2) at the ends.
    ``spacing``: one number for every dim, a number per dim, or a 1-d coordinates tensor per dim.

    Example: ``ember.gradient(ember.tensor([1., 4., 9.]))`` is ``(tensor([3., 4., 5.]),)``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"gradient(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if edge_order not in (1, 2):
        raise RuntimeError(f"torch.gradient only supports edge_order=1 and edge_order=2, got {edge_order}")
    dims = list(range(input.ndim)) if dim is None else [dim] if isinstance(dim, numbers.Integral) else list(dim)
    dims = [d % input.ndim for d in dims]
    if isinstance(spacing, (list, tuple)):
        spacing = list(spacing)
        if len(spacing) != len(dims):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or its length to "
                               f"match the number of dimensions ({len(dims)}), got {len(spacing)} values")
    else:
        spacing = [spacing] * len(dims)
    out = []
    for d, h in zip(dims, spacing):
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
        if isinstance(h, Tensor):
            if h.ndim != 1 or h.shape[0] != input.shape[d]:
                raise RuntimeError(f"torch.gradient expected each tensor to be on the same device and each "
                                   f"coordinates tensor 1-d of the dim's size {input.shape[d]}, got shape "
                                   f"{tuple(h.shape)}")
            if h.dtype != input.dtype:
                h = h.to(input.dtype)
        elif not isinstance(h, numbers.Number):
            raise TypeError(f"gradient(): spacing must be a number, numbers or 1-d tensors, got {type(h).__name__}")
        out.append(_grad_along(input, d, h, edge_order))
    return tuple(out)


# -- histograms, frexp, unravel_index -------------------------------------------------------------
def histogram(input, bins=100, *, range=None, weight=None, density=False):
    """Counts (or summed ``weight``) of ``input``'s values in ``bins`` (a count of equal bins over
    ``range``, default min..max, or a 1-d tensor of increasing edges); the last bin includes its
    right edge. Returns ``(hist, bin_edges)``, both of input's dtype.

    Example: ``ember.histogram(ember.tensor([1., 2., 1.]), bins=4, range=(0., 3.)).hist``
    is ``tensor([0., 2., 1., 0.])``."""
    _require_float("histogram", input)
    data = input._data.reshape(-1)
    if isinstance(bins, Tensor):
        if range is not None:
            raise TypeError("histogram(): range= goes with a number of bins, not with a tensor of bin edges")
        edges = bins._data.astype(input._data.dtype)
    else:
        if not isinstance(bins, numbers.Integral) or bins <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins}")
        lo, hi = (float(data.min()), float(data.max())) if range is None and data.size else \
            (0.0, 0.0) if range is None else (float(range[0]), float(range[1]))
        if lo > hi:
            raise RuntimeError(f"torch.histogram(): min should not exceed max, but got min {lo} max {hi}")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges = linspace(lo, hi, int(bins) + 1, dtype=input.dtype)._data
    w = None if weight is None else weight._data.reshape(-1)
    hist, _ = np.histogram(data, bins=edges, weights=w, density=density)
    return return_type("histogram", ("hist", "bin_edges"))(_wrap(hist.astype(input._data.dtype)),
                                                          _wrap(np.array(edges, copy=True)))


def frexp(input):
    """``(mantissa, exponent)`` with input = mantissa * 2^exponent, |mantissa| in [0.5, 1) (0 for 0);
    exponent is int32."""
    _require_float("frexp", input)
    m, e = np.frexp(input._data)
    return return_type("frexp", ("mantissa", "exponent"))(_wrap(m), _wrap(e.astype(np.int32)))


def unravel_index(indices, shape):
    """The coordinates in ``shape`` of each flat index, as one int64 tensor per dim (indices wrap
    Python-style, as PyTorch: -1 is the last element).

    Example: ``ember.unravel_index(ember.tensor([4, 1]), (2, 3))`` is ``(tensor([1, 0]), tensor([1, 1]))``."""
    if isinstance(indices, Tensor):
        if indices.dtype.np.kind not in "iu":
            raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
        idx = indices._data.astype(np.int64)
    elif isinstance(indices, numbers.Integral) and not isinstance(indices, bool):
        idx = np.array(int(indices), dtype=np.int64)
    else:
        raise TypeError(f"expected 'indices' to be an integer tensor, got {type(indices).__name__}")
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    out = []
    for s in reversed(shape):
        out.append(_wrap(np.mod(idx, s) if s else np.zeros_like(idx)))
        idx = np.floor_divide(idx, s) if s else idx
    return tuple(reversed(out))


# -- bit shifts ------------------------------------------------------------------------------------
def _shift(name, input, other, left):
    a = input if isinstance(input, Tensor) else tensor(input)
    b = other._data if isinstance(other, Tensor) else other
    from_dtype = _dtype.result_type(a._data, b if isinstance(other, Tensor) else other)
    if np.dtype(from_dtype).kind not in "iub":
        raise NotImplementedError(f"{name}: bit shifts need integer tensors, got {np.dtype(from_dtype).name}")
    x = a._data.astype(from_dtype)
    s = np.asarray(b).astype(np.int64)
    bits = np.dtype(from_dtype).itemsize * 8
    big = (s < 0) | (s >= bits)
    safe = np.where(big, 0, s).astype(x.dtype)
    if left:
        out = np.where(big, 0, np.left_shift(x, safe))
    else:
        out = np.where(big, np.where(x < 0, -1, 0), np.right_shift(x, safe))
    return _wrap(np.asarray(out).astype(from_dtype))


def bitwise_left_shift(input, other):
    """``input << other`` elementwise (integers); shifting by the bit width or more gives 0."""
    return _shift("bitwise_left_shift", input, other, True)


def bitwise_right_shift(input, other):
    """``input >> other`` elementwise (integers, arithmetic: negatives stay negative)."""
    return _shift("bitwise_right_shift", input, other, False)


# -- the *_copy forms: a view's values as a new tensor (gradient as the view's) ---------------------
def _copy_of(view_fn, name):
    def f(input, *args, **kwargs):
        out = view_fn(input, *args, **kwargs)
        if isinstance(out, (list, tuple)):
            return type(out)(ops.clone(o) for o in out) if isinstance(out, tuple) else [ops.clone(o) for o in out]
        return ops.clone(out)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"``ember.{name}``: the result of ``{name[:-5]}`` as a new tensor (not a view of input)."
    return f


def _view_copy(input, size):
    if isinstance(size, _dtype.dtype):
        raise NotImplementedError("view_copy(input, dtype): reinterpreting bytes as another dtype is not "
                                  "supported by ember; use .to(dtype) to convert values")
    return ops.view(input, size)


def _expand(input, size, *, implicit=False):
    return ops.expand(input, *size)


def _slice(input, dim=0, start=None, end=None, step=1):
    key = [slice(None)] * input.ndim
    key[dim % input.ndim] = slice(start, end, step)
    return input[tuple(key)]


permute_copy = _copy_of(lambda x, dims: ops.permute(x, *dims), "permute_copy")
view_copy = _copy_of(_view_copy, "view_copy")
t_copy = _copy_of(ops.t, "t_copy")
transpose_copy = _copy_of(ops.transpose, "transpose_copy")
squeeze_copy = _copy_of(ops.squeeze, "squeeze_copy")
unsqueeze_copy = _copy_of(ops.unsqueeze, "unsqueeze_copy")
expand_copy = _copy_of(_expand, "expand_copy")
diagonal_copy = _copy_of(ops.diagonal, "diagonal_copy")
select_copy = _copy_of(ops.select, "select_copy")
slice_copy = _copy_of(_slice, "slice_copy")
split_copy = _copy_of(ops.split, "split_copy")
split_with_sizes_copy = _copy_of(ops.split_with_sizes, "split_with_sizes_copy")
unbind_copy = _copy_of(ops.unbind, "unbind_copy")
detach_copy = _copy_of(lambda x: x.detach(), "detach_copy")
alias_copy = _copy_of(lambda x: x, "alias_copy")
unfold_copy = _copy_of(tensor_unfold, "unfold_copy")
narrow_copy = _copy_of(ops.narrow, "narrow_copy")


def unsafe_split(input, split_size, dim=0):
    """``split`` (ember's results need no unsafe variant: views are tracked either way)."""
    return ops.split(input, split_size, dim)


def unsafe_chunk(input, chunks, dim=0):
    """``chunk`` (ember's results need no unsafe variant: views are tracked either way)."""
    return ops.chunk(input, chunks, dim)


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    """``split_with_sizes``."""
    return ops.split_with_sizes(input, split_sizes, dim)


__all__ = [n for n, v in list(globals().items()) if not n.startswith("_") and callable(v)
           and getattr(v, "__module__", None) == __name__]
