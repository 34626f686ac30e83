"""scatter_reduce(reduce="prod") differentiated twice against PyTorch: inputs without zeros, one zero of
src in a group, a zero of the input and of src in one group, include_self=False, a src larger than the
index; and PyTorch's error when a group holds several zeros of src."""
import numpy as np
import pytest
import torch

import ember
from tests.autograd.second_order import check_second_order

I64 = np.int64


def _prod(dim, include_self=True):
    return lambda x, s, i: x.scatter_reduce(dim, i, s, "prod", include_self=include_self)


def _a(*shape, seed=0):
    return np.random.default_rng(seed).uniform(0.5, 2.0, shape) * np.where(np.arange(np.prod(shape)) % 2, 1, -1
                                                                          ).reshape(shape)


CASES = {
    "no_zeros": (0, _a(3), _a(4, seed=1), np.array([0, 2, 0, 0], I64)),
    "one_zero_in_src": (0, _a(3), np.array([0.0, 1.5, -2.0, 3.0]), np.array([0, 2, 0, 0], I64)),
    "zero_in_input_and_src": (0, np.array([0.0, 2.0, 3.0]), np.array([0.0, 1.5, -2.0, 3.0]),
                              np.array([0, 2, 0, 1], I64)),
    "zero_in_input": (0, np.array([0.0, 2.0, 3.0]), _a(4, seed=1), np.array([0, 2, 0, 1], I64)),
    "two_dims": (1, _a(2, 4), np.array([[1.5, 0.0, 2.0], [0.5, -1.0, 0.0]]), np.array([[0, 0, 3], [2, 2, 2]], I64)),
}


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("name", sorted(CASES))
def test_second_derivatives_as_torch(name, include_self):
    dim, x, s, i = CASES[name]
    fn = _prod(dim, include_self)
    check_second_order(fn, fn, x, s, i)


def test_src_larger_than_index():
    # torch's double backward rejects a src larger than the index; the oracle slices src first
    check_second_order(lambda x, s, i: x.scatter_reduce(1, i, s, "prod"),
                       lambda x, s, i: x.scatter_reduce(1, i, s[:, :2], "prod"),
                       _a(2, 3), np.array([[1.5, 0.0, 2.0], [0.5, -1.0, 4.0]]), np.array([[0, 0], [2, 1]], I64))


@pytest.mark.parametrize("include_self", [True, False])
def test_several_zeros_in_a_group_refuse_the_second_derivative_of_src_as_torch(include_self):
    out = []
    for lib in (torch, ember):
        x = lib.tensor([2.0, 3.0], dtype=lib.float64, requires_grad=True)
        s = lib.tensor([0.0, 0.0, 6.0], dtype=lib.float64, requires_grad=True)
        y = x.scatter_reduce(0, lib.tensor([0, 0, 1]), s, "prod", include_self=include_self)
        gx, gs = lib.autograd.grad(y, (x, s), lib.tensor([1.0, 2.0], dtype=lib.float64), create_graph=True)
        h = lib.autograd.grad((gx * lib.tensor([1.0, 2.0], dtype=lib.float64)).sum(), (x, s), allow_unused=True)
        with pytest.raises(RuntimeError, match="Double backward is unsupported for src when >1 zeros"):
            lib.autograd.grad(gs.sum(), (x, s), allow_unused=True)
        out.append([gx.detach().numpy(), gs.detach().numpy()] + [None if v is None else v.numpy() for v in h])
    for a, b in zip(*out):
        if a is None or b is None:
            assert not np.any(a if a is not None else 0) and not np.any(b if b is not None else 0)
        else:
            np.testing.assert_allclose(b, a)


def test_float32_second_derivative_matches_float64_path():
    x = ember.tensor([1.5, 2.0, 0.0], requires_grad=True)
    s = ember.tensor([2.0, 0.0, 4.0], requires_grad=True)
    y = x.scatter_reduce(0, ember.tensor([0, 2, 0]), s, "prod")
    gx, gs = ember.autograd.grad(y.sum(), (x, s), create_graph=True)
    assert gx.dtype == ember.float32 and gs.dtype == ember.float32
    tx = torch.tensor([1.5, 2.0, 0.0], requires_grad=True)
    ts = torch.tensor([2.0, 0.0, 4.0], requires_grad=True)
    ty = tx.scatter_reduce(0, torch.tensor([0, 2, 0]), ts, "prod")
    tgx, tgs = torch.autograd.grad(ty.sum(), (tx, ts), create_graph=True)
    h = ember.autograd.grad((gx * gx).sum() + (gs * gs).sum(), (x, s))
    th = torch.autograd.grad((tgx * tgx).sum() + (tgs * tgs).sum(), (tx, ts))
    for a, b in zip(h, th):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
