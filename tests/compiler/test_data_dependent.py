"""Ops whose indices, masks or permutations are computed from tensor values: a compiled function
must give eager's result on every call (it records a graph break and runs eagerly), never the
first call's values again."""
import warnings

import pytest

import ember
import ember.nn.functional as F
from ember.compiler.breaks import Unsupported

X = ember.arange(5.)
I01, I34 = ember.tensor([0, 1]), ember.tensor([3, 4])
EYE = ember.eye(5)

CASES = {
    "x[idx]": (lambda x, i: x[i] * 2, (X, I01), (X, I34)),
    "x[mask]": (lambda x: x[x > 2] * 2, (X,), (X + 2,)),
    "masked_select": (lambda x, m: x.masked_select(m) * 2, (X, X > 1), (X, X > 3)),
    "index_select": (lambda x, i: x.index_select(0, i) * 2, (X, I01), (X, I34)),
    "gather": (lambda x, i: x.gather(0, i) * 2, (X, I01), (X, I34)),
    "embedding": (lambda i: F.embedding(i, EYE) * 2, (I01,), (I34,)),
    "where": (lambda x: ember.where(x > 2, x, 0.0) * 2, (X,), (X - 2,)),
    "topk": (lambda x: x.topk(2).values * 2, (X,), (-X,)),
    "sort": (lambda x: x.sort().values * 2, (X,), (-X,)),
    "repeat_interleave": (lambda x, r: x.repeat_interleave(r), (X[:2], ember.tensor([1, 2])),
                          (X[:2], ember.tensor([2, 1]))),
    "take": (lambda x, i: ember.take(x, i) * 2, (X, I01), (X, I34)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_compiled_equals_eager_when_the_data_changes(name):
    fn, first, second = CASES[name]
    compiled = ember.compile(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for args in (first, second, first):
            got, want = compiled(*args), fn(*args)
            assert tuple(got.shape) == tuple(want.shape)
            assert bool((got == want).all()), (name, got, want)


def test_tensor_index_is_reported_as_a_graph_break():
    compiled = ember.compile(lambda x, i: x[i] * 2, fullgraph=True)
    with pytest.raises(Unsupported, match="index"):
        compiled(X, I01)
