"""PyTorch's smaller shape, stacking and matrix-product functions, composed from the core families.

- differences and rotations: ``diff``, ``rot90``, ``diagflat``
- splitting and stacking: ``split_with_sizes``, ``hsplit/vsplit/dsplit``, ``atleast_3d``,
  ``column_stack``, ``row_stack``, ``dstack``, ``block_diag``, ``cartesian_prod``, ``combinations``
- broadcasting: ``broadcast_tensors``, ``broadcast_shapes``
- index grids and polynomials: ``tril_indices``, ``triu_indices``, ``vander``
- dtype rules: ``result_type``, ``promote_types``, ``can_cast``

Every differentiable function here is built from differentiable ops (slicing, cat, stack, flip,
transpose, index_select, cumprod, ...), so gradients and double gradients come from those ops.
"""
import itertools
import numbers

import numpy as np

from .. import _dtype
from .._tensor import Size, Tensor, _wrap
from ._cast import to_dtype
from ._util import norm_dim
from .arithmetic import sub
from .comparison import logical_xor
from .cumulative import cumprod
from .diagonals import diag
from .index import getitem, index_select
from .join_split import _common_dtype, cat, hstack, split, stack, tensor_split, vstack, meshgrid
from .rearrange import clone, flip
from .views import broadcast_to, flatten, reshape, transpose, unsqueeze

__all__ = ["diff", "rot90", "diagflat", "split_with_sizes", "hsplit", "vsplit", "dsplit", "atleast_3d",
           "column_stack", "row_stack", "dstack", "broadcast_tensors", "broadcast_shapes",
           "block_diag", "cartesian_prod", "combinations",
           "tril_indices", "triu_indices", "vander",
           "result_type", "promote_types", "can_cast"]


def _along(ndim, d, sel):
    return (slice(None),) * d + (sel,)


# -- differences, rotations ---------------------------------------------------------------------
def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference along ``dim`` (``out[i] = x[i+1] - x[i]``; bool: xor).

    Example:
        >>> ember.diff(ember.tensor([1, 3, 6, 10]))
        tensor([2, 3, 4])
    """
    if input._data.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional (got a 0-d tensor; "
                           "use reshape(1) first)")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"diff(): argument 'n' must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = norm_dim(dim, input._data.ndim)
    parts = [t for t in (prepend, input, append) if t is not None]
    for name, t in (("prepend", prepend), ("append", append)):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"diff(): argument '{name}' must be Tensor, not {type(t).__name__}")
        if t is not None and t._data.ndim != input._data.ndim:
            got = t._data.ndim
            raise RuntimeError(f"diff expects {name} and input to have the same number of dimensions "
                               f"(input has {input._data.ndim}, {name} has {got})")
    x = cat(parts, d) if len(parts) > 1 else input
    for _ in range(n):
        if x._data.shape[d] == 0:
            break
        hi = getitem(x, _along(x._data.ndim, d, slice(1, None)))
        lo = getitem(x, _along(x._data.ndim, d, slice(None, -1)))
        x = logical_xor(hi, lo) if x._data.dtype == np.bool_ else sub(hi, lo)
    return x


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``dims`` (from the first towards the second).

    Example:
        >>> ember.rot90(ember.tensor([[1, 2], [3, 4]]))
        tensor([[2, 4],
                [1, 3]])
    """
    dims = list(dims)
    nd = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    d0, d1 = norm_dim(dims[0], nd), norm_dim(dims[1], nd)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k %= 4
    if k == 1:
        return transpose(flip(input, [d1]), d0, d1)
    if k == 2:
        return flip(input, [d0, d1])
    if k == 3:
        return transpose(flip(input, [d0]), d0, d1)
    return clone(input)


def diagflat(input, offset=0):
    """A 2-d tensor with the flattened input on diagonal ``offset``.

    Example:
        >>> ember.diagflat(ember.tensor([[1, 2]]))
        tensor([[1, 0],
                [0, 2]])
    """
    return diag(flatten(input), offset)


# -- splitting ----------------------------------------------------------------------------------
def split_with_sizes(input, split_sizes, dim=0):
    """Split into views of the listed sizes along ``dim`` (they must add up to its size).

    Example:
        >>> [t.tolist() for t in ember.split_with_sizes(ember.arange(5), [2, 3])]
        [[0, 1], [2, 3, 4]]
    """
    if input._data.ndim == 0:
        raise RuntimeError("split_with_sizes expects at least a 1-dimensional tensor")
    d = norm_dim(dim, input._data.ndim)
    sizes = [int(s) for s in split_sizes]
    if any(s < 0 for s in sizes) or sum(sizes) != input._data.shape[d]:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {input._data.shape[d]} "
                           f"(input tensor's size at dimension {d}), but got split_sizes={sizes}")
    return split(input, sizes, d)


def _dir_split(name, input, sections, dim, min_dims):
    nd = input._data.ndim
    if nd < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a "
                           f"tensor with {nd} dimensions!")
    if isinstance(sections, (int, np.integer)) and not isinstance(sections, bool):
        size = input._data.shape[dim]
        if sections == 0 or size % sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                               f"dimension {size} is not divisible by the split_size {sections}!")
    return tuple(tensor_split(input, sections, dim))


def hsplit(input, indices_or_sections):
    """tensor_split along dim 1 (dim 0 for a 1-d tensor); an int must divide that size.

    Example:
        >>> [t.shape for t in ember.hsplit(ember.zeros(2, 4), 2)]
        [ember.Size([2, 2]), ember.Size([2, 2])]
    """
    return _dir_split("hsplit", input, indices_or_sections, 0 if input._data.ndim == 1 else 1, 1)


def vsplit(input, indices_or_sections):
    """tensor_split along dim 0 of a tensor of at least 2 dims; an int must divide that size.

    Example:
        >>> [t.shape for t in ember.vsplit(ember.zeros(4, 2), 2)]
        [ember.Size([2, 2]), ember.Size([2, 2])]
    """
    return _dir_split("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    """tensor_split along dim 2 of a tensor of at least 3 dims; an int must divide that size.

    Example:
        >>> [t.shape for t in ember.dsplit(ember.zeros(1, 1, 4), 2)]
        [ember.Size([1, 1, 2]), ember.Size([1, 1, 2])]
    """
    return _dir_split("dsplit", input, indices_or_sections, 2, 3)


# -- stacking -----------------------------------------------------------------------------------
def _one_3d(x):
    nd = x._data.ndim
    if nd == 0:
        return reshape(x, 1, 1, 1)
    if nd == 1:
        return reshape(x, 1, x._data.shape[0], 1)
    if nd == 2:
        return unsqueeze(x, 2)
    return x


def atleast_3d(*tensors):
    """Each tensor viewed with at least 3 dims: () -> (1, 1, 1), (N,) -> (1, N, 1), (M, N) -> (M, N, 1).

    Example:
        >>> ember.atleast_3d(ember.ones(2)).shape
        ember.Size([1, 2, 1])
    """
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return _one_3d(tensors[0])
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(_one_3d(t) for t in tensors[0])
    return tuple(_one_3d(t) for t in tensors) if tensors else []


def column_stack(tensors):
    """Join tensors as columns: 0-d and 1-d ones become (N, 1) columns, then hstack.

    Example:
        >>> ember.column_stack([ember.tensor([1, 2]), ember.tensor([3, 4])])
        tensor([[1, 3],
                [2, 4]])
    """
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("column_stack expects a non-empty TensorList")
    cols = [reshape(t, t._data.size, 1) if t._data.ndim <= 1 else t for t in tensors]
    return hstack(cols)


def row_stack(tensors):
    """Alias of ``vstack``: join tensors as rows (1-d ones become (1, N)).

    Example:
        >>> ember.row_stack([ember.tensor([1, 2]), ember.tensor([3, 4])])
        tensor([[1, 2],
                [3, 4]])
    """
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("vstack expects a non-empty TensorList")
    return vstack(tensors)


def dstack(tensors):
    """Join tensors along the third dim (after ``atleast_3d``).

    Example:
        >>> ember.dstack([ember.tensor([1, 2]), ember.tensor([3, 4])]).shape
        ember.Size([1, 2, 2])
    """
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("dstack expects a non-empty TensorList")
    return cat([_one_3d(t) for t in tensors], 2)


def block_diag(*tensors):
    """A block-diagonal matrix of the inputs (0-d -> 1x1, 1-d -> one row), zeros elsewhere.

    Example:
        >>> ember.block_diag(ember.tensor([[1, 2]]), ember.tensor(3))
        tensor([[1, 2, 0],
                [0, 0, 3]])
    """
    mats = []
    for i, t in enumerate(tensors):
        nd = t._data.ndim
        if nd > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} "
                               f"has {nd} dimensions")
        mats.append(reshape(t, 1, 1) if nd == 0 else reshape(t, 1, t._data.shape[0]) if nd == 1 else t)
    if not mats:
        return _wrap(np.zeros((1, 0), _dtype.to_numpy_dtype(_dtype.get_default_dtype())))
    mats = _common_dtype(mats)
    npd = mats[0]._data.dtype
    total = sum(m._data.shape[1] for m in mats)
    rows, left = [], 0
    for m in mats:
        r, c = m._data.shape
        pieces = [_wrap(np.zeros((r, left), npd)), m, _wrap(np.zeros((r, total - left - c), npd))]
        rows.append(cat(pieces, 1))
        left += c
    return cat(rows, 0)


def cartesian_prod(*tensors):
    """All tuples of one element from each 1-d input, as rows (one input: that input).

    Example:
        >>> ember.cartesian_prod(ember.tensor([1, 2]), ember.tensor([3, 4]))
        tensor([[1, 3],
                [1, 4],
                [2, 3],
                [2, 4]])
    """
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    if not tensors:
        raise RuntimeError("cartesian_prod expects at least one tensor")
    grids = meshgrid(*tensors, indexing="ij")
    return stack([flatten(g) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """All length-``r`` combinations of the elements of a 1-d tensor, as rows (itertools' order).

    Example:
        >>> ember.combinations(ember.tensor([1, 2, 3]))
        tensor([[1, 2],
                [1, 3],
                [2, 3]])
    """
    if input._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input._data.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return _wrap(np.zeros((0,), input._data.dtype))
    n = input._data.shape[0]
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(pick(range(n), r)), np.int64).reshape(-1, r)
    return stack([index_select(input, 0, _wrap(np.ascontiguousarray(idx[:, j]))) for j in range(r)], 1)


# -- broadcasting -------------------------------------------------------------------------------
def broadcast_shapes(*shapes):
    """The shape that tensors of the given shapes broadcast to (an int counts as a 1-d shape).

    Example:
        >>> ember.broadcast_shapes((2, 1), (3,))
        ember.Size([2, 3])
    """
    dims = []
    for s in shapes:
        s = (s,) if isinstance(s, (int, np.integer)) else tuple(s)
        for v in s:
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
                raise TypeError(f"broadcast_shapes: shapes must be ints or sequences of ints, got {v!r}")
            if v < 0:
                raise RuntimeError(f"Trying to create tensor with negative dimension {v}: {list(s)}")
        dims.append(s)
    try:
        return Size(np.broadcast_shapes(*dims))
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape (got shapes "
                           f"{[list(s) for s in dims]}); each dim must be equal or 1 when aligned from the "
                           f"right") from None


def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape (views).

    Example:
        >>> [t.shape for t in ember.broadcast_tensors(ember.ones(2, 1), ember.ones(3))]
        [ember.Size([2, 3]), ember.Size([2, 3])]
    """
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"broadcast_tensors(): expected Tensor as element {i}, but got {type(t).__name__}")
    shape = broadcast_shapes(*(t._data.shape for t in tensors))
    return tuple(t if t._data.shape == tuple(shape) else broadcast_to(t, shape) for t in tensors)


# -- index grids, polynomials -------------------------------------------------------------------
def _tri_indices(name, lower, row, col, offset, dtype):
    if row < 0 or col < 0:
        raise RuntimeError(f"{name}: row and col must be non-negative, got row={row}, col={col}")
    if dtype is None:
        dtype = _dtype.int64
    npd = _dtype.to_numpy_dtype(dtype)
    if npd.kind not in "iu":
        raise NotImplementedError(f"\"{name}\" not implemented for '{str(dtype).split('.')[-1]}' (use an integer dtype)")
    rows, cols = np.nonzero(np.tri(row, col, offset, dtype=bool) if lower else ~np.tri(row, col, offset - 1,
                                                                                         dtype=bool))
    return _wrap(np.stack([rows, cols]).astype(npd).reshape(2, -1))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (row, col) coordinates of the lower triangle of a row x col matrix (on and below diagonal ``offset``).

    Example:
        >>> ember.tril_indices(2, 2)
        tensor([[0, 1, 1],
                [0, 0, 1]])
    """
    return _tri_indices("tril_indices", True, row, col, offset, dtype)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (row, col) coordinates of the upper triangle of a row x col matrix (on and above diagonal ``offset``).

    Example:
        >>> ember.triu_indices(2, 2)
        tensor([[0, 0, 1],
                [0, 1, 1]])
    """
    return _tri_indices("triu_indices", False, row, col, offset, dtype)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a 1-d tensor: columns ``x ** (N-1), ..., x ** 0`` (reversed if ``increasing``).

    Example:
        >>> ember.vander(ember.tensor([1, 2, 3]))
        tensor([[1, 1, 1],
                [4, 2, 1],
                [9, 3, 1]])
    """
    if x._data.ndim != 1:
        raise RuntimeError(f"x must be a one-dimensional tensor, got shape {list(x._data.shape)}")
    n = x._data.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError(f"N must be non-negative, got {n}")
    if x._data.dtype.kind in "biu":
        x = to_dtype(x, np.dtype(np.int64))
    m = x._data.shape[0]
    if n == 0:
        return _wrap(np.zeros((m, 0), x._data.dtype))
    ones = _wrap(np.ones((m, 1), x._data.dtype))
    if n == 1:
        return ones
    cols = broadcast_to(unsqueeze(x, 1), (m, n - 1))
    out = cumprod(cat([ones, cols], 1), 1)
    return out if increasing else flip(out, [1])


# -- dtype rules --------------------------------------------------------------------------------
def _as_dtype(name, d):
    if isinstance(d, _dtype.dtype):
        return d
    raise TypeError(f"{name}(): expected a dtype such as ember.float32, got {type(d).__name__}")


def promote_types(type1, type2):
    """The smallest dtype both dtypes convert to without losing category (PyTorch's promotion table).

    Example:
        >>> ember.promote_types(ember.int32, ember.float32)
        ember.float32
    """
    a, b = _as_dtype("promote_types", type1), _as_dtype("promote_types", type2)
    return _dtype.from_numpy_dtype(_dtype._promote(_dtype.to_numpy_dtype(a), _dtype.to_numpy_dtype(b)))


def result_type(tensor, other):
    """The dtype an arithmetic op on the two operands (tensors or Python numbers) returns.

    Example:
        >>> ember.result_type(ember.tensor([1, 2]), 1.0)
        ember.float32
    """
    def arg(v):
        if isinstance(v, Tensor):
            return v._data
        if isinstance(v, (bool, numbers.Number)):
            return v
        raise TypeError(f"result_type(): arguments must be Tensors or numbers, got {type(v).__name__}")
    a, b = arg(tensor), arg(other)
    if not isinstance(a, np.ndarray) and not isinstance(b, np.ndarray):
        a = _wrap(np.asarray(a, _dtype.to_numpy_dtype(_scalar_dtype(a))))._data
    return _dtype.from_numpy_dtype(_dtype.result_type(a, b))


def _scalar_dtype(v):
    if isinstance(v, bool):
        return _dtype.bool_
    if isinstance(v, numbers.Integral):
        return _dtype.int64
    return _dtype.get_default_dtype()


_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def can_cast(from_, to):
    """Whether PyTorch's casting rules allow ``from_`` to ``to`` (no demotion of category: float -> int is False).

    Example:
        >>> ember.can_cast(ember.float32, ember.int32)
        False
    """
    a = _dtype.to_numpy_dtype(_as_dtype("can_cast", from_))
    b = _dtype.to_numpy_dtype(_as_dtype("can_cast", to))
    return _KIND_RANK[a.kind] <= _KIND_RANK[b.kind]
