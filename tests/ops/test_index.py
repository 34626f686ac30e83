"""Indexing vs PyTorch: slices, integer arrays, bool masks, __setitem__, gather/scatter & co."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle import assert_close, check
from tests.ops._data import rnd

X = rnd(4, 5, 3)
IDX = np.array([0, 2, 2, 3])
MASK = rnd(4, 5) > 0


def _t(a, arr):
    """``arr`` as a tensor of the same library as ``a``."""
    return ember.tensor(arr) if isinstance(a, ember.Tensor) else torch.tensor(arr)


GET = [
    lambda a: a[1], lambda a: a[-1], lambda a: a[1:3], lambda a: a[::2], lambda a: a[:, 1:4:2], lambda a: a[..., 0],
    lambda a: a[None], lambda a: a[:, None, 1], lambda a: a[1, 2, 0], lambda a: a[1, :, -1], lambda a: a[..., None],
    lambda a: a[_t(a, IDX)], lambda a: a[:, _t(a, IDX)], lambda a: a[_t(a, IDX), 1:3], lambda a: a[[0, 3, 3]],
    lambda a: a[_t(a, IDX), _t(a, IDX)], lambda a: a[_t(a, MASK)], lambda a: a[0, _t(a, MASK[0])],
    lambda a: a[_t(a, np.array([[0, 1], [3, 3]]))], lambda a: a[_t(a, IDX)[:, None], _t(a, np.array([0, 1, 1]))],
    lambda a: a[a > 0], lambda a: a[_t(a, np.array(True))], lambda a: a[_t(a, np.array(2))], lambda a: a[1:1],
    lambda a: a[_t(a, np.array([], np.int64))], lambda a: a[..., _t(a, np.array([2, 0]))],
    lambda a: a[-2:, ..., 1:],
]


@pytest.mark.parametrize("fn", GET, ids=[str(i) for i in range(len(GET))])
def test_getitem(fn):
    check(fn, None, X)


def test_getitem_0d_and_scalar_results():
    check(lambda a: a[1], None, rnd(3))
    check(lambda a: a[None], None, np.float32(2.0))
    check(lambda a: a[...], None, np.float32(2.0))
    e = ember.tensor([1.0, 2.0])[1]
    assert e.shape == () and e.item() == 2.0


def test_getitem_errors():
    x = ember.zeros(3, 4)
    with pytest.raises(IndexError, match="out of bounds"):
        x[3]
    with pytest.raises(IndexError, match="out of bounds"):
        x[:, -5]
    with pytest.raises(IndexError, match="out of bounds"):
        x[ember.tensor([0, 7])]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="long"):
        x[ember.tensor([0.0, 1.0])]


# -- __setitem__ ---------------------------------------------------------------------------------
SET = [
    (lambda y, v: y.__setitem__(1, v[0, 0]), (5, 3)),
    (lambda y, v: y.__setitem__((slice(0, 2), 1), v[0, :1, 0]), (5, 3)),
    (lambda y, v: y.__setitem__(_t(y, IDX), v[0, :1]), (5, 3)),
    (lambda y, v: y.__setitem__(_t(y, MASK), v[0, 0, 0]), (5, 3)),
    (lambda y, v: y.__setitem__((slice(None), 2), v), (3,)),
]


@pytest.mark.parametrize("i", range(len(SET)))
def test_setitem_differentiable(i):
    op, vshape = SET[i]

    def f(a, v):
        y = a * 1.0
        op(y, v)
        return y * 2

    v = rnd(4, *vshape)
    check(f, None, X, v)


def test_setitem_scalar_and_list():
    def f(a):
        y = a.clone()
        y[0] = 1.5
        y[1, :2] = ember.tensor([7.0, 8.0]) if isinstance(a, ember.Tensor) else torch.tensor([7.0, 8.0])
        y[2][0] = -1.0    # through a basic-index view
        return y * a
    check(f, None, rnd(3, 4))


@pytest.mark.parametrize("write", [
    lambda y, v: y[:, 0].mul_(v[0]),
    lambda y, v: y.t().add_(v[:, None]),
    lambda y, v: y[1:].view(-1).copy_(v.repeat(2)[:8]),
    lambda y, v: y[0].zero_(),
    lambda y, v: y[1][1:3].__setitem__(slice(None), v[:2]),
    lambda y, v: y.unsqueeze(0)[0, 2].relu_(),
])
def test_inplace_through_view_rebases_base(write):
    def f(a, v):
        y = a * 1.5
        write(y, v)
        return y * a
    check(f, None, rnd(3, 4), rnd(4))


def test_inplace_view_grad_fn_names():
    y = ember.ones(2, 3, requires_grad=True) * 1
    y[0].mul_(2)
    assert y.grad_fn.name() == "CopySlices"
    y2 = ember.ones(2, 3, requires_grad=True) * 1
    y2[0] = 5.0
    assert y2.grad_fn.name() == "IndexPutBackward0"   # torch: CopySlices (documented difference)


def test_inplace_on_view_of_leaf_errors():
    a = ember.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        a[0].add_(1)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        a.view(3, 1).mul_(2)
    with ember.no_grad():
        a[1:].add_(1)
    assert a.tolist() == [0.0, 1.0, 1.0]


def test_setitem_on_view_updates_base():
    x = ember.zeros(3, 4)
    x[1][2] = 5.0
    x[:, 0] = 1.0
    x[x > 4] = 9.0
    t = torch.zeros(3, 4)
    t[1][2] = 5.0
    t[:, 0] = 1.0
    t[t > 4] = 9.0
    assert_close(x, t)


def test_setitem_leaf_requires_grad_errors():
    x = ember.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x[0] = 1.0
    with ember.no_grad():
        x[0] = 1.0
    assert x.tolist() == [1.0, 0.0, 0.0]


def test_setitem_value_dtype_cast():
    x = ember.zeros(3)
    x[0] = ember.tensor(2)
    x[1:] = ember.tensor([True, False])
    assert x.dtype == ember.float32 and x.tolist() == [2.0, 1.0, 0.0]


# -- gather / scatter / index_select / masked_fill / take_along_dim ------------------------------
def test_gather():
    idx = np.array([[0, 2, 2], [1, 0, 4]])
    check(lambda a: a.gather(1, _t(a, idx)), None, rnd(2, 5))
    idx0 = np.array([[1, 0], [1, 1], [0, 0]])
    check(lambda a: _mod(a).gather(a, 0, _t(a, idx0)), None, rnd(2, 2))
    check(lambda a: a.gather(-1, _t(a, np.array([[0], [1]]))), None, rnd(2, 3))


def _mod(a):
    return ember if isinstance(a, ember.Tensor) else torch


def test_scatter_and_scatter_add():
    idx = np.array([[0, 2, 2], [1, 0, 4]])
    check(lambda a, s: a.scatter(1, _t(a, np.array([[0, 2, 3], [1, 0, 4]])), s), None, rnd(2, 5), rnd(2, 3))
    check(lambda a, s: a.scatter_add(1, _t(a, idx), s), None, rnd(2, 5), rnd(2, 3))
    check(lambda a: a.scatter(1, _t(a, np.array([[0], [3]])), 2.5), None, rnd(2, 5))
    # torch has no derivative for scatter(reduce="add"); it must equal scatter_add's
    check(lambda a, s: ember.scatter(a, 0, _t(a, np.array([[1, 0, 1]])), s, reduce="add"),
          lambda a, s: torch.scatter_add(a, 0, _t(a, np.array([[1, 0, 1]])), s), rnd(2, 3), rnd(1, 3))


def test_scatter_inplace_forms():
    def f(a, s):
        y = a * 1
        y.scatter_(1, _t(a, np.array([[0, 2], [1, 0]])), s)
        y.scatter_add_(1, _t(a, np.array([[3, 3], [2, 2]])), s)
        return y
    check(f, None, rnd(2, 5), rnd(2, 2))


def test_index_select():
    check(lambda a: a.index_select(0, _t(a, IDX)), None, X)
    check(lambda a: _mod(a).index_select(a, -1, _t(a, np.array([2, 2, 0]))), None, X)
    check(lambda a: a.index_select(1, _t(a, np.array([], np.int64))), None, X)


def test_masked_fill():
    check(lambda a: a.masked_fill(_t(a, MASK), -1.5), None, rnd(4, 5))
    check(lambda a: a.masked_fill(_t(a, MASK[0]), 0.0), None, rnd(3, 5))        # broadcast mask
    check(lambda a: a.masked_fill(_t(a, MASK), float("-inf")).softmax(-1), None, rnd(4, 5))
    check(lambda a, v: a.masked_fill(_t(a, MASK), v), None, rnd(4, 5), np.float32(2.0))

    def inplace(a):
        y = a + 0
        y.masked_fill_(_t(a, MASK), 0.0)
        return y
    check(inplace, None, rnd(4, 5))


def test_masked_fill_requires_bool():
    with pytest.raises(RuntimeError, match="bool"):
        ember.zeros(2).masked_fill(ember.tensor([1, 0]), 1.0)


def test_take_along_dim_and_take():
    x = rnd(3, 4)
    idx = np.argsort(x, axis=1)
    check(lambda a: _mod(a).take_along_dim(a, _t(a, idx), dim=1), None, x)
    check(lambda a: _mod(a).take_along_dim(a, _t(a, idx[:, :1]), dim=1), None, x)
    check(lambda a: _mod(a).take_along_dim(a, _t(a, np.array([0, 5, 11]))), None, x)
    check(lambda a: a.take(_t(a, np.array([[0, 5], [11, 5]]))), None, x)


def test_index_add_and_put():
    check(lambda a, s: a.index_add(0, _t(a, np.array([0, 2, 0])), s), None, rnd(3, 2), rnd(3, 2))
    check(lambda a, v: a.index_put((_t(a, np.array([0, 2])),), v), None, rnd(3, 2), rnd(2))
    check(lambda a, v: a.index_put((_t(a, np.array([0, 0])),), v, accumulate=True), None, rnd(3, 2), rnd(2))


def test_one_hot():
    import torch.nn.functional as F
    y = np.array([0, 2, 1, 2])
    check(lambda a: ember.one_hot(a) if isinstance(a, ember.Tensor) else F.one_hot(a), None, y, grad=False)
    check(lambda a: ember.nn.functional.one_hot(a, 5) if isinstance(a, ember.Tensor) else F.one_hot(a, 5),
          None, y.reshape(2, 2), grad=False)
    with pytest.raises(RuntimeError, match="class values"):
        ember.one_hot(ember.tensor([0, 3]), 3)


def test_index_errors():
    x = ember.zeros(2, 3)
    with pytest.raises(RuntimeError, match="out of bounds"):
        x.gather(1, ember.tensor([[0, 3]]))
    with pytest.raises(RuntimeError, match="int64"):
        x.gather(1, ember.tensor([[0.0]]))
    with pytest.raises(IndexError, match="out of range"):
        x.index_select(1, ember.tensor([5]))


# -- gradcheck ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda a: a[1:, ::2], lambda a: a[ember.tensor([0, 2, 2])], lambda a: a[a > 0],
    lambda a: a.gather(1, ember.tensor([[0, 0], [1, 0], [1, 1]])),
    lambda a: a.scatter_add(0, ember.tensor([[0, 2]]), a[:1] * 3),
    lambda a: a.scatter(0, ember.tensor([[2, 0]]), a[1:2] * 3),
    lambda a: a.index_select(0, ember.tensor([2, 0, 2])), lambda a: a.masked_fill(a > 0, 0.0),
    lambda a: ember.take_along_dim(a, ember.tensor([[1], [0], [1]]), 1),
], ids=lambda f: "")
def test_gradcheck(fn):
    x = ember.tensor(rnd(3, 2, dtype=np.float64), requires_grad=True)
    assert ember.autograd.gradcheck(fn, (x,))


def test_gradcheck_setitem():
    def f(a, v):
        y = a.clone()
        y[ember.tensor([0, 2])] = v
        y[1, 0] = v[0, 1] * 2
        return y
    a = ember.tensor(rnd(3, 2, dtype=np.float64), requires_grad=True)
    v = ember.tensor(rnd(2, 2, dtype=np.float64), requires_grad=True)
    assert ember.autograd.gradcheck(f, (a, v))


def test_gradcheck_value_inputs():
    gc = ember.autograd.gradcheck
    a = ember.tensor(rnd(3, 2, dtype=np.float64), requires_grad=True)
    s = ember.tensor(rnd(3, 2, dtype=np.float64), requires_grad=True)
    v = ember.tensor(rnd(2, dtype=np.float64), requires_grad=True)
    z = ember.tensor(np.float64(1.5), requires_grad=True)
    assert gc(lambda x, y: x.index_add(0, ember.tensor([0, 2, 0]), y), (a, s))
    assert gc(lambda x, y: x.index_put((ember.tensor([1, 1]),), y, accumulate=True), (a, v))
    assert gc(lambda x, y: x.masked_fill(x > 0, y), (a, z))
    assert gc(lambda x, y: x.scatter(0, ember.tensor([[2, 0]]), y[:1]), (a, s))


@pytest.mark.parametrize("op", [
    lambda y: y[:, 0].__iadd__(1.0),
    lambda y: y.__setitem__((slice(None), 0), y[:, 0] * 2),
    lambda y: y.__setitem__(_t(y, MASK[:3, :4]), y[_t(y, MASK[:3, :4])] + 1),
])
def test_augmented_assignment_through_indexing(op):
    def f(a):
        y = a * 1.5
        op(y)
        return y * a
    check(f, None, rnd(3, 4))


def test_iadd_on_indexed_slice():
    def f(a):
        y = a * 1.5
        y[:, 1] += a[:, 0]
        y[y > 1] *= 2
        return y
    check(f, None, rnd(3, 4))
