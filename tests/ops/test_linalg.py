"""Matrix products vs PyTorch: matmul/@ over all rank combinations, mm, bmm, dot, outer, einsum."""
import numpy as np
import pytest
import torch

import ember
from tests.oracle import check
from tests.ops._data import leaf64, rnd
from tests.both import assert_same

MATMUL_SHAPES = [
    ((3, 4), (4, 5)), ((4,), (4,)), ((4,), (4, 5)), ((3, 4), (4,)), ((2, 3, 4), (2, 4, 5)), ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((2, 3, 4), (4,)), ((4,), (2, 4, 5)), ((0, 4), (4, 5)),
    ((3, 0), (0, 5)), ((2, 3, 4), (1, 4, 2)),
]


def _mod(a):
    return ember if isinstance(a, ember.Tensor) else torch


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes):
    sa, sb = shapes
    check(lambda a, b: a @ b, None, rnd(*sa), rnd(*sb))
    check(lambda a, b: _mod(a).matmul(a, b), None, rnd(*sa), rnd(*sb))


def test_matmul_mixed_dtypes_error():
    # like torch, matmul does not promote (a silent float64 result would be slow)
    with pytest.raises(RuntimeError, match="same dtype"):
        ember.zeros(3, 4) @ ember.zeros(4, 2, dtype=ember.float64)
    with pytest.raises(RuntimeError):
        torch.zeros(3, 4) @ torch.zeros(4, 2, dtype=torch.float64)


def test_mm_bmm_dot_outer_mv():
    check(lambda a, b: a.mm(b), None, rnd(3, 4), rnd(4, 2))
    check(lambda a, b: _mod(a).bmm(a, b), None, rnd(2, 3, 4), rnd(2, 4, 5))
    check(lambda a, b: a.dot(b), None, rnd(5), rnd(5))
    check(lambda a, b: _mod(a).outer(a, b), None, rnd(3), rnd(4))
    check(lambda a, b: a.outer(b), None, rnd(3), rnd(0))
    check(lambda a, b: a.mv(b), None, rnd(3, 4), rnd(4))


def test_integer_matmul():
    check(lambda a, b: a @ b, None, np.arange(6).reshape(2, 3), np.arange(3), grad=False)


EINSUM = [
    ("ij,jk->ik", [(3, 4), (4, 5)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(3,), (4,)]), ("ij->ji", [(3, 4)]), ("ij->", [(3, 4)]), ("ij->j", [(3, 4)]), ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]), ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]), ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]), ("ij,ij->i", [(3, 4), (3, 4)]), ("ij", [(3, 4)]),
    ("ba,ca", [(3, 4), (2, 4)]), ("i,i,i->i", [(3,), (3,), (3,)]), ("...i->...", [(2, 3, 4)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum(eq, shapes):
    arrays = [rnd(*s) for s in shapes]
    check(lambda *xs: _mod(xs[0]).einsum(eq, *xs), None, *arrays)


def test_einsum_list_operands():
    check(lambda a, b: _mod(a).einsum("ij,jk", [a, b]), None, rnd(2, 3), rnd(3, 2))


def test_linear_function():
    import torch.nn.functional as F
    check(lambda x, w, b: ember.nn.functional.linear(x, w, b) if isinstance(x, ember.Tensor) else F.linear(x, w, b),
          None, rnd(5, 3), rnd(4, 3), rnd(4))
    check(lambda x, w: ember.nn.functional.linear(x, w) if isinstance(x, ember.Tensor) else F.linear(x, w),
          None, rnd(2, 5, 3), rnd(4, 3))
    check(lambda x, w, b: ember.nn.functional.linear(x, w, b) if isinstance(x, ember.Tensor) else F.linear(x, w, b),
          None, rnd(3), rnd(4, 3), rnd(4))


def test_matmul_errors():
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        ember.zeros(3, 4) @ ember.zeros(5, 2)
    with pytest.raises(RuntimeError, match="at least 1D"):
        ember.tensor(1.0) @ ember.zeros(2)
    with pytest.raises(RuntimeError, match="2-D"):
        ember.mm(ember.zeros(3), ember.zeros(3, 2))
    with pytest.raises(RuntimeError, match="1D tensors expected"):
        ember.dot(ember.zeros(2, 2), ember.zeros(2))
    with pytest.raises(RuntimeError, match="batch"):
        ember.bmm(ember.zeros(2, 3, 4), ember.zeros(3, 4, 5))
    with pytest.raises(RuntimeError, match="inner dimensions"):
        ember.zeros(2, 3, 4) @ ember.zeros(2, 5, 4)


# -- gradcheck ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fn,shapes", [
    (lambda a, b: a @ b, [(2, 3), (3, 2)]), (lambda a, b: a @ b, [(3,), (3, 2)]), (lambda a, b: a @ b, [(2, 3), (3,)]),
    (lambda a, b: a @ b, [(2, 2, 3), (3, 2)]), (lambda a, b: ember.bmm(a, b), [(2, 2, 3), (2, 3, 2)]),
    (lambda a, b: a.dot(b), [(3,), (3,)]), (lambda a, b: ember.outer(a, b), [(3,), (2,)]),
    (lambda a, b: ember.einsum("bij,bjk->bik", a, b), [(2, 2, 3), (2, 3, 2)]),
    (lambda a: ember.einsum("ii->i", a), [(3, 3)]), (lambda a, b: ember.einsum("ij,ij->", a, b), [(2, 3), (2, 3)]),
    (lambda x, w, b: ember.nn.functional.linear(x, w, b), [(4, 3), (2, 3), (2,)]),
], ids=lambda f: "")
def test_gradcheck(fn, shapes):
    assert ember.autograd.gradcheck(fn, tuple(leaf64(*s) for s in shapes))


# -- found by the fuzz against PyTorch (issue 14) --------------------------------------------------

@pytest.mark.parametrize("sa, sb", [((1, 1), (1, 1)), ((3,), (3,)), ((0,), (0,)), ((2, 3), (3,)), ((2, 2, 3), (3, 1))])
def test_matmul_of_bool_raises_not_implemented(sa, sb):
    assert_same(lambda t: t.matmul(t.ones(sa, dtype=t.bool), t.ones(sb, dtype=t.bool)), error=NotImplementedError)


@pytest.mark.parametrize("sa, sb", [((2, 0), (0, 2)), ((0, 3), (3,)), ((0, 2), (2, 0))])
def test_matmul_of_empty_bool_returns(sa, sb):
    assert_same(lambda t: t.matmul(t.ones(sa, dtype=t.bool), t.ones(sb, dtype=t.bool)))


def test_addmm_with_beta_zero_ignores_nan_and_inf_in_the_input():
    def f(t):
        inp = t.tensor([[float("nan"), float("inf")], [1.0, 2.0]], requires_grad=True)
        a = t.ones(2, 3, requires_grad=True)
        r = t.addmm(inp, a, t.ones(3, 2), beta=0, alpha=2)
        r.sum().backward()
        return r, inp.grad, a.grad, inp.addmm(a, t.ones(3, 2), beta=0)
    assert_same(f)
