"""Special values through max pools (and median): NaN propagates and the position each window
reports is PyTorch's (first maximum, last NaN, never the padding), forward, indices and backward."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F


def _special(shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32).round(1)     # rounding makes ties
    x[rng.random(shape) < 0.2] = np.nan
    x[rng.random(shape) < 0.15] = -np.inf
    x[rng.random(shape) < 0.05] = np.inf
    return x


def _compare(fe, ft, x, seed):
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ye, ie = fe(xe)
    yt, it = ft(xt)
    np.testing.assert_array_equal(ye.detach().numpy(), yt.detach().numpy())   # NaN == NaN here
    np.testing.assert_array_equal(ie.numpy(), it.numpy())
    g = np.random.default_rng(seed).standard_normal(yt.shape).astype(np.float32)
    ye.backward(ember.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), atol=1e-5, rtol=1e-5)


MAX2D = [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1), dict(kernel_size=(2, 3), stride=2, padding=1),
         dict(kernel_size=3, stride=2, ceil_mode=True), dict(kernel_size=2, stride=1, dilation=2, padding=1),
         dict(kernel_size=4, stride=1, padding=2)]


@pytest.mark.parametrize("kw", MAX2D)
@pytest.mark.parametrize("seed", range(4))
def test_max_pool2d_special_values(kw, seed):
    x = _special((2, 3, 7, 6), seed)
    _compare(lambda t: F.max_pool2d(t, return_indices=True, **kw),
             lambda t: TF.max_pool2d(t, return_indices=True, **kw), x, seed)


@pytest.mark.parametrize("seed", range(4))
def test_max_pool1d_special_values(seed):
    x = _special((2, 3, 9), seed)
    _compare(lambda t: F.max_pool1d(t, 3, 2, 1, return_indices=True),
             lambda t: TF.max_pool1d(t, 3, 2, 1, return_indices=True), x, seed)


def test_window_of_minus_inf_next_to_padding_reports_its_first_input():
    """Regression: the -inf padding equals such a window's maximum and used to win."""
    x = np.array([[[[-np.inf, -np.inf], [1.0, np.nan]]]], np.float32)
    _compare(lambda t: F.max_pool2d(t, 2, 1, 1, return_indices=True),
             lambda t: TF.max_pool2d(t, 2, 1, 1, return_indices=True), x, 0)


@pytest.mark.parametrize("out", [1, 2, 3, (2, 4), (3, 1)])
@pytest.mark.parametrize("seed", range(3))
def test_adaptive_max_pool_special_values(out, seed):
    x = _special((2, 2, 5, 7), seed)
    _compare(lambda t: F.adaptive_max_pool2d(t, out, return_indices=True),
             lambda t: TF.adaptive_max_pool2d(t, out, return_indices=True), x, seed)
    o1 = out if isinstance(out, int) else out[0]
    x1 = _special((2, 3, 8), seed)
    _compare(lambda t: F.adaptive_max_pool1d(t, o1, return_indices=True),
             lambda t: TF.adaptive_max_pool1d(t, o1, return_indices=True), x1, seed)


def test_adaptive_max_pool_last_nan_wins():
    """Regression: np.argmax picked the first NaN; PyTorch's scan keeps the last one."""
    n = np.nan
    x = np.array([[[n, 1.0, n, 2.0]]], np.float32)
    _compare(lambda t: F.adaptive_max_pool1d(t, 1, return_indices=True),
             lambda t: TF.adaptive_max_pool1d(t, 1, return_indices=True), x, 0)


@pytest.mark.parametrize("dim", [None, 0, 1, -1])
def test_median_propagates_nan(dim):
    n = np.nan
    x = np.array([[1, n, 3, n, 2], [n, n, 1, 2, 3], [1, 2, 3, 4, 5], [4, 1, 2, n, 0]], np.float32)
    xe, xt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    if dim is None:
        ye, yt = ember.median(xe), torch.median(xt)
    else:
        (ye, ie), (yt, it) = ember.median(xe, dim), torch.median(xt, dim)
        np.testing.assert_array_equal(ie.numpy(), it.numpy())
    np.testing.assert_array_equal(ye.detach().numpy(), yt.detach().numpy())
    if dim is None:
        return      # PyTorch spreads a full median's gradient over all tied (or NaN) elements; ember does not
    ye.sum().backward()
    yt.sum().backward()
    np.testing.assert_array_equal(xe.grad.numpy(), xt.grad.numpy())


def test_tiled_backward_with_a_nan_window_and_a_tied_window():
    """One window holds a NaN (it takes the gradient), another a tie (only its first maximum does):
    the fast tiled backward must not count the two as one winner each."""
    x = np.array([[[[2.0, 0.0, 1.0, -np.inf], [0.0, np.inf, -np.inf, np.nan]],
                   [[1.0, 1.0, 0.0, 2.0], [0.0, 0.0, 0.0, 0.0]]]], np.float32)   # winners: 1 + 0 + 2 + 1
    g = np.array([[[[1.5, -2.0]], [[0.5, 3.0]]]], np.float32)
    te, tt = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    F.max_pool2d(te, 2).backward(ember.tensor(g))
    torch.nn.functional.max_pool2d(tt, 2).backward(torch.tensor(g))
    np.testing.assert_array_equal(te.grad.numpy(), tt.grad.numpy())
