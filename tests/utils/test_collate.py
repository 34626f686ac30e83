"""default_collate / default_convert against torch.utils.data on the same samples."""
import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import ember
from ember.utils.data import default_collate, default_convert
from tests.utils._compare import assert_same

Point = collections.namedtuple("Point", "x y")


def _to(lib, x):
    """Build the same sample for ember or torch: ('T', array) marks a tensor."""
    if isinstance(x, tuple) and len(x) == 2 and x[0] == "T":
        return lib.from_numpy(np.array(x[1]))
    if isinstance(x, dict):
        return {k: _to(lib, v) for k, v in x.items()}
    if isinstance(x, Point):
        return Point(*(_to(lib, v) for v in x))
    if isinstance(x, tuple):
        return tuple(_to(lib, v) for v in x)
    if isinstance(x, list):
        return [_to(lib, v) for v in x]
    return x


f32 = np.float32
SAMPLES = {
    "tensors": [("T", np.arange(3, dtype=f32)), ("T", np.ones(3, f32))],
    "int_tensors_0d": [("T", np.int64(3)), ("T", np.int64(5))],
    "ndarrays": [np.zeros((2, 2), np.float64), np.ones((2, 2), np.float64)],
    "uint8_arrays": [np.zeros(4, np.uint8), np.full(4, 7, np.uint8)],
    "np_scalars": [np.float32(1.5), np.float32(2.5)],
    "np_int_scalars": [np.int32(1), np.int32(2)],
    "ints": [1, 2, 3],
    "floats": [1.0, 2.5],
    "bools": [True, False],
    "strings": ["a", "b"],
    "tuples": [(("T", np.zeros(2, f32)), 0), (("T", np.ones(2, f32)), 1)],
    "lists": [[1, 2.0], [3, 4.0]],
    "dicts": [{"img": ("T", np.zeros(2, f32)), "label": 1, "name": "a"},
              {"img": ("T", np.ones(2, f32)), "label": 2, "name": "b"}],
    "namedtuples": [Point(1, 2.0), Point(3, 4.0)],
    "nested": [{"a": (1, [2.0, "s"]), "b": {"c": np.zeros(1, np.int64)}},
               {"a": (3, [4.0, "t"]), "b": {"c": np.ones(1, np.int64)}}],
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_default_collate_matches_torch(name):
    batch = SAMPLES[name]
    assert_same(default_collate(_to(ember, batch)), tud.default_collate(_to(torch, batch)))


@pytest.mark.parametrize("name", ["ndarrays", "np_scalars", "dicts", "tuples", "lists", "namedtuples", "nested"])
def test_default_convert_matches_torch(name):
    sample = SAMPLES[name][0]
    assert_same(default_convert(_to(ember, sample)), tud.default_convert(_to(torch, sample)))


def test_collate_stacks_with_grad_and_promotes():
    a = ember.ones(2, requires_grad=True)
    out = default_collate([a, a * 2])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])
    mixed = default_collate([ember.zeros(2, dtype=ember.int64), ember.ones(2)])
    assert mixed.dtype == ember.float32


def test_collate_errors():
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError, match=r"\[3\] at entry 0 and \[4\] at entry 1"):
        default_collate([ember.zeros(3), ember.zeros(4)])
    with pytest.raises(TypeError, match="found <class 'object'>"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="numpy arrays"):
        default_collate([np.array(["a"]), np.array(["b"])])
