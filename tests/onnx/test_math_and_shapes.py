"""Elementwise math, reductions, matmul, reshapes and indexing exported to ONNX, run in ONNX Runtime."""
import pytest

import ember
import ember.nn as nn

from ._check import check


class Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(*xs)


POSITIVE = [lambda x: x.sqrt(), lambda x: x.log(), lambda x: ember.rsqrt(x), lambda x: x.log2(),
            lambda x: ember.log10(x), lambda x: ember.log1p(x), lambda x: x ** 0.5, lambda x: 2 ** x,
            lambda x: ember.pow(x, x), lambda x: x.reciprocal()]
ANY = [lambda x: x * 2.0 + 1 - x / 3, lambda x: -x, lambda x: x.abs(), lambda x: x.exp(), lambda x: x ** 2,
       lambda x: x.sigmoid(), lambda x: x.tanh(), lambda x: x.sin() + x.cos(), lambda x: ember.atan(x),
       lambda x: ember.erf(x), lambda x: x.clamp(-0.5, 0.7), lambda x: x.clamp(min=0.1), lambda x: ember.expm1(x),
       lambda x: ember.maximum(x, x.flip(1)), lambda x: ember.minimum(x, 0.2 * x), lambda x: x.sign() * x.floor(),
       lambda x: x.trunc() + (x * 3).round() + x.round(decimals=1), lambda x: x % 0.3,
       lambda x: ember.where(x > 0, x, x * 0.1), lambda x: x.to(ember.float64) * 2, lambda x: ember.exp2(x)]
REDUCE = [lambda x: x.mean(), lambda x: x.sum(), lambda x: x.sum(dim=(1, 2), keepdim=True), lambda x: x.mean(-1),
          lambda x: x.max(), lambda x: x.min(), lambda x: x.amax(-1), lambda x: x.amin(dim=(0, 2)),
          lambda x: x.max(dim=1), lambda x: x.min(dim=-1, keepdim=True), lambda x: x.var(1), lambda x: x.std(),
          lambda x: x.prod(2), lambda x: x.logsumexp(1), lambda x: x.norm(dim=1), lambda x: x.softmax(-1),
          lambda x: ember.log_softmax(x, 1), lambda x: x.argmax(1), lambda x: x.argmin(),
          lambda x: ember.argmax(x, dim=-1, keepdim=True), lambda x: x.cumsum(1), lambda x: x.tril(),
          lambda x: x.triu(1) * 2]
SHAPES = [lambda x: x.reshape(2, -1), lambda x: x.view(-1), lambda x: x.permute(2, 0, 1), lambda x: x.transpose(0, 2),
          lambda x: x.flatten(1), lambda x: x.unsqueeze(1).squeeze(1), lambda x: x[:, 1:3, ::2],
          lambda x: x[0, :, None], lambda x: x[..., -1], lambda x: x[:, -2:], lambda x: x[1], lambda x: x[:, [0, 2]],
          lambda x: ember.cat([x, x * 2], 1), lambda x: ember.stack([x, x], 0), lambda x: x.chunk(2, -1)[1],
          lambda x: x.split([1, 3], 1), lambda x: x.unbind(2), lambda x: x[:, :1].expand(2, 4, 3),
          lambda x: x.repeat(2, 1, 1), lambda x: x.flip(-1), lambda x: x.t() if x.dim() == 2 else x.mT,
          lambda x: x.narrow(1, 1, 2), lambda x: x.select(2, 2), lambda x: x.clone()]


def _ids(fns):
    return [str(i) for i in range(len(fns))]


@pytest.mark.parametrize("fn", POSITIVE, ids=_ids(POSITIVE))
def test_positive_math(fn):
    check(Fn(fn), ember.rand(2, 4, 3) + 0.1, ember.rand(2, 4, 3) + 0.2)


@pytest.mark.parametrize("fn", ANY, ids=_ids(ANY))
def test_math(fn):
    check(Fn(fn), ember.randn(2, 4, 3), ember.randn(2, 4, 3))      # other values: masks are computed


@pytest.mark.parametrize("fn", REDUCE, ids=_ids(REDUCE))
def test_reductions(fn):
    check(Fn(fn), ember.randn(2, 4, 3), ember.randn(2, 4, 3))


@pytest.mark.parametrize("fn", SHAPES, ids=_ids(SHAPES))
def test_shapes_and_indexing(fn):
    check(Fn(fn), ember.randn(2, 4, 3), ember.randn(2, 4, 3))


def test_matmul_bmm_and_broadcasting():
    check(Fn(lambda a, b: (a @ b, ember.bmm(a, b), ember.matmul(a, b[0]), a + b.transpose(1, 2))),
          (ember.randn(3, 4, 5), ember.randn(3, 5, 4)))


def test_dynamic_batch_through_reshapes_slices_and_reductions():
    def fn(x):
        b = x.shape[0]
        y = x.view(b, -1)[:, 2:] * x.reshape(b, 2, -1).mean(1).repeat(1, 2)[:, 2:]
        return ember.cat([y, y.sum(1, keepdim=True)], 1).softmax(1), x.permute(2, 0, 1).flatten(1)[-1]
    check(Fn(fn), ember.randn(2, 4, 3), ember.randn(6, 4, 3), dynamic={0: [0]})


def test_a_tensor_made_in_forward_follows_the_batch_size():
    check(Fn(lambda x: x + ember.zeros(x.shape[0], 3) + ember.ones(3)), ember.randn(2, 3), ember.randn(4, 3),
          dynamic={0: [0]})


LOGIC = [lambda x: ember.where(x > 0.2, x, -x), lambda x: (x >= 0) & (x < 1), lambda x: ~(x == x.round()),
         lambda x: ember.logical_or(x.lt(0), x.gt(1)), lambda x: x.masked_fill(x < 0, 0.5),
         lambda x: (x != 0.3) | ember.isnan(x), lambda x: ember.ge(x, 0).float() * x, lambda x: x[0] <= x[1]]


@pytest.mark.parametrize("fn", LOGIC, ids=_ids(LOGIC))
def test_comparisons_are_computed_from_the_input(fn):
    check(Fn(fn), ember.randn(2, 4, 3), ember.randn(2, 4, 3))


def test_slices_and_integer_indices_on_dynamic_axes():
    fn = lambda x: (x[-2:], x[0], x[-1, 1:], x[1:-1:2], x[::-1][:3], x[:, ::-2], x.narrow(0, 1, 2))  # noqa: E731
    check(Fn(fn), ember.randn(5, 4), ember.randn(8, 4), dynamic={0: [0]})


def test_float64_and_integer_inputs():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh()).double()
    check(model, ember.randn(2, 3, dtype=ember.float64), ember.randn(5, 3, dtype=ember.float64), dynamic={0: [0]})
    check(Fn(lambda i: (i * 2 + 1, i % 3, i.float() / 2, (i > 2).sum(1))),
          ember.randint(0, 9, (2, 4)), ember.randint(0, 9, (3, 4)), dynamic={0: [0]})
