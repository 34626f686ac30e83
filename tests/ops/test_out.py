"""``out=`` and other keyword arguments vs PyTorch: each one works as in torch or raises
NotImplementedError naming it; none is accepted and ignored."""
import warnings

import numpy as np
import pytest
import torch

import ember
from tests.oracle import assert_close
from tests.ops._data import rnd

BINARY = ["add", "sub", "mul", "div", "subtract", "multiply", "divide", "true_divide"]


def _pair(shape_a=(3, 4), shape_b=(3, 4), dtype=np.float32):
    return rnd(*shape_a).astype(dtype), (rnd(*shape_b) + 3).astype(dtype)


def _both(fn_name, a, b, out_e, out_t, **kw):
    re = getattr(ember, fn_name)(ember.tensor(a), ember.tensor(b), out=out_e, **kw)
    rt = getattr(torch, fn_name)(torch.tensor(a), torch.tensor(b), out=out_t, **kw)
    return re, rt


@pytest.mark.parametrize("name", BINARY)
def test_binary_out_is_written_and_returned(name):
    a, b = _pair()
    out_e, out_t = ember.zeros(3, 4), torch.zeros(3, 4)
    re, rt = _both(name, a, b, out_e, out_t)
    assert re is out_e and rt is out_t
    assert_close(out_e, out_t)
    assert out_e._version == out_t._version == 1


@pytest.mark.parametrize("kw", [{"alpha": 2}, {"alpha": -0.5}])
@pytest.mark.parametrize("name", ["add", "sub"])
def test_alpha_with_out(name, kw):
    a, b = _pair()
    out_e, out_t = ember.empty(3, 4), torch.empty(3, 4)
    _both(name, a, b, out_e, out_t, **kw)
    assert_close(out_e, out_t)


@pytest.mark.parametrize("mode", [None, "trunc", "floor"])
def test_div_rounding_mode_with_out(mode):
    a, b = _pair()
    out_e, out_t = ember.empty(3, 4), torch.empty(3, 4)
    _both("div", a, b, out_e, out_t, rounding_mode=mode)
    assert_close(out_e, out_t)
    ai, bi = np.array([7, -7, 5]), np.array([2, 2, -3])
    out_e, out_t = ember.empty(3, dtype=ember.int32), torch.empty(3, dtype=torch.int32)
    if mode is None:  # a float result cannot go into an int tensor
        with pytest.raises(RuntimeError):
            torch.div(torch.tensor(ai), torch.tensor(bi), out=out_t)
        with pytest.raises(RuntimeError, match="can't be cast"):
            ember.div(ember.tensor(ai), ember.tensor(bi), out=out_e)
    else:
        _both("div", ai, bi, out_e, out_t, rounding_mode=mode)
        assert_close(out_e, out_t)


def test_out_broadcast_result_and_scalar_operand():
    a, b = _pair((3, 1), (1, 4))
    out_e, out_t = ember.empty(3, 4), torch.empty(3, 4)
    _both("mul", a, b, out_e, out_t)
    assert_close(out_e, out_t)
    out_e, out_t = ember.empty(3, 1), torch.empty(3, 1)
    ember.add(ember.tensor(a), 2.5, out=out_e)
    torch.add(torch.tensor(a), 2.5, out=out_t)
    assert_close(out_e, out_t)


def test_out_aliasing_an_input():
    a = rnd(5)
    xe, xt = ember.tensor(a), torch.tensor(a)
    ember.mul(xe, xe, out=xe)
    torch.mul(xt, xt, out=xt)
    assert_close(xe, xt)


def test_out_view_writes_through_to_its_base():
    a, b = _pair((4,), (4,))
    base_e, base_t = ember.zeros(2, 4), torch.zeros(2, 4)
    ember.add(ember.tensor(a), ember.tensor(b), out=base_e[1])
    torch.add(torch.tensor(a), torch.tensor(b), out=base_t[1])
    assert_close(base_e, base_t)


@pytest.mark.parametrize("out_dtype", ["float64", "float16", "int32", "int8", "uint8", "bool"])
@pytest.mark.parametrize("in_dtype", ["float32", "int64", "bool"])
def test_out_dtype_casting_rules(in_dtype, out_dtype):
    a = np.array([1, 0, 3]).astype(in_dtype)
    out_t = torch.empty(3, dtype=getattr(torch, out_dtype))
    out_e = ember.empty(3, dtype=getattr(ember, out_dtype))
    try:
        torch.add(torch.tensor(a), torch.tensor(a), out=out_t)
    except RuntimeError:
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
            ember.add(ember.tensor(a), ember.tensor(a), out=out_e)
        return
    ember.add(ember.tensor(a), ember.tensor(a), out=out_e)
    assert_close(out_e, out_t)


def test_out_computes_in_the_inputs_dtype_then_casts():
    a = np.array([1 / 3, 2 / 3], np.float32)
    out_e, out_t = ember.empty(2, dtype=ember.float64), torch.empty(2, dtype=torch.float64)
    ember.mul(ember.tensor(a), 3.0, out=out_e)
    torch.mul(torch.tensor(a), 3.0, out=out_t)
    assert_close(out_e, out_t, atol=0, rtol=0)


@pytest.mark.parametrize("out_shape", [(0,), (2,), (2, 2, 2)])
def test_out_of_another_shape_is_resized(out_shape):
    a, b = _pair((3,), (3,))
    out_e, out_t = ember.zeros(*out_shape), torch.zeros(*out_shape)
    with warnings.catch_warnings(record=True) as we:
        warnings.simplefilter("always")
        ember.add(ember.tensor(a), ember.tensor(b), out=out_e)
    with warnings.catch_warnings(record=True) as wt:
        warnings.simplefilter("always")
        torch.add(torch.tensor(a), torch.tensor(b), out=out_t)
    assert_close(out_e, out_t)
    assert len(we) == len(wt) == (1 if int(np.prod(out_shape)) else 0)
    if we:
        assert we[0].category is UserWarning and "resized" in str(we[0].message)
        assert we[0].filename == __file__  # points at the caller


def test_out_into_an_expanded_tensor():
    a = rnd(2, 3)
    out_e = ember.zeros(1, 3).expand(2, 3)
    ember.add(ember.tensor(a), 1.0, out=out_e)
    assert_close(out_e, torch.tensor(a) + 1.0)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div"])
def test_out_with_autograd_raises_like_torch(name):
    a, b = _pair()
    for req_input, req_out in [(True, False), (False, True)]:
        xt = torch.tensor(a, requires_grad=req_input)
        xe = ember.tensor(a).requires_grad_(req_input)
        ot = torch.zeros(3, 4, requires_grad=req_out)
        oe = ember.zeros(3, 4, requires_grad=req_out)
        with pytest.raises(RuntimeError) as et:
            getattr(torch, name)(xt, torch.tensor(b), out=ot)
        with pytest.raises(RuntimeError) as ee:
            getattr(ember, name)(xe, ember.tensor(b), out=oe)
        assert str(ee.value) == str(et.value)


def test_out_with_autograd_is_fine_under_no_grad():
    a, b = _pair()
    xe, oe = ember.tensor(a, requires_grad=True), ember.zeros(3, 4, requires_grad=True)
    with ember.no_grad():
        r = ember.add(xe, ember.tensor(b), out=oe)
    assert r is oe and oe.requires_grad and oe.grad_fn is None
    assert_close(oe.detach(), torch.tensor(a) + torch.tensor(b))


def test_out_must_be_a_tensor():
    with pytest.raises(TypeError) as et:
        torch.add(torch.ones(3), torch.ones(3), out=[0, 0, 0])
    with pytest.raises(TypeError) as ee:
        ember.add(ember.ones(3), ember.ones(3), out=[0, 0, 0])
    assert str(ee.value) == str(et.value)


def test_out_keeps_the_broadcast_error():
    with pytest.raises(RuntimeError):
        torch.add(torch.ones(3), torch.ones(2), out=torch.empty(3))
    with pytest.raises(RuntimeError, match="must match"):
        ember.add(ember.ones(3), ember.ones(2), out=ember.empty(3))


# -- zeros / ones ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["zeros", "ones"])
@pytest.mark.parametrize("out_shape", [(2, 3), (0,), (4,)])
@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
def test_factory_out(name, out_shape, dtype):
    out_e = ember.full(out_shape, 7, dtype=getattr(ember, dtype))
    out_t = torch.full(out_shape, 7, dtype=getattr(torch, dtype))
    re = getattr(ember, name)(2, 3, out=out_e)
    rt = getattr(torch, name)(2, 3, out=out_t)
    assert re is out_e and rt is out_t
    assert_close(out_e, out_t)  # shape, dtype (the out's) and values
    assert out_e._version == 1


@pytest.mark.parametrize("name", ["zeros", "ones"])
def test_factory_out_writes_through_a_view(name):
    base_e, base_t = ember.full((2, 3), 5.0), torch.full((2, 3), 5.0)
    getattr(ember, name)(3, out=base_e[0])
    getattr(torch, name)(3, out=base_t[0])
    assert_close(base_e, base_t)


@pytest.mark.parametrize("name", ["zeros", "ones"])
def test_factory_out_errors(name):
    fe, ft = getattr(ember, name), getattr(torch, name)
    with pytest.raises(RuntimeError, match="does not match dtype of out"):
        ft(2, out=torch.empty(2, dtype=torch.int64), dtype=torch.float32)
    with pytest.raises(RuntimeError, match="does not match dtype of out"):
        fe(2, out=ember.empty(2, dtype=ember.int64), dtype=ember.float32)
    assert fe(2, out=ember.empty(2, dtype=ember.int64), dtype=ember.int64).dtype == ember.int64
    with pytest.raises(TypeError):
        ft(2, out=[0, 0])
    with pytest.raises(TypeError, match="argument 'out' must be Tensor"):
        fe(2, out=[0, 0])
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        ft(2, out=torch.zeros(2, requires_grad=True))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        fe(2, out=ember.zeros(2, requires_grad=True))
    with ember.no_grad():
        leaf = ember.zeros(2, requires_grad=True)
        assert fe(2, out=leaf) is leaf and leaf.requires_grad


@pytest.mark.parametrize("name", ["zeros", "ones"])
def test_factory_out_requires_grad(name):
    out_t, out_e = torch.empty(2), ember.empty(2)
    rt = getattr(torch, name)(2, out=out_t, requires_grad=True)
    re = getattr(ember, name)(2, out=out_e, requires_grad=True)
    assert re is out_e and rt is out_t
    assert re.requires_grad and rt.requires_grad and re.is_leaf


# -- other arguments that used to be accepted and ignored --------------------------------------
def test_div_rejects_an_unknown_rounding_mode():
    with pytest.raises(RuntimeError) as et:
        torch.div(torch.ones(2), 2, rounding_mode="round")
    with pytest.raises(RuntimeError) as ee:
        ember.div(ember.ones(2), 2, rounding_mode="round")
    assert str(ee.value) == str(et.value)


@pytest.mark.parametrize("dim", [None, 1])
def test_norm_dtype(dim):
    a = rnd(3, 4)
    xe, xt = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    re = ember.norm(xe, dim=dim, dtype=ember.float64)
    rt = torch.norm(xt, dim=dim, dtype=torch.float64)
    assert_close(re, rt)
    re.sum().backward()
    rt.sum().backward()
    assert_close(xe.grad, xt.grad)


def test_norm_dtype_errors():
    x64 = rnd(3).astype(np.float64)
    for dt in ["int64", "float32"]:  # not floating point; narrowing
        with pytest.raises(RuntimeError):
            torch.norm(torch.tensor(x64), dtype=getattr(torch, dt))
        with pytest.raises(RuntimeError, match="norm"):
            ember.norm(ember.tensor(x64), dtype=getattr(ember, dt))


def test_repeat_interleave_output_size():
    t = [1, 2, 3]
    assert_close(ember.repeat_interleave(ember.tensor(t), 2, output_size=6),
                 torch.repeat_interleave(torch.tensor(t), 2, output_size=6))
    for bad in (5, 7):
        with pytest.raises(RuntimeError) as et:
            torch.repeat_interleave(torch.tensor(t), 2, output_size=bad)
        with pytest.raises(RuntimeError) as ee:
            ember.repeat_interleave(ember.tensor(t), 2, output_size=bad)
        assert str(ee.value) == str(et.value)
    with pytest.raises(RuntimeError, match="output_size"):
        ember.repeat_interleave(ember.tensor(t), ember.tensor([1, 2, 3]), dim=0, output_size=5)


def test_gather_sparse_grad_is_not_supported():
    x, idx = ember.ones(2, 2), ember.tensor([[0], [1]])
    assert ember.gather(x, 1, idx, sparse_grad=False).shape == (2, 1)
    with pytest.raises(NotImplementedError, match="sparse_grad"):
        ember.gather(x, 1, idx, sparse_grad=True)


def test_clone_memory_format_is_not_supported():
    with pytest.raises(NotImplementedError, match="memory_format"):
        ember.clone(ember.ones(2), memory_format="channels_last")
    assert ember.ones(2).clone().shape == (2,)
