"""grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian against torch.func on the same functions."""
import pytest
import torch

import ember
from ember import func as ef

from ._pair import assert_close, raises_like, to_ember

tf = torch.func


def _inputs(*shapes):
    return tuple(torch.randn(*s, dtype=torch.float64) for s in shapes)


def f_scalar(lib):
    return lambda x: (lib.sin(x) * x ** 2).sum()


def f_two(lib):
    return lambda x, y: (lib.tanh(x @ y) ** 2).sum() + (x * x).mean()


def f_vec(lib):
    return lambda x, y: lib.exp(x) * y.sum() + x ** 3


def test_grad_matches_torch_for_int_and_tuple_argnums():
    x, y = _inputs((3, 4), (4, 2))
    assert_close(ef.grad(f_two(ember))(*to_ember((x, y))), tf.grad(f_two(torch))(x, y))
    for argnums in [1, (0, 1), (1, 0), -1]:
        assert_close(ef.grad(f_two(ember), argnums=argnums)(*to_ember((x, y))),
                     tf.grad(f_two(torch), argnums=argnums)(x, y))


def test_grad_and_value_and_has_aux():
    x, = _inputs((5,))

    def make(lib):
        return lambda x: ((x ** 2).sum(), {"m": x.mean(), "s": lib.sin(x)})

    e, t = ef.grad_and_value(make(ember), has_aux=True)(to_ember(x)), tf.grad_and_value(make(torch), has_aux=True)(x)
    assert_close(e, t)
    assert_close(ef.grad(make(ember), has_aux=True)(to_ember(x)), tf.grad(make(torch), has_aux=True)(x))
    g, v = ef.grad_and_value(f_scalar(ember))(to_ember(x))
    assert not g.requires_grad and not v.requires_grad


def test_grad_over_a_dict_of_tensors():
    p = {"w": torch.randn(3, 2, dtype=torch.float64), "b": (torch.randn(2, dtype=torch.float64),)}
    x, = _inputs((4, 3))

    def make(lib):
        return lambda p, x: lib.tanh(x @ p["w"] + p["b"][0]).pow(2).sum()

    assert_close(ef.grad(make(ember))(to_ember(p), to_ember(x)), tf.grad(make(torch))(p, x))


def test_grad_of_grad_and_unused_inputs_give_zeros():
    x = torch.tensor(0.7, dtype=torch.float64)
    e = ef.grad(ef.grad(ef.grad(lambda x: ember.sin(x) * x)))(to_ember(x))
    t = tf.grad(tf.grad(tf.grad(lambda x: torch.sin(x) * x)))(x)
    assert_close(e, t)
    a, b = _inputs((3,), (3,))
    assert_close(ef.grad(lambda a, b: (a ** 2).sum(), argnums=(0, 1))(*to_ember((a, b))),
                 tf.grad(lambda a, b: (a ** 2).sum(), argnums=(0, 1))(a, b))


def test_grad_result_stays_differentiable_for_ordinary_autograd():
    x = torch.randn(4, dtype=torch.float64, requires_grad=True)
    xe = to_ember(x).requires_grad_()
    ge = ef.grad(f_scalar(ember))(xe)
    gt = tf.grad(f_scalar(torch))(x)
    assert ge.requires_grad and gt.requires_grad
    ge.sum().backward()
    gt.sum().backward()
    assert_close(xe.grad, x.grad)
    # ... and a parameter captured by the function (not an argument) gets its gradient too
    w = torch.randn(4, dtype=torch.float64, requires_grad=True)
    we = to_ember(w).requires_grad_()
    x2, = _inputs((4,))
    ef.grad(lambda x: (ember.sin(x * we) ** 2).sum())(to_ember(x2)).pow(2).sum().backward()
    tf.grad(lambda x: (torch.sin(x * w) ** 2).sum())(x2).pow(2).sum().backward()
    assert_close(we.grad, w.grad)


def test_grad_under_no_grad_still_differentiates():
    x, = _inputs((3,))
    with ember.no_grad():
        e = ef.grad(f_scalar(ember))(to_ember(x))
    with torch.no_grad():
        t = tf.grad(f_scalar(torch))(x)
    assert_close(e, t)


def test_vjp_matches_torch_with_structured_outputs():
    x, y = _inputs((3, 4), (4,))

    def make(lib):
        return lambda x, y: {"a": lib.sin(x) * y, "b": (x.sum(), x @ y)}

    e_out, e_fn = ef.vjp(make(ember), *to_ember((x, y)))
    t_out, t_fn = tf.vjp(make(torch), x, y)
    assert_close(e_out, t_out)
    cot = {"a": torch.randn(3, 4, dtype=torch.float64), "b": (torch.tensor(2.0, dtype=torch.float64),
                                                             torch.randn(3, dtype=torch.float64))}
    assert_close(e_fn(to_ember(cot)), t_fn(cot))
    assert_close(e_fn(to_ember(cot)), t_fn(cot))       # vjp_fn can be called again


def test_vjp_has_aux():
    x, = _inputs((3,))
    e = ef.vjp(lambda x: (ember.exp(x), x.sum()), to_ember(x), has_aux=True)
    t = tf.vjp(lambda x: (torch.exp(x), x.sum()), x, has_aux=True)
    assert_close((e[0], e[2]), (t[0], t[2]))
    v = torch.randn(3, dtype=torch.float64)
    assert_close(e[1](to_ember(v)), t[1](v))


def test_jvp_matches_torch():
    x, y = _inputs((3, 4), (3, 4))
    tx, ty = _inputs((3, 4), (3, 4))

    def make(lib):
        return lambda x, y: (lib.sin(x) * y, (x * y).sum())

    assert_close(ef.jvp(make(ember), to_ember((x, y)), to_ember((tx, ty))), tf.jvp(make(torch), (x, y), (tx, ty)))
    e = ef.jvp(lambda x: (x ** 2, x.mean()), to_ember((x,)), to_ember((tx,)), has_aux=True)
    t = tf.jvp(lambda x: (x ** 2, x.mean()), (x,), (tx,), has_aux=True)
    assert_close(e, t)
    # an output that does not depend on the input: zero tangent
    assert_close(ef.jvp(lambda x: x * 0 + ember.ones(()), to_ember((x,)), to_ember((tx,))),
                 tf.jvp(lambda x: x * 0 + torch.ones(()), (x,), (tx,)))


@pytest.mark.parametrize("name", ["jacrev", "jacfwd"])
def test_jacobians_match_torch(name):
    x, y = _inputs((3,), (2, 3))
    e_jac, t_jac = getattr(ef, name), getattr(tf, name)
    assert_close(e_jac(f_vec(ember))(*to_ember((x, y))), t_jac(f_vec(torch))(x, y))
    assert_close(e_jac(f_vec(ember), argnums=(0, 1))(*to_ember((x, y))), t_jac(f_vec(torch), argnums=(0, 1))(x, y))

    def structured(lib):
        return lambda p: {"u": lib.sin(p["a"]) * p["b"].sum(), "v": (p["a"] ** 2).sum()}

    p = {"a": x, "b": y}
    assert_close(e_jac(structured(ember))(to_ember(p)), t_jac(structured(torch))(p))
    assert_close(e_jac(lambda x: (x.exp(), x.sum()), has_aux=True)(to_ember(x)),
                 t_jac(lambda x: (x.exp(), x.sum()), has_aux=True)(x))


def test_hessian_and_nested_jacobians_match_torch():
    x, y = _inputs((4,), (4,))
    assert_close(ef.hessian(f_scalar(ember))(to_ember(x)), tf.hessian(f_scalar(torch))(x))
    assert_close(ef.hessian(lambda x, y: (ember.sin(x) * y).sum() * (x * y).sum(), argnums=(0, 1))(*to_ember((x, y))),
                 tf.hessian(lambda x, y: (torch.sin(x) * y).sum() * (x * y).sum(), argnums=(0, 1))(x, y))
    assert_close(ef.jacrev(ef.jacrev(lambda x: ember.sin(x) * x.sum()))(to_ember(x)),
                 tf.jacrev(tf.jacrev(lambda x: torch.sin(x) * x.sum()))(x))
    assert_close(ef.jacfwd(ef.grad(f_scalar(ember)))(to_ember(x)), tf.jacfwd(tf.grad(f_scalar(torch)))(x))


def test_hessian_vector_product_as_in_the_tutorial():
    x, v = _inputs((5,), (5,))

    def hvp(func, grad, jvp):
        return lambda x, v: jvp(grad(func), (x,), (v,))[1]

    assert_close(hvp(f_scalar(ember), ef.grad, ef.jvp)(*to_ember((x, v))),
                 hvp(f_scalar(torch), tf.grad, tf.jvp)(x, v))


def test_float32_numbers():
    x = torch.randn(3, 5)
    w = torch.randn(5, 2)
    assert_close(ef.jacrev(lambda x, w: ember.tanh(x @ w), argnums=1)(*to_ember((x, w))),
                 tf.jacrev(lambda x, w: torch.tanh(x @ w), argnums=1)(x, w))
    assert_close(ef.grad(lambda x: ember.log_softmax(x, 1)[:, 0].sum())(to_ember(x)),
                 tf.grad(lambda x: torch.log_softmax(x, 1)[:, 0].sum())(x))


ERRORS = [
    ("grad of a non-scalar", lambda F, L, x: F.grad(lambda a: a)(x)),
    ("grad of a number", lambda F, L, x: F.grad(lambda a: 1.0)(x)),
    ("argnum out of range", lambda F, L, x: F.grad(L.sin, argnums=1)(x)),
    ("empty argnums", lambda F, L, x: F.grad(lambda a, b: (a * b).sum(), argnums=())(x, x)),
    ("float argnums", lambda F, L, x: F.grad(lambda a: a.sum(), argnums=0.5)(x)),
    ("repeated argnums", lambda F, L, x: F.grad(lambda a, b: a.sum(), argnums=(0, 0))(x, x)),
    ("aux not a pair", lambda F, L, x: F.grad(lambda a: a.sum(), has_aux=True)(x)),
    ("integer input", lambda F, L, x: F.grad(lambda a: a.sum())(L.ones(3, dtype=L.long))),
    ("number as differentiated argument", lambda F, L, x: F.grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(x, 2.0)),
    ("jvp primals not a tuple", lambda F, L, x: F.jvp(L.sin, x, x)),
    ("jvp structure", lambda F, L, x: F.jvp(L.add, (x, x), (x,))),
    ("jvp tangent shape", lambda F, L, x: F.jvp(L.sin, (x,), (L.ones(3, 3),))),
    ("vjp cotangent shape", lambda F, L, x: F.vjp(L.sin, x)[1](L.ones(3, 3))),
    ("vjp cotangent structure", lambda F, L, x: F.vjp(lambda a: (a, a), x)[1](x)),
    ("vjp of a number", lambda F, L, x: F.vjp(lambda a: 1.0, x)),
    ("jacrev of an integer output", lambda F, L, x: F.jacrev(lambda a: a.long())(x)),
    ("jacrev chunk_size 0", lambda F, L, x: F.jacrev(L.sin, chunk_size=0)(x)),
    ("in-place write into the differentiated input", lambda F, L, x: F.grad(lambda a: a.mul_(2).sum())(x)),
    ("aux that is not a tensor", lambda F, L, x: F.grad(lambda a: (a.sum(), 1), has_aux=True)(x)),
    ("vjp aux None", lambda F, L, x: F.vjp(lambda a: (a * 2, None), x, has_aux=True)),
    ("jvp integer tangent", lambda F, L, x: F.jvp(L.sin, (x,), (L.ones(2, 3, dtype=L.long),))),
    ("jacfwd random op", lambda F, L, x: F.jacfwd(lambda a: a * L.rand(3))(L.ones(3))),
]


@pytest.mark.parametrize("case", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors_as_torch(case):
    _, call = case
    x = torch.randn(2, 3)
    e_msg, t_msg = raises_like(lambda: call(ef, ember, to_ember(x)), lambda: call(tf, torch, x))
    assert e_msg


def test_messages_match_torch_where_they_name_the_problem():
    x = torch.randn(2, 3)
    e_msg, t_msg = raises_like(lambda: ef.grad(lambda a: a)(to_ember(x)), lambda: tf.grad(lambda a: a)(x))
    assert e_msg == t_msg
    e_msg, t_msg = raises_like(lambda: ef.grad(ember.sin, argnums=1)(to_ember(x)),
                               lambda: tf.grad(torch.sin, argnums=1)(x))
    assert e_msg == t_msg


def test_jacfwd_with_randomness_same_runs():
    out = ef.jacfwd(lambda a: a * ember.rand(3), randomness="same")(ember.ones(3))
    assert out.shape == (3, 3)
    with pytest.raises(RuntimeError, match="randomness"):
        ef.jacfwd(ember.sin, randomness="foo")


def test_hessian_over_a_dict_of_parameters():
    p = {"a": torch.randn(2, dtype=torch.float64), "b": torch.randn(3, dtype=torch.float64)}

    def make(lib):
        return lambda p: (lib.sin(p["a"]).sum() * (p["b"] ** 2).sum())

    assert_close(ef.hessian(make(ember))(to_ember(p)), tf.hessian(make(torch))(p))


def test_vmap_of_grad_with_aux_and_two_argnums():
    x, w = torch.randn(5, 3, dtype=torch.float64), torch.randn(3, dtype=torch.float64)

    def make(F, lib):
        def loss(w, x):
            y = lib.tanh(x @ w)
            return y ** 2, {"y": y}
        return F.vmap(F.grad(loss, argnums=(0, 1), has_aux=True), in_dims=(None, 0))

    assert_close(make(ef, ember)(*to_ember((w, x))), make(tf, torch)(w, x))
