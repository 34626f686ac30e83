"""Second derivatives of the view, join/split, rearrange, diagonal and indexing ops against PyTorch
(first derivatives with create_graph=True, then Hessian-vector products), and gradgradcheck in
float64.

These ops are linear, so each is composed with a product (``op(x) * op(x)``, or the outputs of two
ops multiplied): the second derivative is then non-zero, and it checks that the backward of the op
records a graph reaching both the incoming gradient and the inputs.
"""
import numpy as np
import pytest
import torch

import ember
from tests.autograd.second_order import check_second_order


def _a(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _sq(out):
    """Each output times itself (the nonlinearity that makes second derivatives non-trivial)."""
    return tuple(o * o for o in out) if isinstance(out, (tuple, list)) else out * out


def _lib(x):
    return ember if isinstance(x, ember.Tensor) else torch


def _copy_slices_select(x, v):
    y = x * 1
    y[0].mul_(v)                    # an in-place op on a view: y's grad_fn becomes CopySlices
    return y * y


def _copy_slices_slice(x):
    y = x * 2
    y.narrow(1, 1, 2).mul_(x.narrow(1, 0, 2))
    return y * y


def _setitem(x, v):
    y = x * 1
    y[:, 1] = v * 2
    return y * y


def _setitem_advanced(x, v, idx):
    y = x * 1
    y[idx] = v
    return y * y


def _meshgrid(a, b):
    g1, g2 = _lib(a).meshgrid(a, b, indexing="xy")
    return g1 * g2 * g2


# name: (function of the inputs, the same for both libraries; input arrays)
I64 = np.int64
CASES = {
    # views
    "reshape": (lambda x: _sq(x.reshape(3, 2)), [_a(2, 3)]),
    "view": (lambda x: _sq(x.view(-1)), [_a(2, 3)]),
    "flatten": (lambda x: _sq(x.flatten(1)), [_a(2, 2, 2)]),
    "unflatten": (lambda x: _sq(x.unflatten(1, (3, 1))), [_a(2, 3)]),
    "squeeze": (lambda x: _sq(x.squeeze()), [_a(2, 1, 3)]),
    "squeeze_dim": (lambda x: _sq(x.squeeze(1)), [_a(2, 1, 3)]),
    "unsqueeze": (lambda x: _sq(x.unsqueeze(1)), [_a(2, 3)]),
    "permute": (lambda x: _sq(x.permute(2, 0, 1)) * x.permute(2, 0, 1), [_a(2, 3, 2)]),
    "transpose": (lambda x: _sq(x.transpose(0, 1)), [_a(2, 3)]),
    "t": (lambda x: x.t() @ x, [_a(2, 3)]),
    "movedim": (lambda x: _sq(x.movedim(0, 2)) * x.movedim(0, 2), [_a(2, 3, 2)]),
    "expand": (lambda x: _sq(x.expand(4, 3)), [_a(1, 3)]),
    "broadcast_to": (lambda x: _lib(x).broadcast_to(x, (2, 2, 3)) * x, [_a(2, 3)]),
    "narrow": (lambda x: _sq(x.narrow(1, 1, 2)), [_a(2, 3)]),
    "select": (lambda x: _sq(x.select(1, 2)), [_a(2, 3)]),
    "split": (lambda x: _sq(x.split([1, 2], 1)), [_a(2, 3)]),
    "chunk": (lambda x: (lambda a, b: a * b)(*x.chunk(2, 0)), [_a(2, 3)]),
    "unbind": (lambda x: (lambda a, b, c: a * b * c)(*x.unbind(1)), [_a(2, 3)]),
    "copy_slices_select": (_copy_slices_select, [_a(2, 3), _a(3, seed=1)]),
    "copy_slices_slice": (_copy_slices_slice, [_a(2, 3)]),
    # join
    "cat": (lambda x, y: _sq(_lib(x).cat([x, y], 1)), [_a(2, 3), _a(2, 2, seed=1)]),
    "cat_empty": (lambda x, y: _sq(_lib(x).cat([x, y], 0)), [_a(2, 3), _a(0, seed=1)]),
    "stack": (lambda x, y: _sq(_lib(x).stack([x, y], 1)), [_a(2, 3), _a(2, 3, seed=1)]),
    "hstack": (lambda x, y: _sq(_lib(x).hstack([x, y])), [_a(3), _a(2, seed=1)]),
    "vstack": (lambda x, y: _sq(_lib(x).vstack([x, y])), [_a(3), _a(2, 3, seed=1)]),
    "meshgrid": (_meshgrid, [_a(2), _a(3, seed=1)]),
    # rearrange
    "flip": (lambda x: _sq(x.flip((0, 1))) * x, [_a(2, 3)]),
    "fliplr": (lambda x: _sq(_lib(x).fliplr(x)) * x, [_a(2, 3)]),
    "roll": (lambda x: x.roll(1, 1) * x, [_a(2, 3)]),
    "roll_flat": (lambda x: x.roll(2) * x, [_a(2, 3)]),
    "roll_dims": (lambda x: x.roll((1, -1), (0, 1)) * x, [_a(2, 3)]),
    "repeat": (lambda x: _sq(x.repeat(2, 1, 2)), [_a(2, 3)]),
    "tile": (lambda x: _sq(x.tile((2,))), [_a(2, 3)]),
    "clone": (lambda x: _sq(x.clone()), [_a(2, 3)]),
    # diagonals
    "tril": (lambda x: _sq(x.tril()), [_a(3, 3)]),
    "triu": (lambda x: _sq(x.triu(1)), [_a(2, 3)]),
    "diagonal": (lambda x: _sq(x.diagonal(1, 0, 2)), [_a(2, 2, 3)]),
    "diag_matrix": (lambda x: _sq(x.diag(-1)), [_a(3, 3)]),
    "diag_vector": (lambda x: _sq(x.diag(1)), [_a(3)]),
    # indexing
    "getitem_slice": (lambda x: _sq(x[:, 1:]), [_a(2, 3)]),
    "getitem_int": (lambda x: _sq(x[1]), [_a(2, 3)]),
    "getitem_scalar": (lambda x: _sq(x[1, 2]), [_a(2, 3)]),
    "getitem_none_ellipsis": (lambda x: _sq(x[None, ..., ::2]), [_a(2, 3)]),
    "getitem_advanced": (lambda x, i: _sq(x[i]), [_a(2, 3), np.array([1, 0, 1], I64)]),
    "getitem_advanced_2d": (lambda x, i, j: _sq(x[i, j]), [_a(2, 3), np.array([1, 0, 1], I64),
                                                          np.array([2, 2, 0], I64)]),
    "getitem_bool": (lambda x, m: _sq(x[m]), [_a(2, 3), np.array([[True, False, True], [False, True, True]])]),
    "setitem": (_setitem, [_a(2, 3), _a(2, seed=1)]),
    "setitem_advanced": (_setitem_advanced, [_a(3, 2), _a(2, 2, seed=1), np.array([2, 0], I64)]),
    "index_put_accumulate": (lambda x, v, i: _sq(x.index_put((i,), v, accumulate=True)),
                             [_a(3, 2), _a(3, 2, seed=1), np.array([2, 0, 2], I64)]),
    "gather": (lambda x, i: _sq(x.gather(1, i)), [_a(2, 3), np.array([[0, 0, 2, 1], [1, 2, 2, 0]], I64)]),
    "scatter": (lambda x, s, i: _sq(x.scatter(1, i, s)), [_a(2, 3), _a(2, 2, seed=1), np.array([[0, 2], [1, 0]], I64)]),
    "scatter_value": (lambda x, i: _sq(x.scatter(1, i, 1.5)), [_a(2, 3), np.array([[0, 2], [1, 0]], I64)]),
    "scatter_add": (lambda x, s, i: _sq(x.scatter_add(0, i, s)),
                    [_a(2, 3), _a(2, 3, seed=1), np.array([[0, 1, 0], [1, 1, 0]], I64)]),
    "index_select": (lambda x, i: _sq(x.index_select(1, i)), [_a(2, 3), np.array([2, 0, 2, 1], I64)]),
    "index_add": (lambda x, s, i: _sq(x.index_add(0, i, s, alpha=2.0)),
                  [_a(3, 2), _a(3, 2, seed=1), np.array([2, 0, 2], I64)]),
    "masked_fill": (lambda x, m: _sq(x.masked_fill(m, 0.5)), [_a(2, 3), np.array([[True, False, True]])]),
    "masked_fill_tensor": (lambda x, m, v: _sq(x.masked_fill(m, v)),
                           [_a(2, 3), np.array([[True, False, False], [False, True, True]]), np.array(0.7)]),
    "masked_select": (lambda x, m: _sq(x.masked_select(m)), [_a(2, 3), np.array([True, False, True])]),
    "take": (lambda x, i: _sq(x.take(i)), [_a(2, 3), np.array([[5, 0], [5, 3]], I64)]),
    "take_along_dim": (lambda x, i: _sq(_lib(x).take_along_dim(x, i, 1)), [_a(2, 3), np.array([[2], [0]], I64)]),
    "take_along_dim_flat": (lambda x, i: _sq(_lib(x).take_along_dim(x, i)), [_a(2, 3), np.array([4, 4, 1], I64)]),
    "repeat_interleave": (lambda x: _sq(x.repeat_interleave(2, dim=1)), [_a(2, 3)]),
    "repeat_interleave_tensor": (lambda x, r: _sq(x.repeat_interleave(r, dim=0)), [_a(2, 3), np.array([2, 1], I64)]),
    "repeat_interleave_flat": (lambda x: _sq(x.repeat_interleave(2)), [_a(2, 2)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_second_order(name):
    fn, arrays = CASES[name]
    check_second_order(fn, fn, *arrays)


def test_scatter_reduce_add():
    # torch has no derivative for scatter(reduce=...): its scatter_add is the oracle
    check_second_order(lambda x, s, i: _sq(x.scatter(1, i, s, reduce="add")),
                       lambda x, s, i: _sq(x.scatter_add(1, i, s)),
                       _a(2, 3), _a(2, 2, seed=1), np.array([[0, 0], [2, 0]], I64))


def test_scatter_src_larger_than_index():
    # torch's double backward rejects a src larger than the index; the oracle slices src first
    check_second_order(lambda x, s, i: _sq(x.scatter(1, i, s)),
                       lambda x, s, i: _sq(x.scatter(1, i, s[:, :2])),
                       _a(2, 3), _a(2, 3, seed=1), np.array([[0, 2], [1, 0]], I64))
