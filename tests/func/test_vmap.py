"""vmap against torch.vmap: in_dims/out_dims forms, pytrees, nesting, gradients, randomness, errors."""
import numpy as np
import pytest
import torch

import ember
from ember import func as ef

from ._pair import assert_close, raises_like, to_ember

tf = torch.func


def test_torch_vmap_names():
    assert ember.vmap is ef.vmap


@pytest.mark.parametrize("in_dims,out_dims", [(0, 0), (1, 0), (-1, 1), (0, -1), ((0, None), 2), ((None, 0), 0),
                                              ((None, 0), -3)])
def test_in_and_out_dims(in_dims, out_dims):
    x = torch.randn(4, 5, 3)
    w = torch.randn(4, 5, 3)

    def make(lib):
        return lambda a, b: lib.sin(a) * b + a.sum()

    assert_close(ef.vmap(make(ember), in_dims, out_dims)(*to_ember((x, w))),
                 torch.vmap(make(torch), in_dims, out_dims)(x, w))


def test_nested_inputs_and_outputs():
    p = {"w": torch.randn(6, 3, 2), "b": [torch.randn(2), torch.randn(6, 2)]}
    x = torch.randn(6, 3)
    in_dims = ({"w": 0, "b": [None, 0]}, 0)

    def make(lib):
        return lambda p, x: {"y": x @ p["w"] + p["b"][0], "z": (p["b"][1].sum(), x)}

    for out_dims in (0, {"y": 1, "z": (0, 1)}):
        assert_close(ef.vmap(make(ember), in_dims, out_dims)(to_ember(p), to_ember(x)),
                     torch.vmap(make(torch), in_dims, out_dims)(p, x))


def test_nested_vmap_is_an_outer_product():
    a, b = torch.randn(3), torch.randn(4)
    e = ef.vmap(ef.vmap(ember.mul, in_dims=(None, 0)), in_dims=(0, None))(*to_ember((a, b)))
    t = torch.vmap(torch.vmap(torch.mul, in_dims=(None, 0)), in_dims=(0, None))(a, b)
    assert_close(e, t)


def test_kwargs_are_not_mapped_and_non_tensor_args_pass_through():
    x = torch.randn(3, 4)
    assert_close(ef.vmap(lambda a, s, k=1.0: a * s + k, in_dims=(0, None))(to_ember(x), 2.0, k=3.0),
                 torch.vmap(lambda a, s, k=1.0: a * s + k, in_dims=(0, None))(x, 2.0, k=3.0))


def test_out_dims_none_for_an_unbatched_output():
    x, c = torch.randn(3, 4), torch.randn(2)
    assert_close(ef.vmap(lambda a, c: (a * 2, c), in_dims=(0, None), out_dims=(0, None))(*to_ember((x, c))),
                 torch.vmap(lambda a, c: (a * 2, c), in_dims=(0, None), out_dims=(0, None))(x, c))


def test_gradients_flow_through_vmap():
    x = torch.randn(5, 3, requires_grad=True)
    w = torch.randn(3, requires_grad=True)
    xe, we = to_ember(x).requires_grad_(), to_ember(w).requires_grad_()
    (ef.vmap(lambda a, w: ember.tanh(a @ w) * a.sum(), in_dims=(0, None))(xe, we) ** 2).sum().backward()
    (torch.vmap(lambda a, w: torch.tanh(a @ w) * a.sum(), in_dims=(0, None))(x, w) ** 2).sum().backward()
    assert_close((xe.grad, we.grad), (x.grad, w.grad))


def test_vmap_of_jacrev_and_jacrev_of_vmap():
    x = torch.randn(4, 3, dtype=torch.float64)
    assert_close(ef.vmap(ef.jacrev(lambda a: ember.sin(a) * a.sum()))(to_ember(x)),
                 torch.vmap(tf.jacrev(lambda a: torch.sin(a) * a.sum()))(x))
    assert_close(ef.jacrev(ef.vmap(lambda a: ember.sin(a).sum()))(to_ember(x)),
                 tf.jacrev(torch.vmap(lambda a: torch.sin(a).sum()))(x))
    assert_close(ef.vmap(ef.hessian(lambda a: (a ** 3).sum()))(to_ember(x)),
                 torch.vmap(tf.hessian(lambda a: (a ** 3).sum()))(x))


def test_empty_batch():
    x = torch.randn(0, 3)
    assert_close(ef.vmap(lambda a: (a * 2, a[:2]), out_dims=(0, 1))(to_ember(x)),
                 torch.vmap(lambda a: (a * 2, a[:2]), out_dims=(0, 1))(x))
    assert_close(ef.vmap(ember.sin, in_dims=1, out_dims=1)(to_ember(x.T)),
                 torch.vmap(torch.sin, in_dims=1, out_dims=1)(x.T))


def test_batched_in_place_write_is_allowed():
    x, b = torch.randn(3, 4), torch.randn(4)
    xe = to_ember(x)
    assert_close(ef.vmap(lambda a, b: a.add_(b), in_dims=(0, None))(xe, to_ember(b)),
                 torch.vmap(lambda a, b: a.add_(b), in_dims=(0, None))(x, b))
    assert_close(xe, x)


def test_randomness_error_same_different():
    x = ember.zeros(4, 3)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        ef.vmap(lambda a: a + ember.rand(3))(x)
    with pytest.raises(RuntimeError, match="randomness error mode"):
        ef.vmap(lambda a: ember.nn.functional.dropout(a, 0.5))(x)
    same = ef.vmap(lambda a: a + ember.randn(3), randomness="same")(x)
    assert np.all(same.numpy() == same.numpy()[:1])
    ember.manual_seed(3)
    one = ember.rand(3)
    ember.manual_seed(3)
    assert np.array_equal(ef.vmap(lambda a: a + ember.rand(3), randomness="same")(x)[2].numpy(), one.numpy())
    diff = ef.vmap(lambda a: a + ember.rand(3), randomness="different")(x)
    assert len({tuple(r) for r in diff.numpy().tolist()}) == 4
    with pytest.raises(RuntimeError, match="Only allowed values for randomness"):
        ef.vmap(ember.sin, randomness="foo")


def test_randomness_error_leaves_random_ops_working_afterwards():
    with pytest.raises(RuntimeError):
        ef.vmap(lambda a: a + ember.rand(3))(ember.zeros(2, 3))
    ember.manual_seed(0)
    torch.manual_seed(0)
    np.testing.assert_array_equal(ember.rand(4).numpy(), torch.rand(4).numpy())


def test_in_place_write_into_an_unbatched_input_raises():
    a, x = torch.randn(3), torch.randn(2, 3)
    raises_like(lambda: ef.vmap(lambda a, b: a.add_(b), in_dims=(None, 0))(*to_ember((a, x))),
                lambda: torch.vmap(lambda a, b: a.add_(b), in_dims=(None, 0))(a, x))


ERRORS = [
    ("mismatched batch sizes", lambda V, L, x, y: V(L.add)(x, y)),
    ("in_dim out of range", lambda V, L, x, y: V(L.sin, in_dims=2)(x)),
    ("in_dims structure", lambda V, L, x, y: V(L.add, in_dims=(0,))(x, x)),
    ("in_dims float", lambda V, L, x, y: V(L.add, in_dims=(0.5, 0))(x, x)),
    ("in_dims a list", lambda V, L, x, y: V(L.sin, in_dims=[0])(x)),
    ("nothing mapped", lambda V, L, x, y: V(L.add, in_dims=(None, None))(x, x)),
    ("no inputs", lambda V, L, x, y: V(lambda: L.ones(1))()),
    ("returns a number", lambda V, L, x, y: V(lambda a: 1.0)(x)),
    ("returns None", lambda V, L, x, y: V(lambda a: None)(x)),
    ("random op", lambda V, L, x, y: V(lambda a: a + L.rand(3))(x)),
    ("random like", lambda V, L, x, y: V(lambda a: L.rand_like(a))(x)),
    ("out_dims out of range", lambda V, L, x, y: V(L.sin, out_dims=3)(x)),
    ("out_dims structure", lambda V, L, x, y: V(lambda a: (a, a), out_dims=(0, 1, 1))(x)),
    ("out_dims float", lambda V, L, x, y: V(L.sin, out_dims=0.5)(x)),
    ("out_dims None on a batched output", lambda V, L, x, y: V(lambda a: a, out_dims=None)(x)),
    ("mapping a number", lambda V, L, x, y: V(lambda a, s: a * s)(x, 2.0)),
    ("0-d input", lambda V, L, x, y: V(L.sin)(L.ones(()))),
    ("chunk_size 0", lambda V, L, x, y: V(L.sin, chunk_size=0)(x)),
]


@pytest.mark.parametrize("case", ERRORS, ids=[c[0] for c in ERRORS])
def test_errors_as_torch(case):
    _, call = case
    x, y = torch.randn(2, 3), torch.randn(3, 3)
    e_msg, t_msg = raises_like(lambda: call(ef.vmap, ember, *to_ember((x, y))), lambda: call(torch.vmap, torch, x, y))
    if "vmap" in t_msg and "TreeSpec" not in t_msg:
        assert e_msg == t_msg


def test_in_place_write_into_0d_elements_reaches_the_batched_input():
    x = torch.arange(3.0)
    xe = to_ember(x)
    assert_close(ef.vmap(lambda a: a.mul_(2))(xe), torch.vmap(lambda a: a.mul_(2))(x))
    assert_close(xe, x)


def test_checks_are_removed_after_vmap_even_when_the_function_raises():
    from ember import _inplace
    from ember._random import Generator
    from ember.ops.normalization import BatchNormTrain
    before = (Generator.__dict__["_u32"], _inplace._write, BatchNormTrain.__dict__["forward"])

    def boom(a):
        raise KeyError("inside")

    with pytest.raises(KeyError):
        ef.vmap(ef.vmap(boom))(ember.zeros(2, 3))
    assert (Generator.__dict__["_u32"], _inplace._write, BatchNormTrain.__dict__["forward"]) == before


def test_another_threads_random_draws_are_not_vmaps_business():
    import threading
    started, release, drawn = threading.Event(), threading.Event(), []

    def other():
        started.wait(5)
        drawn.append(ember.rand(2))
        release.set()

    t = threading.Thread(target=other)
    t.start()

    def f(a):
        started.set()
        release.wait(5)
        return a * 2

    ef.vmap(f)(ember.zeros(2, 3))
    t.join(5)
    assert len(drawn) == 1


@pytest.mark.parametrize("randomness", ["different", "same"])
def test_random_numbers_follow_torchs_stream(randomness):
    """One element after the other draws what PyTorch's batched draw takes from the same stream."""
    torch.manual_seed(5)
    ember.manual_seed(5)
    t = torch.vmap(lambda a: a + torch.rand(3), randomness=randomness)(torch.zeros(4, 3))
    e = ef.vmap(lambda a: a + ember.rand(3), randomness=randomness)(ember.zeros(4, 3))
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    np.testing.assert_array_equal(ember.rand(2).numpy(), torch.rand(2).numpy())     # the generators stay in step
