"""Edge cases that gave silent wrong numbers or NumPy's internal errors (issue 14), each vs PyTorch:
ignored rows in CE/NLL, descending sort of unsigned / extreme ints, integer division and modulo,
0-d promotion, float16 normalisation statistics, overflow near float32's top, dtypes of
any/all/square/sign, empty and 0-d tensors in split/chunk/cumsum/argmax/median, dim checks."""
import math

import numpy as np
import pytest

import ember
from tests.both import assert_same

INF, NAN = math.inf, math.nan
ROWS = [[-INF, -INF, -INF], [1.0, 2.0, 0.5]]


def _ce(**kw):
    return lambda t: t.nn.CrossEntropyLoss(**kw)(t.tensor(ROWS), t.tensor([-100, 1]))


@pytest.mark.parametrize("kw", [{}, {"weight": "w"}, {"label_smoothing": 0.1},
                                {"weight": "w", "label_smoothing": 0.1}, {"reduction": "none"},
                                {"reduction": "sum", "label_smoothing": 0.2}])
def test_cross_entropy_ignored_rows_are_excluded(kw):
    def f(t):
        k = dict(kw)
        if k.get("weight") == "w":
            k["weight"] = t.tensor([1.0, 2.0, 3.0])
        x = t.tensor(ROWS, requires_grad=True)
        loss = t.nn.CrossEntropyLoss(**k)(x, t.tensor([-100, 1]))
        loss.sum().backward()
        return loss, x.grad
    assert_same(f)
    assert not np.isnan(_ce()(ember).item())


@pytest.mark.parametrize("weighted", [False, True])
def test_nll_ignored_rows_are_excluded(weighted):
    def f(t):
        x = t.tensor(ROWS, requires_grad=True)
        w = t.tensor([1.0, 2.0, 3.0]) if weighted else None
        loss = t.nn.NLLLoss(weight=w)(x, t.tensor([-100, 1]))
        loss.backward()
        return loss, x.grad
    assert_same(f)


def test_cross_entropy_ignored_rows_second_order():
    def f(t):
        x = t.tensor([[-INF, 0.0, 1.0], [1.0, 2.0, 0.5]], requires_grad=True)
        loss = t.nn.functional.cross_entropy(x, t.tensor([-100, 1]), label_smoothing=0.1)
        g, = t.autograd.grad(loss, x, create_graph=True)
        g.pow(2).sum().backward()
        return g, x.grad
    assert_same(f)


# -- sorting -----------------------------------------------------------------------------------
U8 = [0, 255, 3, 1, 255, 128]
I64 = [0, -2**63, 5, 2**63 - 1, -1, -2**63]


@pytest.mark.parametrize("expr", [
    lambda t: t.sort(t.tensor(U8, dtype=t.uint8), descending=True),
    lambda t: t.sort(t.tensor(U8, dtype=t.uint8), descending=True, stable=True),
    lambda t: t.argsort(t.tensor(U8, dtype=t.uint8), descending=True, stable=True),
    lambda t: t.topk(t.tensor(U8, dtype=t.uint8), 3),
    lambda t: t.sort(t.tensor(I64), descending=True, stable=True),
    lambda t: t.topk(t.tensor(I64), 4),
    lambda t: t.sort(t.tensor([-128, 127, 0], dtype=t.int8), descending=True),
    lambda t: t.sort(t.tensor([[True, False, True]]), dim=1, descending=True, stable=True),
    lambda t: t.sort(t.tensor([1.0, NAN, INF, 2.0, -INF, NAN]), descending=True, stable=True),
    lambda t: t.sort(t.tensor([1.0, NAN, INF, 2.0, -INF, NAN]), stable=True),
    lambda t: t.topk(t.tensor([1.0, NAN, INF, 2.0]), 2),
    lambda t: t.topk(t.tensor([1.0, NAN, INF, 2.0]), 2, largest=False),
    lambda t: t.topk(t.tensor(3.0), 1),
], ids=lambda f: "")
def test_sort_descending(expr):
    assert_same(expr)


# -- integer division ----------------------------------------------------------------------------
@pytest.mark.parametrize("expr", [
    lambda t: t.tensor([5, 7]) % t.tensor([0, 2]),
    lambda t: t.fmod(t.tensor([5, 7]), t.tensor([0, 2])),
    lambda t: t.remainder(t.tensor([5, 7]), 0),
    lambda t: t.remainder(5, t.tensor([0, 2])),
    lambda t: t.remainder(t.tensor([5, 7], dtype=t.uint8), t.tensor([0, 2], dtype=t.uint8)),
    lambda t: t.tensor(5) % t.tensor(0),
    lambda t: t.tensor([5, 7]) // 0,
    lambda t: t.div(t.tensor([5, 7]), t.tensor([0, 2]), rounding_mode="floor"),
    lambda t: t.div(t.tensor([5, 7]), t.tensor([0, 2]), rounding_mode="trunc"),
], ids=lambda f: "")
def test_integer_division_by_zero_raises(expr):
    err = assert_same(expr, error=RuntimeError)
    assert "ZeroDivisionError" in str(err)


@pytest.mark.parametrize("expr", [
    lambda t: t.tensor([5.0, -7.0]) % 0,
    lambda t: t.fmod(t.tensor([5.0, -7.0]), 0),
    lambda t: t.div(t.tensor([5.0, -7.0, 0.0]), 0.0, rounding_mode="floor"),
    lambda t: t.div(t.tensor(2**62 + 1), 3, rounding_mode="floor"),
    lambda t: t.div(t.tensor([2**62 + 1, -2**62 - 1, 7, -7]), t.tensor(3), rounding_mode="trunc"),
    lambda t: t.div(t.tensor([-(2**62) - 1, 2**62 + 1]), -3, rounding_mode="floor"),
    lambda t: t.div(t.tensor([5, 250], dtype=t.uint8), 2, rounding_mode="floor"),
    lambda t: t.div(t.tensor([5, -7]), 2.5, rounding_mode="floor"),
    lambda t: t.tensor(300) / t.tensor([2, 3], dtype=t.uint8),
    lambda t: t.tensor(-5) / t.tensor([2, 3], dtype=t.uint8),
    lambda t: t.tensor(256) / t.tensor([2, 4], dtype=t.uint8),
    lambda t: t.tensor(5) // t.tensor([2, 3], dtype=t.uint8),
    lambda t: t.tensor(300) + t.tensor([2, 3], dtype=t.uint8),
    lambda t: t.tensor(3, dtype=t.uint8) + t.tensor([2, 3], dtype=t.int8),
    lambda t: t.tensor([True, False]) / t.tensor([2, 3]),
], ids=lambda f: "")
def test_division_and_promotion(expr):
    assert_same(expr)


# -- float16 statistics, overflow near the top of float32 ----------------------------------------
def _h(t, shape, base=300.0):
    n = math.prod(shape)
    return (t.full((n,), base) + t.arange(n) % 7).reshape(shape).to(t.float16)


@pytest.mark.parametrize("expr", [
    lambda t: t.nn.functional.layer_norm(_h(t, (2, 400)), (400,)),
    lambda t: t.nn.functional.layer_norm(_h(t, (2, 8)), (8,), t.full((8,), 1.5).half(), t.full((8,), 0.25).half()),
    lambda t: t.nn.functional.group_norm(_h(t, (2, 4, 300)), 2),
    lambda t: t.nn.functional.rms_norm(_h(t, (2, 800)), (800,)),
    lambda t: t.nn.functional.normalize(_h(t, (2, 800))),
    lambda t: t.nn.functional.batch_norm(_h(t, (4, 3)), t.full((3,), 299.0).half(), t.full((3,), 4.0).half()),
    lambda t: t.norm(_h(t, (2, 8))),
    lambda t: t.std(t.tensor([300.0, -300.0], dtype=t.float16)),
    lambda t: t.hypot(t.tensor([300.0], dtype=t.float16), t.tensor([300.0], dtype=t.float16)),
    lambda t: t.std(t.tensor([2e38, -2e38])),
    lambda t: t.std(t.tensor([1e38, -1e38, 3e38])),
    lambda t: t.std_mean(t.tensor([[2e38, -2e38]]), dim=1),
    lambda t: t.var(t.tensor([2e18, -2e18])),
    lambda t: t.hypot(t.tensor([2e38, 3.0]), t.tensor([2e38, 4.0])),
    lambda t: t.atan2(t.tensor([1.0]), t.tensor([2.0], dtype=t.float16)),
    lambda t: t.atan2(t.tensor([1.0], dtype=t.float16), t.tensor([2.0])),
], ids=lambda f: "")
def test_wide_accumulation(expr):
    assert_same(expr)


def test_float16_batch_norm_training_is_not_zero():
    # PyTorch's own float16 batch norm rounds its affine step in float16: compare loosely, and
    # check the result is the float32 computation rounded once.
    def f(t):
        rm, rv = t.zeros(3, dtype=t.float16), t.ones(3, dtype=t.float16)
        y = t.nn.functional.batch_norm(_h(t, (400, 3)), rm, rv, training=True)
        return y, rm, rv
    assert_same(f, tol=1e-2)
    x = _h(ember, (400, 3))
    y = ember.nn.functional.batch_norm(x, None, None, training=True)
    ref = ember.nn.functional.batch_norm(x.float(), None, None, training=True).half()
    assert np.array_equal(y.numpy(), ref.numpy()) and np.abs(y.numpy()).max() > 1


def test_float16_layer_norm_gradient_flows_in_float32():
    x = _h(ember, (2, 8)).requires_grad_()
    ember.nn.functional.layer_norm(x, (8,)).sum().backward()
    assert x.grad.dtype == ember.float16 and np.isfinite(x.grad.numpy()).all()


# -- dtypes and shapes of small results ---------------------------------------------------------
@pytest.mark.parametrize("expr", [
    lambda t: t.any(t.tensor([0, 2], dtype=t.uint8)),
    lambda t: t.all(t.tensor([[0, 2]], dtype=t.uint8), dim=1),
    lambda t: t.tensor([[0, 2]], dtype=t.uint8).any(dim=0, keepdim=True),
    lambda t: t.any(t.tensor([0, 2], dtype=t.int32)),
    lambda t: t.square(t.tensor([True, False])),
    lambda t: t.square(t.tensor([3, 20], dtype=t.uint8)),
    lambda t: t.sgn(t.tensor([NAN, -0.0, 2.0, -INF])),
    lambda t: t.sign(t.tensor([True, False])),
    lambda t: t.sign(t.tensor(NAN)),
    lambda t: t.nan_to_num(t.tensor([NAN, INF, -INF], dtype=t.float16)),
    lambda t: t.nan_to_num(t.tensor([NAN, INF, -INF]), 1.0, 1e6, -1e6),
    lambda t: t.cumsum(t.tensor(True), 0),
    lambda t: t.cumprod(t.tensor(3, dtype=t.uint8), 0),
    lambda t: t.chunk(t.zeros(0), 3),
    lambda t: t.zeros(0, 4).chunk(3, dim=0),
    lambda t: t.split(t.zeros(0), 2),
    lambda t: t.split(t.zeros(0), 0),
    lambda t: t.tensor_split(t.zeros(0), 3),
    lambda t: t.chunk(t.zeros(6), 4),
    lambda t: t.zeros(0).median(),
    lambda t: t.tensor(2.0).median(dim=0),
], ids=lambda f: "")
def test_small_results(expr):
    assert_same(expr)


def _cumprod_grad(values, dim):
    def f(t):
        x = t.tensor(values, requires_grad=True)
        g = t.arange(float(x.numel())).reshape(x.shape)
        t.cumprod(x, dim).backward(g)
        return x.grad
    return f


@pytest.mark.parametrize("values,dim", [
    ([[1.0, NAN, 2.0], [0.0, NAN, 3.0], [2.0, 3.0, INF]], 1),
    ([[1.0, NAN, 0.0], [0.0, 1.0, NAN]], 1),
    ([[1.0, INF, 0.0], [0.0, 1.0, 2.0]], 1),
    ([[1.0, 2, 0, 3, 0, 5], [0, 0, 2, 3, 4, 5], [2, 3, 4, 0, 1, 1]], 1),
    ([[1.0, 2, 0], [0, 0, 2], [NAN, 3, 4]], 0),
    ([[NAN], [2.0]], 1),
])
def test_cumprod_gradient_with_nan_inf_and_zeros(values, dim):
    assert_same(_cumprod_grad(values, dim))


# -- errors: PyTorch's types, not NumPy's ----------------------------------------------------------
@pytest.mark.parametrize("expr,error", [
    (lambda t: t.tensor(1.0).sum(dim=5), IndexError),
    (lambda t: t.tensor(1.0).sum(dim=1), IndexError),
    (lambda t: t.tensor(1.0).mean(dim=-2), IndexError),
    (lambda t: t.zeros(0).argmax(), IndexError),
    (lambda t: t.zeros(0, 3).argmin(dim=0), IndexError),
    (lambda t: t.zeros(0, 2).median(dim=0), IndexError),
    (lambda t: t.mv(t.zeros(2, 3, 4), t.zeros(4)), RuntimeError),
    (lambda t: t.mv(t.zeros(2, 3), t.zeros(4)), RuntimeError),
    (lambda t: t.chunk(t.tensor(1.0), 2), RuntimeError),
    (lambda t: t.split(t.tensor(1.0), 2), RuntimeError),
    (lambda t: t.split(t.zeros(3), 0), RuntimeError),
    (lambda t: t.chunk(t.zeros(3), 0), RuntimeError),
    (lambda t: t.unbind(t.tensor(1.0)), IndexError),
], ids=lambda f: "")
def test_errors_are_pytorchs(expr, error):
    assert_same(expr, error=error)


def test_valid_dims_of_a_0d_tensor_still_work():
    for d in (0, -1):
        assert_same(lambda t: t.tensor(2.0).sum(dim=d))
        assert_same(lambda t: t.tensor(2.0).argmax(dim=d))
