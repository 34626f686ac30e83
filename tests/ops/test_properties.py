"""Property tests (hypothesis): broadcasting through binary ops and reductions over random dims."""
import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ember
from tests.oracle import check

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def broadcastable_pair(draw):
    """Two shapes that broadcast: each dim of the result is taken whole, set to 1, or dropped on the left."""
    out = draw(st.lists(st.integers(0, 4), min_size=0, max_size=4))

    def one():
        shape = [n if draw(st.booleans()) else 1 for n in out]
        drop = draw(st.integers(0, len(shape)))
        return tuple(shape[drop:])
    return one(), one()


@st.composite
def array(draw, shape, positive=False):
    seed = draw(st.integers(0, 2**31 - 1))
    r = np.random.default_rng(seed)
    a = r.uniform(0.5, 2.0, shape) if positive else r.standard_normal(shape)
    return a.astype(np.float32)


OPS = {
    "add": (lambda a, b: a + b, False), "sub": (lambda a, b: a - b, False), "mul": (lambda a, b: a * b, False),
    "div": (lambda a, b: a / b, True), "pow": (lambda a, b: b ** a, True),
    "maximum": (lambda a, b: ember.maximum(a, b) if isinstance(a, ember.Tensor) else torch.maximum(a, b), False),
    "where": (lambda a, b: (ember if isinstance(a, ember.Tensor) else torch).where(b > 1.0, a, b), True),
    "chain": (lambda a, b: (a * b + a).sigmoid() - b / (b * b + 1), False),
}


@SETTINGS
@given(data=st.data(), shapes=broadcastable_pair(), op=st.sampled_from(sorted(OPS)))
def test_broadcast_binary_matches_torch(data, shapes, op):
    fn, positive = OPS[op]
    a = data.draw(array(shapes[0]))
    b = data.draw(array(shapes[1], positive=positive))
    check(fn, None, a, b)


@st.composite
def reduction_case(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    nd = len(shape)
    dims = draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd, unique_by=lambda d: d % nd))
    dim = dims[0] if len(dims) == 1 and draw(st.booleans()) else tuple(dims)
    keepdim = draw(st.booleans())
    return shape, dim, keepdim


REDUCTIONS = {
    "sum": lambda x, d, k: x.sum(d, keepdim=k),
    "mean": lambda x, d, k: x.mean(d, keepdim=k),
    "amax": lambda x, d, k: x.amax(d, keepdim=k),
    "amin": lambda x, d, k: x.amin(d, keepdim=k),
    "var": lambda x, d, k: x.var(d, keepdim=k, correction=0),
    "std": lambda x, d, k: x.std(d, keepdim=k),
    "logsumexp": lambda x, d, k: x.logsumexp(d, keepdim=k),
    "norm": lambda x, d, k: x.norm(dim=d, keepdim=k) if isinstance(d, int) or len(d) <= 2 else x.abs().sum(d, keepdim=k),
}


@SETTINGS
@given(data=st.data(), case=reduction_case(), name=st.sampled_from(sorted(REDUCTIONS)))
def test_reductions_match_torch(data, case, name):
    shape, dim, keepdim = case
    # distinct values: no ties, so the max/min gradient is unambiguous
    seed = data.draw(st.integers(0, 2**31 - 1))
    n = int(np.prod(shape))
    x = (np.random.default_rng(seed).permutation(n) * 0.25 - n * 0.1).reshape(shape).astype(np.float32)
    if name == "std" and all(shape[d] == 1 for d in ((dim,) if isinstance(dim, int) else dim)):
        return  # std with correction 1 over one element is nan in both; nan gradients are not compared
    fn = REDUCTIONS[name]
    check(lambda t: fn(t, dim, keepdim), None, x, atol=1e-4)


@SETTINGS
@given(data=st.data(), case=reduction_case())
def test_max_min_dim_match_torch(data, case):
    shape, dim, keepdim = case
    d = dim if isinstance(dim, int) else dim[0]
    x = data.draw(array(shape))
    e, t = check(lambda a: a.max(d, keepdim), None, x)
    np.testing.assert_array_equal(e.indices._data, t.indices.numpy())
    check(lambda a: a.argmin(d, keepdim), None, x, grad=False)
