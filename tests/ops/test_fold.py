"""unfold / fold (ember.ops.fold) and nn.Unfold / nn.Fold against PyTorch: values, gradients, every
geometry option, batched and unbatched, errors, second order."""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from tests.autograd.second_order import check_second_order
from tests.oracle import check

GEOMS = [dict(kernel_size=2), dict(kernel_size=(2, 3)), dict(kernel_size=3, padding=1),
         dict(kernel_size=(3, 2), stride=2), dict(kernel_size=2, dilation=2), dict(kernel_size=(2, 3), dilation=(2, 1),
                                                                                 padding=(1, 2), stride=(2, 3)),
         dict(kernel_size=1), dict(kernel_size=(5, 6))]


@pytest.mark.parametrize("geom", GEOMS, ids=[str(g) for g in GEOMS])
def test_unfold_matches_torch(geom):
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 6)).astype(np.float32)
    check(lambda a: F.unfold(a, **geom), lambda a: torch.nn.functional.unfold(a, **geom), x)
    check(lambda a: F.unfold(a, **geom), lambda a: torch.nn.functional.unfold(a, **geom), x[0])


@pytest.mark.parametrize("geom", GEOMS, ids=[str(g) for g in GEOMS])
def test_fold_matches_torch(geom):
    out = (5, 6)
    L = torch.nn.functional.unfold(torch.zeros(1, 1, *out), **geom).shape
    cols = np.random.default_rng(1).standard_normal((2, 2 * L[1], L[2])).astype(np.float32)
    check(lambda a: F.fold(a, out, **geom), lambda a: torch.nn.functional.fold(a, out, **geom), cols)
    check(lambda a: F.fold(a, out, **geom), lambda a: torch.nn.functional.fold(a, out, **geom), cols[0])


def test_fold_unfold_modules_match_torch():
    x = np.random.default_rng(2).standard_normal((2, 3, 6, 7)).astype(np.float32)
    em, tm = ember.nn.Unfold((2, 3), dilation=1, padding=1, stride=2), torch.nn.Unfold((2, 3), dilation=1, padding=1,
                                                                                       stride=2)
    assert repr(em) == repr(tm)
    check(em, tm, x)
    cols = np.random.default_rng(3).standard_normal((2, 3 * 6, 16)).astype(np.float32)
    em, tm = ember.nn.Fold((6, 7), (2, 3), padding=1, stride=2), torch.nn.Fold((6, 7), (2, 3), padding=1, stride=2)
    assert repr(em) == repr(tm)
    check(em, tm, cols)


def test_fold_of_unfold_counts_overlaps():
    x = ember.ones(1, 1, 3, 3)
    y = F.fold(F.unfold(x, 2), (3, 3), 2)
    np.testing.assert_array_equal(y.numpy()[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


def test_fold_errors():
    with pytest.raises(RuntimeError, match="divisible by the product of kernel_size"):
        F.fold(ember.zeros(1, 5, 4), (3, 3), 2)
    with pytest.raises(RuntimeError, match="calculated number of sliding blocks"):
        F.fold(ember.zeros(1, 4, 5), (3, 3), 2)
    with pytest.raises(RuntimeError, match="3D or 4D"):
        F.unfold(ember.zeros(3, 3), 2)
    with pytest.raises(RuntimeError, match="at least one"):
        F.unfold(ember.zeros(1, 1, 3, 3), 4)
    with pytest.raises(RuntimeError):
        torch.nn.functional.fold(torch.zeros(1, 5, 4), (3, 3), 2)
    with pytest.raises(RuntimeError):
        torch.nn.functional.unfold(torch.zeros(1, 1, 3, 3), 4)


def test_fold_unfold_second_order():
    x = np.random.default_rng(4).standard_normal((1, 2, 4, 4))
    check_second_order(lambda a: F.unfold(a * a, 2, padding=1, stride=2),
                       lambda a: torch.nn.functional.unfold(a * a, 2, padding=1, stride=2), x)
    cols = np.random.default_rng(5).standard_normal((1, 8, 9))
    check_second_order(lambda a: F.fold(a * a, (4, 4), 2, dilation=1, padding=1, stride=2),
                       lambda a: torch.nn.functional.fold(a * a, (4, 4), 2, dilation=1, padding=1, stride=2), cols)


def test_empty_batch_matches_torch():
    check(lambda a: F.unfold(a, 2), lambda a: torch.nn.functional.unfold(a, 2), np.zeros((0, 2, 3, 4), np.float32))
    check(lambda a: F.fold(a, (3, 3), 2), lambda a: torch.nn.functional.fold(a, (3, 3), 2),
          np.zeros((0, 8, 4), np.float32))
