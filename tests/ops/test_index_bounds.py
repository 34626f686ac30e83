"""Negative and out-of-range indices in every op that takes an index tensor, against PyTorch.

NumPy wraps a negative index around silently; PyTorch raises in most of these ops (and not in all:
``index_fill``, ``index_put``, ``t[i]``, ``take`` and ``put`` count negatives from the end, and
``take_along_dim`` with a ``dim`` wraps every index modulo the size). ember must do what torch does:
the same error type where torch raises, the same numbers where it does not.
"""
import pytest

from tests.both import run_both, same

pytestmark = [pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter"),
              pytest.mark.filterwarnings("ignore:index_reduce")]


def _x(t):
    return t.arange(8.).reshape(4, 2)


def _i2(t, v):
    return t.tensor([[0, v], [1, 2]])


def _i1(t, v):
    return t.tensor([0, v])


def _f(t):
    return t.nn.functional


CASES = {
    "gather": lambda t, v: t.gather(_x(t), 0, _i2(t, v)),
    "gather_method": lambda t, v: _x(t).gather(0, _i2(t, v)),
    "scatter_src": lambda t, v: t.scatter(_x(t), 0, _i2(t, v), t.ones(2, 2)),
    "scatter_value": lambda t, v: t.scatter(_x(t), 0, _i2(t, v), 5.0),
    "scatter_reduce_add": lambda t, v: t.scatter(_x(t), 0, _i2(t, v), t.ones(2, 2), reduce="add"),
    "scatter_inplace": lambda t, v: _x(t).scatter_(0, _i2(t, v), t.ones(2, 2)),
    "scatter_add": lambda t, v: t.scatter_add(_x(t), 0, _i2(t, v), t.ones(2, 2)),
    "scatter_add_inplace": lambda t, v: _x(t).scatter_add_(0, _i2(t, v), t.ones(2, 2)),
    "index_select": lambda t, v: t.index_select(_x(t), 0, _i1(t, v)),
    "index_add": lambda t, v: t.index_add(_x(t), 0, _i1(t, v), t.ones(2, 2)),
    "index_add_inplace": lambda t, v: _x(t).index_add_(0, _i1(t, v), t.ones(2, 2)),
    "index_copy": lambda t, v: t.index_copy(_x(t), 0, _i1(t, v), t.ones(2, 2)),
    "index_copy_inplace": lambda t, v: _x(t).index_copy_(0, _i1(t, v), t.ones(2, 2)),
    "index_fill": lambda t, v: t.index_fill(_x(t), 0, _i1(t, v), 3.0),
    "index_put": lambda t, v: t.index_put(_x(t), (_i1(t, v),), t.ones(2)),
    "index_put_accumulate": lambda t, v: t.index_put(_x(t), (_i1(t, v),), t.ones(2), accumulate=True),
    "index_put_inplace": lambda t, v: _x(t).index_put_((_i1(t, v),), t.ones(2)),
    "setitem": lambda t, v: _x(t).__setitem__(_i1(t, v), 1.0),
    "getitem": lambda t, v: _x(t)[_i1(t, v)],
    "take": lambda t, v: t.take(_x(t), _i1(t, 2 * v)),
    "take_along_dim": lambda t, v: t.take_along_dim(_x(t), _i2(t, v), 0),
    "take_along_dim_flat": lambda t, v: t.take_along_dim(_x(t), _i1(t, 2 * v)),
    "embedding": lambda t, v: _f(t).embedding(_i1(t, v), t.ones(4, 3)),
    "embedding_bag": lambda t, v: _f(t).embedding_bag(_i1(t, v), t.ones(4, 3), t.tensor([0])),
    "nll_loss": lambda t, v: _f(t).nll_loss(t.zeros(2, 4), _i1(t, v)),
    "cross_entropy": lambda t, v: _f(t).cross_entropy(t.zeros(2, 4), _i1(t, v)),
    "cross_entropy_2d": lambda t, v: _f(t).cross_entropy(t.zeros(2, 4, 1), t.tensor([[0], [v]])),
    "nll_loss_ignored": lambda t, v: _f(t).nll_loss(t.zeros(2, 4), _i1(t, v), ignore_index=v),
    "one_hot": lambda t, v: _f(t).one_hot(_i1(t, v), 4),
    "bincount": lambda t, v: t.bincount(_i1(t, v)),
}
for _r in ("sum", "prod", "mean", "amax", "amin"):
    CASES[f"scatter_reduce_{_r}"] = lambda t, v, r=_r: t.scatter_reduce(_x(t), 0, _i2(t, v), t.ones(2, 2), r)
    CASES[f"scatter_reduce_{_r}_no_self"] = lambda t, v, r=_r: t.scatter_reduce(
        _x(t), 0, _i2(t, v), t.ones(2, 2), r, include_self=False)
CASES["put"] = lambda t, v: _x(t).put(_i1(t, 2 * v), t.ones(2))
CASES["put_accumulate"] = lambda t, v: _x(t).put(_i1(t, 2 * v), t.ones(2), accumulate=True)
CASES["put_inplace"] = lambda t, v: _x(t).put_(_i1(t, 2 * v), t.ones(2))
CASES["put_function"] = lambda t, v: t.put(_x(t), _i1(t, 2 * v), t.ones(2))
CASES["index_reduce"] = lambda t, v: _x(t).index_reduce(0, _i1(t, v), t.ones(2, 2), "prod")


@pytest.mark.parametrize("value", [-1, -4, -5, 3, 4, 9])
@pytest.mark.parametrize("name", sorted(CASES))
def test_index_ops_match_torch_on_negative_and_out_of_range_indices(name, value):
    t_res, e_res = run_both(lambda lib: CASES[name](lib, value))
    ok, why = same(t_res, e_res)
    assert ok, why
    if isinstance(t_res, Exception):
        assert type(e_res) is type(t_res), f"torch raises {type(t_res).__name__}, ember {type(e_res).__name__}"


ERRORS = {  # ember's message names the bad index, its dimension and the size
    "gather": (-1, "index -1 is out of bounds for dimension 0 with size 4"),
    "scatter_src": (-5, "index -5 is out of bounds for dimension 0 with size 4"),
    "scatter_add": (4, "index 4 is out of bounds for dimension 0 with size 4"),
    "scatter_reduce_prod": (-1, "index -1 is out of bounds for dimension 0 with size 4"),
    "index_add": (-1, "index -1 is out of bounds for dimension 0 with size 4"),
    "index_select": (-1, "index -1 is out of range for dimension 0 with size 4"),
    "index_copy": (-1, "index -1 is out of bounds for dimension 0 with size 4"),
    "index_put": (-5, "index -5 is out of bounds for dimension 0 with size 4"),
    "take": (4, "tried to access index 8 on a tensor of 8 elements"),
    "put": (-5, "tried to access index -10 on a tensor of 8 elements"),
    "take_along_dim_flat": (-1, "index -2 is out of bounds for dimension 0 with size 8"),
    "embedding_bag": (-1, "Index 1 of input takes value -1 which is not in the valid range [0, 4)"),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_the_error_names_the_bad_index(name):
    value, text = ERRORS[name]
    _, e_res = run_both(lambda lib: CASES[name](lib, value))
    assert isinstance(e_res, Exception) and text in str(e_res), repr(e_res)


def test_the_first_bad_index_is_reported_not_the_largest():
    import ember
    with pytest.raises(RuntimeError, match="index -7 is out of bounds for dimension 1 with size 3"):
        ember.gather(ember.zeros(2, 3), 1, ember.tensor([[0, -7], [2, 1]]))
    with pytest.raises(RuntimeError, match="index 5 is out of bounds for dimension 1 with size 3"):
        ember.gather(ember.zeros(2, 3), 1, ember.tensor([[0, 5], [-7, 1]]))


@pytest.mark.parametrize("value", [-9, -1, 4, 7, 100])
def test_take_along_dim_wraps_indices_as_torch(value):
    t_res, e_res = run_both(lambda t: t.take_along_dim(t.arange(12.).reshape(4, 3), t.tensor([[value, 1, 2]]), 0))
    ok, why = same(t_res, e_res)
    assert ok, why


@pytest.mark.parametrize("accumulate", [False, True])
def test_put_matches_torch_values_and_gradients(accumulate):
    import numpy as np
    import torch

    import ember
    out = []
    for lib in (torch, ember):
        x = lib.arange(6.).reshape(2, 3).requires_grad_()
        s = lib.tensor([10., 20., 30.], requires_grad=True)
        y = x.put(lib.tensor([1, -1, 4]), s, accumulate=accumulate)
        (y * lib.arange(6.).reshape(2, 3)).sum().backward()
        z = x.detach().clone()
        z.put_(lib.tensor([4, -6]), lib.tensor([7., 8.]), accumulate=accumulate)
        out.append((y.detach().numpy(), x.grad.numpy(), s.grad.numpy(), z.numpy()))
    for a, b in zip(*out):
        np.testing.assert_allclose(a, b)


def test_scatter_with_an_unknown_reduce_is_torchs_runtime_error():
    from tests.both import assert_same
    assert_same(lambda t: t.zeros(3).scatter(0, t.tensor([0]), t.ones(1), reduce="mean"), error=RuntimeError)
