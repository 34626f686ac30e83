"""Second derivatives against PyTorch of the reductions (ember.ops.reduce), cumulative ops, sorting
(values), softmax / log_softmax / softmin and the matrix products (ember.ops.linalg), gradgradcheck
in float64.

Each op is checked plain and squared (``y * y``): a linear op's first derivative does not depend on
its input, so only the squared form sends a gradient that itself requires grad through the op's
backward (whose graph is then differentiated)."""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as EF
from tests.autograd.second_order import check_second_order, dense

TF = torch.nn.functional


def _a(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _lib(lib, name):
    """``name`` ("sum", "F.softmax", "Tensor method .name") resolved in ember or torch."""
    if name.startswith("F."):
        return getattr(EF if lib is ember else TF, name[2:])
    return getattr(lib, name)


def _check(name, *arrays, args=(), kwargs=None, pick=None, square=False, **kw):
    """Compare ``lib.<name>(*tensors, *args, **kwargs)`` (``pick``: an item of a tuple result)."""
    kwargs = kwargs or {}

    def make(lib):
        fn = _lib(lib, name)

        def f(*ts):
            out = fn(*ts, *args, **kwargs)
            if pick is not None:
                out = out[pick]
            return out * out if square else out
        return f
    check_second_order(make(ember), dense(make(torch)), *arrays, **kw)


SQUARE = [False, True]


# -- reductions ----------------------------------------------------------------------------------
@pytest.mark.parametrize("square", SQUARE)
@pytest.mark.parametrize("name", ["sum", "mean", "nansum", "prod", "amax", "amin", "max", "min",
                                  "logsumexp", "var", "std"])
@pytest.mark.parametrize("dims", [None, 0, 1, (0, 1), -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_reduction(name, dims, keepdim, square):
    x = _a(2, 3)
    if name in ("max", "min") and dims is not None and dims != (0, 1):
        _check(name, x, args=(dims, keepdim), pick=0, square=square)         # (values, indices)
        return
    if name in ("max", "min"):
        if keepdim or dims is not None:
            pytest.skip("full max/min takes no dim")
        _check(name, x, square=square)
        return
    if name == "prod" and isinstance(dims, tuple):
        pytest.skip("prod takes one dim")
    if dims is None:
        if name == "logsumexp":
            dims = (0, 1)
        elif keepdim:
            pytest.skip("no keepdim without dim")
        else:
            _check(name, x, square=square)
            return
    _check(name, x, args=(dims,), kwargs={"keepdim": keepdim}, square=square)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "logsumexp", "var", "std", "amax"])
def test_reduction_3d_and_0d(name):
    x = _a(2, 3, 2, seed=1)
    _check(name, x, args=(1,), square=True)
    if name in ("sum", "mean", "prod", "amax"):
        _check(name, np.asarray(1.7), square=True)


@pytest.mark.parametrize("correction", [0, 1, 2])
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_correction(name, correction):
    _check(name, _a(3, 4, seed=2), args=(1,), kwargs={"correction": correction}, square=True)
    _check(name, _a(3, 4, seed=2), kwargs={"correction": correction})


@pytest.mark.parametrize("name", ["var_mean", "std_mean"])
@pytest.mark.parametrize("pick", [0, 1])
def test_var_std_mean(name, pick):
    _check(name, _a(2, 3), args=(1,), pick=pick, square=True)


@pytest.mark.parametrize("zeros", [[(0, 1)], [(0, 1), (1, 2)], [(0, 0), (0, 2)]])
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_prod_with_zeros(zeros, dim):
    x = _a(2, 3, seed=3)
    for z in zeros:
        x[z] = 0.0
    # gradgradcheck's finite differences move the zeros off zero: the exact second derivative is
    # compared with torch instead
    _check("prod", x, args=() if dim is None else (dim,), square=True, gradgrad=False)
    _check("prod", x, args=() if dim is None else (dim,), gradgrad=False)


@pytest.mark.parametrize("name", ["amax", "amin", "max", "min"])
def test_extreme_ties(name):
    x = np.array([[1.0, 3.0, 3.0], [-2.0, -2.0, 0.5]])
    if name in ("max", "min"):
        _check(name, x, square=True, gradgrad=False)
    else:
        _check(name, x, args=(1,), square=True, gradgrad=False)


@pytest.mark.parametrize("p", [2, "fro", 1, 3, 1.5, float("inf"), float("-inf")])
@pytest.mark.parametrize("dim", [None, 1, (0, 1)])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("square", SQUARE)
def test_norm(p, dim, keepdim, square):
    x = _a(2, 3, seed=4)
    _check("norm", x, args=(p, dim, keepdim), square=square)


def test_trace_aminmax():
    _check("trace", _a(3, 3), square=True)
    x = _a(2, 3)
    for pick in (0, 1):
        check_second_order(lambda t: (lambda r: r[pick] * r[pick])(ember.aminmax(t, dim=1)),
                           lambda t: (lambda r: r[pick] * r[pick])(torch.aminmax(t, dim=1)), x)


# -- cumulative ----------------------------------------------------------------------------------
@pytest.mark.parametrize("square", SQUARE)
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumulative(name, dim, square):
    _check(name, _a(2, 3, seed=5), args=(dim,), square=square)


@pytest.mark.parametrize("zeros", [[(0, 1)], [(0, 0), (0, 2)], [(1, 1), (1, 2)]])
@pytest.mark.parametrize("dim", [0, 1])
def test_cumprod_with_zeros(zeros, dim):
    x = _a(2, 3, seed=6)
    for z in zeros:
        x[z] = 0.0
    _check("cumprod", x, args=(dim,), square=True, gradgrad=False)
    _check("cumprod", x, args=(dim,), gradgrad=False)


# -- sorting (values) ----------------------------------------------------------------------------
@pytest.mark.parametrize("square", SQUARE)
@pytest.mark.parametrize("name,args", [("sort", (1,)), ("sort", (0, True)), ("topk", (2,)),
                                       ("topk", (1, 0, False)), ("median", (1,)), ("median", (0, True))])
def test_sorting_values(name, args, square):
    _check(name, _a(3, 4, seed=7), args=args, pick=0, square=square)


def test_median_full():
    _check("median", _a(3, 3, seed=8), square=True)


# -- softmax family ------------------------------------------------------------------------------
@pytest.mark.parametrize("square", SQUARE)
@pytest.mark.parametrize("name", ["F.softmax", "F.log_softmax", "F.softmin", "softmax", "log_softmax"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax(name, dim, square):
    _check(name, _a(2, 3, seed=9), kwargs={"dim": dim}, square=square)


def test_softmax_3d():
    _check("F.softmax", _a(2, 3, 2, seed=10), kwargs={"dim": 1}, square=True)
    _check("F.log_softmax", _a(2, 3, 2, seed=10), kwargs={"dim": 1}, square=True)


# -- matrix products -----------------------------------------------------------------------------
MATMUL_SHAPES = [((2, 3), (3, 2)), ((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 2, 3), (3, 2)),
                 ((3,), (2, 3, 2)), ((2, 2, 3), (3,)), ((2, 1, 2, 3), (2, 3, 2)), ((2, 3), (2, 3, 1))]


@pytest.mark.parametrize("square", SQUARE)
@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul(sa, sb, square):
    _check("matmul", _a(*sa, seed=11), _a(*sb, seed=12), square=square)


@pytest.mark.parametrize("name,sa,sb", [("mm", (2, 3), (3, 2)), ("bmm", (2, 2, 3), (2, 3, 2)),
                                        ("mv", (2, 3), (3,)), ("dot", (3,), (3,)), ("inner", (3,), (3,)),
                                        ("outer", (2,), (3,)), ("ger", (2,), (3,)), ("kron", (2, 2), (2, 1)),
                                        ("cross", (2, 3), (2, 3))])
def test_products(name, sa, sb):
    a, b = _a(*sa, seed=13), _a(*sb, seed=14)
    _check(name, a, b)
    _check(name, a, b, square=True)


def test_vdot_tensordot_addmm():
    _check("vdot", _a(3), _a(3, seed=1), square=True)
    _check("tensordot", _a(2, 3, 2), _a(3, 2, 2, seed=1), args=(2,), square=True)
    _check("tensordot", _a(2, 3), _a(3, 2, seed=1), kwargs={"dims": ([1], [0])}, square=True)
    _check("addmm", _a(2, 2), _a(2, 3, seed=1), _a(3, 2, seed=2), square=True)
    _check("addmm", _a(2, 2), _a(2, 3, seed=1), _a(3, 2, seed=2), kwargs={"beta": 0.5, "alpha": 2.0},
           square=True)


@pytest.mark.parametrize("square", SQUARE)
@pytest.mark.parametrize("eq,shapes", [("ij,jk->ik", [(2, 3), (3, 2)]), ("ij,ij->", [(2, 3), (2, 3)]),
                                       ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]), ("ij->ji", [(2, 3)]),
                                       ("ii->i", [(3, 3)]), ("ii->", [(3, 3)]), ("iij->j", [(2, 2, 3)]),
                                       ("jii,j->ij", [(2, 3, 3), (2,)]), ("ij,k->ijk", [(2, 2), (3,)]),
                                       ("...ij,...jk->...ik", [(2, 2, 3), (3, 2)]),
                                       ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]), ("i,i", [(3,), (3,)])])
def test_einsum(eq, shapes, square):
    arrays = [_a(*s, seed=20 + k) for k, s in enumerate(shapes)]
    check_second_order(lambda *ts: (lambda y: y * y if square else y)(ember.einsum(eq, *ts)),
                       lambda *ts: (lambda y: y * y if square else y)(torch.einsum(eq, *ts)), *arrays)


@pytest.mark.parametrize("square", SQUARE)
@pytest.mark.parametrize("xs", [(2, 3), (3,), (2, 2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear(xs, bias, square):
    arrays = [_a(*xs, seed=30), _a(4, 3, seed=31)] + ([_a(4, seed=32)] if bias else [])
    _check("F.linear", *arrays, square=square)


def test_linear_first_order_unchanged():
    """The first-order backward stays the tuned array path (float32 results, no Tensors)."""
    x = ember.randn(4, 3, requires_grad=True)
    lin = ember.nn.Linear(3, 2)
    lin(x).sum().backward()
    assert x.grad.dtype == ember.float32 and lin.weight.grad.dtype == ember.float32
