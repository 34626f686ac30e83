"""ember.linalg (and the top-level torch.det / inverse / svd ... forms) against torch.linalg:
values, gradients, second derivatives, and errors."""
import numpy as np
import pytest
import torch

import ember
from tests.autograd.second_order import check_second_order

RNG = np.random.default_rng(0)


def _a(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _spd(*batch, n=3, seed=0):
    a = _a(*batch, n, n, seed=seed)
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _run(lib, fn, arrays, dtype, grad=True):
    ts = [lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    return ts, fn(lib, *ts)


def _outs(out):
    return list(out) if isinstance(out, tuple) else [out]


def compare(fn, *arrays, dtype="float64", grad=True, rtol=None, loss=None):
    """fn(lib, *tensors) in both libraries: outputs equal; with ``grad``, the gradients of
    ``loss(outputs)`` (default: a random weighting of every float output) equal too."""
    rtol = rtol or (1e-9 if dtype == "float64" else 2e-4)
    et, eo = _run(ember, fn, arrays, dtype, grad)
    tt, to = _run(torch, fn, arrays, dtype, grad)
    eo, to = _outs(eo), _outs(to)
    assert len(eo) == len(to)
    for e, t in zip(eo, to):
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=rtol)
    if not grad:
        return
    weights = [RNG.standard_normal(tuple(t.shape)) for t in to]
    if loss is None:
        def loss(lib, outs):
            return sum((o * lib.tensor(w, dtype=o.dtype)).sum() for o, w in zip(outs, weights) if o.requires_grad)
    loss(ember, eo).backward()
    loss(torch, to).backward()
    for e, t in zip(et, tt):
        if t.grad is not None:
            np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=rtol * 10, atol=rtol * 10)


SQUARE = [(3, 3), (2, 4, 4), (1, 1)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", SQUARE)
@pytest.mark.parametrize("name", ["inv", "det", "inverse", "logdet_spd"])
def test_square_functions(name, shape, dtype):
    if name == "inverse":
        compare(lambda lib, a: lib.inverse(a), _a(*shape), dtype=dtype)
    elif name == "logdet_spd":
        compare(lambda lib, a: lib.logdet(a), _spd(*shape[:-2], n=shape[-1]), dtype=dtype)
    else:
        compare(lambda lib, a: getattr(lib.linalg, name)(a), _a(*shape), dtype=dtype)


def test_slogdet_sign_and_logabsdet():
    compare(lambda lib, a: tuple(lib.linalg.slogdet(a)), _a(2, 3, 3))
    sign, logabs = ember.linalg.slogdet(ember.tensor([[0.0, 1.0], [1.0, 0.0]]))
    assert sign.item() == -1.0 and abs(logabs.item()) < 1e-7
    assert np.isnan(ember.logdet(ember.tensor([[0.0, 1.0], [1.0, 0.0]])).item())


def test_det_gradient_of_a_singular_matrix_is_the_cofactor_matrix():
    """d det(A) / dA is the cofactor matrix, non-zero when A has rank n - 1. (PyTorch 2.13 returns
    zeros for this matrix; ember returns the cofactors.)"""
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])   # rank 2
    cof = np.array([[(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) for j in range(3)]
                    for i in range(3)])
    x = ember.tensor(a, requires_grad=True)
    ember.linalg.det(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), cof, atol=1e-12)
    x = ember.tensor(_a(3, 3), requires_grad=True)                     # invertible: det A^-T
    ember.linalg.det(x).backward()
    np.testing.assert_allclose(x.grad.numpy(), np.linalg.det(_a(3, 3)) * np.linalg.inv(_a(3, 3)).T, atol=1e-12)


@pytest.mark.parametrize("b_shape", [(3,), (3, 2), (2, 3), (2, 3, 1), (4, 2, 3, 2)])
def test_solve_matrix_and_vector_right_hand_sides(b_shape):
    a = _a(2, 3, 3) + 3 * np.eye(3) if len(b_shape) != 4 else _a(3, 3) + 3 * np.eye(3)
    compare(lambda lib, a, b: lib.linalg.solve(a, b), a, _a(*b_shape, seed=1))


def test_solve_left_false():
    compare(lambda lib, a, b: lib.linalg.solve(a, b, left=False), _a(3, 3) + 3 * np.eye(3), _a(2, 3, seed=1))


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("unitriangular", [False, True])
@pytest.mark.parametrize("left", [True, False])
def test_solve_triangular(upper, unitriangular, left):
    a = _a(2, 3, 3) + 3 * np.eye(3)
    b = _a(2, 3, 4, seed=1) if left else _a(2, 4, 3, seed=1)
    compare(lambda lib, a, b: lib.linalg.solve_triangular(a, b, upper=upper, left=left, unitriangular=unitriangular),
            a, b)


@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cholesky(upper, dtype):
    compare(lambda lib, a: lib.linalg.cholesky(a, upper=upper), _spd(2, n=4), dtype=dtype)
    compare(lambda lib, a: lib.cholesky(a, upper), _spd(n=3), dtype=dtype)


def _gauge_free(lib, outs):
    """A loss that does not depend on the signs of singular / eigen vectors (they are arbitrary)."""
    w = [lib.tensor(RNG_FIXED.standard_normal(tuple(o.shape)), dtype=o.dtype) for o in outs]
    return sum(((o * o) * wi).sum() if o.ndim >= 2 and i != 1 else (o * wi).sum()
               for i, (o, wi) in enumerate(zip(outs, w)))


RNG_FIXED = np.random.default_rng(3)


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_values_vectors_and_gradients(uplo):
    a = _a(2, 4, 4)
    a = a + np.swapaxes(a, -1, -2)

    def fn(lib, a):
        w, v = lib.linalg.eigh(a, UPLO=uplo)
        return w, v * v.sum(-2, keepdim=True).sign()      # fix each vector's sign as torch's
    global RNG_FIXED
    RNG_FIXED = np.random.default_rng(3)
    et, eo = _run(ember, fn, [a], "float64")
    RNG_FIXED = np.random.default_rng(3)
    tt, to = _run(torch, fn, [a], "float64")
    for e, t in zip(eo, to):
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), atol=1e-9)
    RNG_FIXED = np.random.default_rng(3)
    _gauge_free(ember, list(eo)).backward()
    RNG_FIXED = np.random.default_rng(3)
    _gauge_free(torch, list(to)).backward()
    np.testing.assert_allclose(et[0].grad.numpy(), tt[0].grad.numpy(), atol=1e-8)
    compare(lambda lib, a: lib.linalg.eigvalsh(a, uplo), a)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (2, 3, 3)])
def test_svd_gauge_invariant_gradients(shape):
    a = _a(*shape)

    def fn(lib, a):
        U, S, Vh = lib.linalg.svd(a, full_matrices=False)
        return U @ Vh, S, (U * U), (Vh * Vh)          # products invariant under the sign gauge
    compare(fn, a)
    compare(lambda lib, a: lib.linalg.svdvals(a), a)
    compare(lambda lib, a: lib.svd(a).S, a)


def test_svd_full_matrices_values_and_legacy_form():
    a = _a(4, 3)
    e = ember.linalg.svd(ember.tensor(a))
    t = torch.linalg.svd(torch.tensor(a))
    assert [tuple(x.shape) for x in e] == [tuple(x.shape) for x in t]
    np.testing.assert_allclose(e.S.numpy(), t.S.numpy(), atol=1e-12)
    U, S, V = ember.svd(ember.tensor(a))
    np.testing.assert_allclose((U * S) @ V.mT.numpy() if False else ((U * S) @ V.mT).numpy(), a, atol=1e-12)


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 5, 2)])
def test_qr(shape):
    compare(lambda lib, a: tuple(lib.linalg.qr(a)), _a(*shape))
    e = ember.linalg.qr(ember.tensor(_a(4, 3)), mode="complete")
    t = torch.linalg.qr(torch.tensor(_a(4, 3)), mode="complete")
    np.testing.assert_allclose(e.Q.numpy(), t.Q.numpy(), atol=1e-12)
    np.testing.assert_allclose(e.R.numpy(), t.R.numpy(), atol=1e-12)
    compare(lambda lib, a: tuple(lib.qr(a)), _a(*shape))


@pytest.mark.parametrize("ord", [2, 1, 0, 3.5, float("inf"), float("-inf")])
@pytest.mark.parametrize("dim", [None, 1, (0, 2)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_vector_norm(ord, dim, keepdim):
    x = _a(2, 3, 4)
    x[0, 0, 0] = 0.0
    compare(lambda lib, x: lib.linalg.vector_norm(x, ord, dim, keepdim), x, grad=ord != 0)


@pytest.mark.parametrize("ord", ["fro", "nuc", 2, -2, 1, -1, float("inf"), float("-inf")])
@pytest.mark.parametrize("dim", [(-2, -1), (0, 2), (2, 0)])
@pytest.mark.parametrize("keepdim", [False, True])
def test_matrix_norm(ord, dim, keepdim):
    compare(lambda lib, x: lib.linalg.matrix_norm(x, ord, dim, keepdim), _a(3, 4, 5))


@pytest.mark.parametrize("args", [dict(), dict(ord=2), dict(ord="fro"), dict(ord="nuc"), dict(dim=1),
                                  dict(ord=1, dim=(0, 1)), dict(ord=float("inf"))])
def test_norm_picks_vector_or_matrix_as_torch(args):
    compare(lambda lib, x: lib.linalg.norm(x, **args), _a(3, 4))
    if "dim" not in args and args.get("ord") not in ("fro", "nuc"):
        compare(lambda lib, x: lib.linalg.norm(x, **args), _a(5))


def test_pinv_matrix_rank_cond_and_tolerances():
    a = np.array([[1.0, 2.0], [2.0, 4.0], [0.0, 1e-4]])      # singular values about 5 and 4.5e-5
    for kw in [dict(), dict(rtol=1e-3), dict(atol=1e-3), dict(rtol=1e-6)]:
        compare(lambda lib, a: lib.linalg.pinv(a, **kw), a, grad=False, rtol=1e-6)   # cond 1e5: round-off
        compare(lambda lib, a: lib.linalg.matrix_rank(a, **kw), a, grad=False)
    compare(lambda lib, a: lib.linalg.pinv(a), _a(2, 4, 3))
    compare(lambda lib, a: lib.pinverse(a), _a(3, 4))
    for p in [None, 2, "fro", 1, float("inf")]:
        # (torch 2.13's own backward of cond for the other norms fails: an in-place op on inv's output)
        compare(lambda lib, a: lib.linalg.cond(a, p), _a(3, 3) + 2 * np.eye(3), grad=p in (None, 2))


@pytest.mark.parametrize("n", [0, 1, 2, 5, -1, -3])
def test_matrix_power(n):
    compare(lambda lib, a: lib.linalg.matrix_power(a, n), _a(2, 3, 3) + 2 * np.eye(3), grad=n != 0)


def test_multi_dot_vecdot_cross_diagonal_matmul():
    compare(lambda lib, a, b, c: lib.linalg.multi_dot([a, b, c]), _a(3), _a(3, 4, seed=1), _a(4, 2, seed=2))
    compare(lambda lib, a, b: lib.linalg.vecdot(a, b, dim=0), _a(3, 2), _a(3, 2, seed=1))
    compare(lambda lib, a, b: lib.linalg.cross(a, b), _a(2, 3), _a(2, 3, seed=1))
    compare(lambda lib, a: lib.linalg.diagonal(a, offset=1), _a(2, 3, 4))
    compare(lambda lib, a, b: lib.linalg.matmul(a, b), _a(2, 3), _a(3, 2, seed=1))


def test_top_level_forms():
    compare(lambda lib, a, b: lib.cdist(a, b), _a(2, 4, 3), _a(2, 5, 3, seed=1))
    compare(lambda lib, a, b: lib.cdist(a, b, p=1.0), _a(4, 3), _a(5, 3, seed=1))
    compare(lambda lib, a, b: lib.dist(a, b, 3), _a(4, 3), _a(4, 3, seed=1))
    compare(lambda lib, a: lib.diag_embed(a), _a(2, 3))
    compare(lambda lib, a: lib.det(a), _a(3, 3))
    compare(lambda lib, a: tuple(lib.slogdet(a)), _a(3, 3))


def test_ex_variants_report_instead_of_raising():
    singular = ember.tensor([[1.0, 2.0], [2.0, 4.0]])
    value, info = ember.linalg.inv_ex(singular)
    assert info.item() != 0 and info.dtype == ember.int32
    value, info = ember.linalg.cholesky_ex(ember.tensor(_spd(n=3)))
    assert info.item() == 0
    np.testing.assert_allclose(value.numpy(), np.linalg.cholesky(_spd(n=3)), atol=1e-12)
    with pytest.raises(ember.linalg.LinAlgError):
        ember.linalg.inv_ex(singular, check_errors=True)


@pytest.mark.parametrize("name,arrays", [
    ("inv", [_a(3, 3) + 2 * np.eye(3)]), ("det", [_a(3, 3)]), ("slogdet", [_a(3, 3) + 2 * np.eye(3)]),
    ("solve", [_a(3, 3) + 3 * np.eye(3), _a(3, 2, seed=1)]), ("cholesky", [_a(3, 3)]),
    ("qr", [_a(4, 3)]), ("svdvals", [_a(4, 3)]), ("eigvalsh", [_a(3, 3)]), ("matrix_norm_nuc", [_a(3, 4)]),
])
def test_second_derivatives(name, arrays):
    def make(lib):
        def f(*ts):
            if name == "slogdet":
                return lib.linalg.slogdet(*ts)[1]
            if name == "qr":
                q, r = lib.linalg.qr(*ts)
                return q * r.sum(), r
            if name == "matrix_norm_nuc":
                return lib.linalg.matrix_norm(ts[0], "nuc")
            if name in ("cholesky", "eigvalsh"):     # symmetric inputs (each reads one triangle only)
                return getattr(lib.linalg, name)(ts[0] @ ts[0].mT + 3 * lib.eye(3, dtype=ts[0].dtype))
            return getattr(lib.linalg, name)(*ts)
        return f
    check_second_order(make(ember), make(torch), *arrays)


def test_solve_triangular_second_derivative():
    def make(lib):
        return lambda a, b: lib.linalg.solve_triangular(a, b, upper=True)
    check_second_order(make(ember), make(torch), _a(3, 3) + 3 * np.eye(3), _a(3, 2, seed=1))


@pytest.mark.parametrize("call,error,match", [
    (lambda: ember.linalg.inv(ember.tensor([[1.0, 2.0], [2.0, 4.0]])), ember.linalg.LinAlgError, "singular"),
    (lambda: ember.linalg.inv(ember.ones(2, 3)), RuntimeError, "square"),
    (lambda: ember.linalg.inv(ember.ones(3)), RuntimeError, "at least 2 dimensions"),
    (lambda: ember.linalg.det(ember.ones(2, 2, dtype=ember.int64)), RuntimeError, "floating point"),
    (lambda: ember.linalg.inv(ember.ones(2, 2, dtype=ember.float16)), RuntimeError, "Low precision"),
    (lambda: ember.linalg.cholesky(-ember.eye(2)), ember.linalg.LinAlgError, "positive-definite"),
    (lambda: ember.linalg.solve(ember.eye(3), ember.ones(4)), RuntimeError, "Incompatible shapes"),
    (lambda: ember.linalg.solve(ember.eye(3), ember.ones(3, dtype=ember.float64)), RuntimeError, "same dtype"),
    (lambda: ember.linalg.matrix_norm(ember.ones(3)), RuntimeError, "at least 2 dimensions"),
    (lambda: ember.linalg.matrix_norm(ember.ones(3, 3), ord=3), RuntimeError, "not supported"),
    (lambda: ember.linalg.eigh(ember.eye(2), UPLO="X"), RuntimeError, "UPLO"),
    (lambda: ember.linalg.qr(ember.eye(2), mode="full"), RuntimeError, "unrecognized mode"),
    (lambda: ember.linalg.lstsq(ember.eye(2), ember.eye(2)), NotImplementedError, "lstsq"),
    (lambda: ember.linalg.matrix_power(ember.eye(2), 1.5), TypeError, "int"),
    (lambda: ember.linalg.vector_norm(ember.ones(3, dtype=ember.int64)), RuntimeError, "floating point"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_torch_raises_the_same_kinds():
    """Where the errors above come from torch too (checked, so they stay true)."""
    with pytest.raises(torch.linalg.LinAlgError):
        torch.linalg.inv(torch.tensor([[1.0, 2.0], [2.0, 4.0]]))
    with pytest.raises(torch.linalg.LinAlgError):
        torch.linalg.cholesky(-torch.eye(2))
    assert issubclass(torch.linalg.LinAlgError, RuntimeError) and issubclass(ember.linalg.LinAlgError, RuntimeError)


def test_tensor_methods():
    a = _a(3, 3) + 3 * np.eye(3)
    for name, args in [("det", ()), ("logdet", ()), ("inverse", ()), ("pinverse", ()), ("matrix_power", (3,)),
                       ("diag_embed", ())]:
        compare(lambda lib, x: getattr(x, name)(*args), a)
    compare(lambda lib, x: x.cholesky(), _spd(n=3))
    compare(lambda lib, x, y: x.dist(y, 1), a, _a(3, 3, seed=1))
    compare(lambda lib, x: tuple(x.slogdet()), a)
    compare(lambda lib, x: x.svd().S, a)
    compare(lambda lib, x: tuple(x.qr()), a)
