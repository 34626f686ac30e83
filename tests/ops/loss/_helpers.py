"""What the loss tests share: reductions, array makers, the error and gradcheck harnesses.

Each test module keeps its own ``RNG`` (so its draws do not depend on which other modules run)
and passes it to the makers here.
"""
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import HealthCheck, settings, strategies as st

import ember
import ember.nn.functional as F
from ember.autograd.gradcheck import gradcheck

REDUCTIONS = ["none", "mean", "sum"]


# -- arrays ---------------------------------------------------------------------------------------
def normal(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def signs(rng, *shape):
    return np.where(rng.random(shape) > 0.5, 1.0, -1.0).astype(np.float32)


def class_targets(rng, shape, c, ignore=None, frac=0.3):
    """int64 class indices in [0, c); with ``ignore``, about ``frac`` of them set to it."""
    t = rng.integers(0, c, size=shape)
    if ignore is not None:
        t = np.where(rng.random(shape) < frac, ignore, t)
        t.flat[0] = 0 if ignore != 0 else 1          # at least one non-ignored target
    return t.astype(np.int64)


def pair(arr):
    return ember.tensor(arr), torch.tensor(arr)


# -- bad input: PyTorch's exception type, and a message naming expected, received and the fix ------
X = np.random.default_rng(4).standard_normal((3, 4)).astype(np.float32)


def both(fn_name, *arrays, **kw):
    """Call the ember and the torch function on the same arrays; return the two exceptions."""
    excs = []
    for mod, make in ((F, ember.tensor), (TF, torch.tensor)):
        with pytest.raises(Exception) as info:
            getattr(mod, fn_name)(*[make(a) for a in arrays], **kw)
        excs.append(info.value)
    e, t = excs
    assert type(e) is type(t), f"ember raised {type(e).__name__}, torch {type(t).__name__}"
    return str(e)


def has(msg, *parts):
    for p in parts:
        assert re.search(p, msg), f"{p!r} not in message: {msg}"


# -- finite-difference gradcheck (float64), reduction='none' so the whole Jacobian is checked ------
GRAD_RNG = np.random.default_rng(6)


def f64(arr, grad=True):
    return ember.tensor(np.asarray(arr, np.float64), requires_grad=grad)


def n64(*shape):
    """Standard-normal float64 leaf that requires grad."""
    return f64(GRAD_RNG.standard_normal(shape))


def u64(*shape, lo=0.1, hi=0.9):
    """Uniform [lo, hi) float64 leaf that requires grad."""
    return f64(GRAD_RNG.uniform(lo, hi, shape))


def const(arr):
    return ember.tensor(np.asarray(arr))


W4 = const(GRAD_RNG.uniform(0.3, 2, 4))


def assert_gradcheck(cases, name):
    """``cases[name]`` is (function, maker of its float64 inputs)."""
    fn, make = cases[name]
    assert gradcheck(fn, make(), eps=1e-6, atol=1e-5, rtol=1e-3)


# -- property tests (hypothesis): random shapes and options ---------------------------------------
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REDUCTION = st.sampled_from(REDUCTIONS)
small_shape = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)


def seeded(seed, shape, scale=2.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)
