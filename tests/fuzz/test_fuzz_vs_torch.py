"""Property-based fuzzing of ops, layers and losses against PyTorch (hypothesis).

Random shapes (0-size and 0-d included), dtypes (float16/32/64, int32/64, uint8, bool) and
special values (inf, nan, huge) go through a table of calls on both libraries. Where PyTorch
returns a value ember must return the same (dtype, shape, numbers to round-off, nan equal); where
PyTorch raises, ember must raise a documented error type (RuntimeError, IndexError, TypeError,
ValueError), never a NumPy error; nothing else.

Profiles: "ci" (default, deterministic, about a minute) and "long" (``EMBER_FUZZ=long``: many
more examples; mismatches are counted per category and printed instead of failing on the first).
"""
import collections
import os

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ember
from tests.both import run_both, same

settings.register_profile("ci", max_examples=120, deadline=None, derandomize=True, database=None,
                          suppress_health_check=list(HealthCheck))
settings.register_profile("long", max_examples=3000, deadline=None, database=None,
                          suppress_health_check=list(HealthCheck))
LONG = os.environ.get("EMBER_FUZZ") == "long"
settings.load_profile("long" if LONG else "ci")

DTYPES = ["float16", "float32", "float64", "int32", "int64", "uint8", "bool"]
FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -3.5, 1e-30, 100.0, 300.0, 6e4, 1e38, -1e38, 3e38,
          float("inf"), float("-inf"), float("nan")]
INTS = [0, 1, -1, 2, 3, 7, -8, 100, 255, 2**31 - 1, -2**31]
COUNTS = collections.Counter()
EXAMPLES = collections.defaultdict(list)
BY_CALL = collections.defaultdict(collections.Counter)  # category -> {call name: mismatches}


@st.composite
def arrays(draw, dtypes=DTYPES, max_dims=3, min_dims=0):
    dt = draw(st.sampled_from(dtypes))
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=min_dims, max_size=max_dims)))
    n = int(np.prod(shape))
    if dt == "bool":
        vals = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    elif dt.startswith("float"):
        vals = draw(st.lists(st.one_of(st.sampled_from(FLOATS), st.floats(-10, 10, width=16)),
                             min_size=n, max_size=n))
    else:
        info = np.iinfo(dt)
        vals = draw(st.lists(st.sampled_from(INTS), min_size=n, max_size=n))
        vals = [min(max(v, int(info.min)), int(info.max)) for v in vals]
    with np.errstate(over="ignore"):
        return np.array(vals, dtype=dt).reshape(shape)


def _t(lib, a, grad=False):
    x = lib.tensor(a.copy())
    return x.requires_grad_() if grad and a.dtype.kind == "f" else x


def _topk_picks(t, res, x, d):
    """topk's values, and the input at its indices: which of equal values PyTorch picks is up to its
    selection algorithm (std::nth_element), so the indices are checked by what they point at."""
    values, indices = res
    return values, (x.gather(d, indices) if x.ndim else x)


UNARY = {
    "abs": lambda t, x, d: t.abs(x), "neg": lambda t, x, d: t.neg(x), "exp": lambda t, x, d: t.exp(x),
    "log": lambda t, x, d: t.log(x), "sqrt": lambda t, x, d: t.sqrt(x), "tanh": lambda t, x, d: t.tanh(x),
    "sigmoid": lambda t, x, d: t.sigmoid(x), "relu": lambda t, x, d: t.relu(x),
    "floor": lambda t, x, d: t.floor(x), "sign": lambda t, x, d: t.sign(x), "sgn": lambda t, x, d: t.sgn(x),
    "square": lambda t, x, d: t.square(x), "nan_to_num": lambda t, x, d: t.nan_to_num(x),
    "reciprocal": lambda t, x, d: t.reciprocal(x), "isnan": lambda t, x, d: t.isnan(x),
    "round": lambda t, x, d: t.round(x), "clamp": lambda t, x, d: t.clamp(x, -1, 2),
    "sum": lambda t, x, d: t.sum(x), "sum_dim": lambda t, x, d: t.sum(x, dim=d),
    "mean_dim": lambda t, x, d: t.mean(x, dim=d), "prod_dim": lambda t, x, d: t.prod(x, dim=d),
    "amax_dim": lambda t, x, d: t.amax(x, dim=d), "max": lambda t, x, d: t.max(x),
    "max_dim": lambda t, x, d: t.max(x, dim=d), "argmax": lambda t, x, d: t.argmax(x),
    "argmin_dim": lambda t, x, d: t.argmin(x, dim=d), "any": lambda t, x, d: t.any(x),
    "all_dim": lambda t, x, d: t.all(x, dim=d), "std_dim": lambda t, x, d: t.std(x, dim=d),
    "var": lambda t, x, d: t.var(x), "norm": lambda t, x, d: t.norm(x),
    "norm_dim": lambda t, x, d: t.norm(x, dim=d), "cumsum": lambda t, x, d: t.cumsum(x, d),
    "cumprod": lambda t, x, d: t.cumprod(x, d), "sort": lambda t, x, d: t.sort(x, dim=d, stable=True),
    "sort_desc": lambda t, x, d: t.sort(x, dim=d, descending=True, stable=True),
    "argsort_desc": lambda t, x, d: t.argsort(x, dim=d, descending=True, stable=True),
    "topk1": lambda t, x, d: _topk_picks(t, t.topk(x, 1, d), x, d), "softmax": lambda t, x, d: t.softmax(x, d),
    "log_softmax": lambda t, x, d: t.log_softmax(x, d), "logsumexp": lambda t, x, d: t.logsumexp(x, d),
    "flip": lambda t, x, d: t.flip(x, [d]), "chunk": lambda t, x, d: t.chunk(x, 2, d),
    "split": lambda t, x, d: t.split(x, 2, d), "squeeze": lambda t, x, d: t.squeeze(x, d),
    "unsqueeze": lambda t, x, d: t.unsqueeze(x, d), "transpose": lambda t, x, d: t.transpose(x, 0, d),
    "median": lambda t, x, d: t.median(x), "count_nonzero": lambda t, x, d: t.count_nonzero(x),
}
BINARY = {
    "add": lambda t, a, b: t.add(a, b), "sub": lambda t, a, b: t.sub(a, b), "mul": lambda t, a, b: t.mul(a, b),
    "div": lambda t, a, b: t.div(a, b), "div_floor": lambda t, a, b: t.div(a, b, rounding_mode="floor"),
    "div_trunc": lambda t, a, b: t.div(a, b, rounding_mode="trunc"), "remainder": lambda t, a, b: t.remainder(a, b),
    "fmod": lambda t, a, b: t.fmod(a, b), "atan2": lambda t, a, b: t.atan2(a, b),
    "hypot": lambda t, a, b: t.hypot(a, b), "maximum": lambda t, a, b: t.maximum(a, b),
    "minimum": lambda t, a, b: t.minimum(a, b), "eq": lambda t, a, b: t.eq(a, b), "lt": lambda t, a, b: t.lt(a, b),
    "pow": lambda t, a, b: t.pow(a, b), "where": lambda t, a, b: t.where(a > 0, a, b),
    "matmul": lambda t, a, b: t.matmul(a, b), "mv": lambda t, a, b: t.mv(a, b),
}
# values-only comparisons (the gradient is compared too for float inputs)
WITH_GRAD = {"abs", "exp", "tanh", "sigmoid", "sum_dim", "mean_dim", "norm", "cumsum", "cumprod", "softmax",
             "log_softmax", "sort", "std_dim", "add", "mul", "div", "hypot", "atan2", "maximum"}


def _record(name, dts, t_res, e_res):
    ok, why = same(t_res, e_res)
    if isinstance(t_res, Exception):
        cat = "both raise" if ok else ("internal error" if isinstance(e_res, Exception)
                                       else "torch raises, ember accepts")
    else:
        cat = "same value" if ok else ("ember raises, torch returns" if isinstance(e_res, Exception)
                                       else "wrong result")
    COUNTS[cat] += 1
    if not ok:
        BY_CALL[cat][name] += 1
        if sum(e.startswith(name + " ") for e in EXAMPLES[cat]) < 4:
            EXAMPLES[cat].append(f"{name} {dts}: {' '.join(why.split())[:300]}")
        if not LONG:
            raise AssertionError(f"{name} {dts}: {cat}: {why}")


def _call(fn, arrays_, grad):
    def run(t):
        xs = [_t(t, a, grad) for a in arrays_]
        out = fn(t, *xs)
        if grad and any(x.requires_grad for x in xs if isinstance(x, (torch.Tensor, ember.Tensor))):
            outs = out if isinstance(out, (tuple, list)) else (out,)
            o = outs[0]
            if o.requires_grad and o.numel() and o.dtype.is_floating_point:
                o.float().sum().backward() if o.dtype != t.float16 else o.sum().backward()
                return [out] + [x.grad if x.grad is not None else "none" for x in xs]
        return out
    return run


@given(name=st.sampled_from(sorted(UNARY)), x=arrays(), d=st.integers(-3, 3))
def test_unary_ops(name, x, d):
    fn = UNARY[name]
    t_res, e_res = run_both(_call(lambda t, a: fn(t, a, d), [x], name in WITH_GRAD))
    _record(name, (x.dtype.name, x.shape, d), t_res, e_res)


@given(name=st.sampled_from(sorted(BINARY)), a=arrays(max_dims=2), b=arrays(max_dims=2), same_shape=st.booleans())
def test_binary_ops(name, a, b, same_shape):
    if same_shape:
        b = np.resize(b, a.shape).astype(b.dtype) if b.size and a.size else np.zeros(a.shape, b.dtype)
    t_res, e_res = run_both(_call(BINARY[name], [a, b], name in WITH_GRAD))
    _record(name, (a.dtype.name, a.shape, b.dtype.name, b.shape), t_res, e_res)


LAYERS = {
    "Linear": ("nn.Linear(3, 2)", 2), "Conv2d": ("nn.Conv2d(2, 2, 2)", 4), "MaxPool2d": ("nn.MaxPool2d(2)", 4),
    "AvgPool2d": ("nn.AvgPool2d(2)", 4), "BatchNorm1d": ("nn.BatchNorm1d(3)", 2),
    "BatchNorm2d": ("nn.BatchNorm2d(2)", 4), "LayerNorm": ("nn.LayerNorm(3)", 2), "GroupNorm": ("nn.GroupNorm(1, 2)", 3),
    "ReLU": ("nn.ReLU()", 2), "Softmax": ("nn.Softmax(dim=1)", 2), "Flatten": ("nn.Flatten()", 3),
}


@given(name=st.sampled_from(sorted(LAYERS)), x=arrays(["float32", "float64"], max_dims=4, min_dims=1),
       train=st.booleans())
def test_layers(name, x, train):
    spec, _ = LAYERS[name]

    def f(t, a):
        t.manual_seed(0)
        m = eval(spec, {"nn": t.nn})
        m.train(train)
        if a.dtype == t.float64:
            m.double()
        return m(a)
    t_res, e_res = run_both(_call(f, [x], True))
    _record(name, (x.dtype.name, x.shape, train), t_res, e_res)


LOSSES = {
    "cross_entropy": lambda t, x, y, r: t.nn.functional.cross_entropy(x, y, reduction=r),
    "cross_entropy_ls": lambda t, x, y, r: t.nn.functional.cross_entropy(x, y, reduction=r, label_smoothing=0.1),
    "nll": lambda t, x, y, r: t.nn.functional.nll_loss(x, y, reduction=r),
    "mse": lambda t, x, y, r: t.nn.functional.mse_loss(x, y.to(x.dtype), reduction=r),
    "bce_logits": lambda t, x, y, r: t.nn.functional.binary_cross_entropy_with_logits(
        x, y.to(x.dtype).clamp(0, 1), reduction=r),
    "l1": lambda t, x, y, r: t.nn.functional.l1_loss(x, y.to(x.dtype), reduction=r),
}


@given(name=st.sampled_from(sorted(LOSSES)), x=arrays(["float32"], max_dims=2, min_dims=1),
       n_classes=st.integers(1, 4), red=st.sampled_from(["mean", "sum", "none"]), data=st.data())
def test_losses(name, x, n_classes, red, data):
    n = x.shape[0]
    ignore = -100
    if name in ("mse", "bce_logits", "l1"):
        y = data.draw(arrays(["float32"], max_dims=2, min_dims=1))
        if data.draw(st.booleans()):
            y = np.resize(y, x.shape).astype(np.float32) if y.size and x.size else np.zeros(x.shape, np.float32)
    else:
        c = x.shape[1] if x.ndim > 1 else x.shape[0]
        k = max(c, 1)
        labels = data.draw(st.lists(st.sampled_from(list(range(k)) + [ignore]), min_size=n, max_size=n))
        y = np.array(labels, dtype=np.int64) if x.ndim > 1 else np.array(labels[0] if labels else 0)
    t_res, e_res = run_both(_call(lambda t, a, b: LOSSES[name](t, a, b, red), [x, y], True))
    _record(name, (x.shape, y.dtype.name, y.shape, red), t_res, e_res)


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    if COUNTS:
        print("\nfuzz vs torch:", dict(COUNTS))
        for cat, items in EXAMPLES.items():
            print(f"--- {cat}: {dict(BY_CALL[cat].most_common())}")
            for line in items:
                print("   ", line)
