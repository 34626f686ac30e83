"""F.scaled_dot_product_attention against PyTorch: values and gradients of query, key, value and a
float mask for every option; dropout on the weights; errors; second derivatives."""
import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from tests.autograd.second_order import check_second_order
from tests.oracle import check

TF = torch.nn.functional


def _r(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _qkv(qs, ks, vs, dtype=np.float32):
    return _r(*qs, seed=1, dtype=dtype), _r(*ks, seed=2, dtype=dtype), _r(*vs, seed=3, dtype=dtype)


def _sdpa(lib, **kw):
    f = F.scaled_dot_product_attention if lib is ember else TF.scaled_dot_product_attention
    return lambda q, k, v: f(q, k, v, **kw)


@pytest.mark.parametrize("shapes", [
    ((5, 4), (6, 4), (6, 3)),                       # 2-D, E != Ev
    ((2, 5, 4), (2, 6, 4), (2, 6, 7)),              # 3-D
    ((2, 3, 5, 8), (2, 3, 7, 8), (2, 3, 7, 8)),     # (N, H, L, E)
    ((2, 2, 3, 5, 4), (2, 2, 3, 6, 4), (2, 2, 3, 6, 5)),   # more leading dims
    ((2, 3, 5, 4), (1, 3, 6, 4), (1, 3, 6, 4)),     # key/value broadcast over the batch
])
@pytest.mark.parametrize("causal", [False, True])
def test_values_and_gradients(shapes, causal):
    check(_sdpa(ember, is_causal=causal), _sdpa(torch, is_causal=causal), *_qkv(*shapes))


@pytest.mark.parametrize("L,S", [(3, 5), (5, 3), (4, 4)])
def test_is_causal_is_top_left_aligned(L, S):
    check(_sdpa(ember, is_causal=True), _sdpa(torch, is_causal=True), *_qkv((2, 2, L, 4), (2, 2, S, 4), (2, 2, S, 3)))


@pytest.mark.parametrize("scale", [0.1, 1.0, 2.5])
def test_scale(scale):
    check(_sdpa(ember, scale=scale), _sdpa(torch, scale=scale), *_qkv((2, 4, 6), (2, 5, 6), (2, 5, 3)))


@pytest.mark.parametrize("mask_shape", [(4, 5), (2, 1, 4, 5), (1, 3, 4, 5), (2, 3, 4, 5), (1, 5), (2, 3, 1, 5)])
def test_boolean_mask(mask_shape):
    mask = np.random.default_rng(5).random(mask_shape) > 0.3
    mask[..., 0] = True
    check(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=ember.tensor(mask)),
          lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(mask)),
          *_qkv((2, 3, 4, 6), (2, 3, 5, 6), (2, 3, 5, 7)))


@pytest.mark.parametrize("mask_shape", [(4, 5), (2, 1, 4, 5), (2, 3, 4, 5), (1, 5)])
def test_float_mask_gets_a_gradient(mask_shape):
    mask = _r(*mask_shape, seed=6)
    check(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
          lambda q, k, v, m: TF.scaled_dot_product_attention(q, k, v, attn_mask=m),
          *_qkv((2, 3, 4, 6), (2, 3, 5, 6), (2, 3, 5, 7)), mask)


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_fully_masked_rows_give_zero_as_pytorch(kind):
    if kind == "bool":
        mask = np.ones((4, 5), bool)
        mask[1] = False
        mask[3, 2:] = False
    else:
        mask = np.zeros((4, 5), np.float32)
        mask[1] = -np.inf
        mask[3, 2:] = -np.inf
    eo, to = check(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=ember.tensor(mask)),
                   lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, attn_mask=torch.tensor(mask)),
                   *_qkv((2, 4, 6), (2, 5, 6), (2, 5, 3)))
    assert np.all(eo._data[:, 1] == 0) and np.isfinite(eo._data).all()


@pytest.mark.parametrize("hk", [1, 2, 4])
@pytest.mark.parametrize("mask_heads", [None, 1, 4])
def test_enable_gqa(hk, mask_heads):
    q, k, v = _qkv((2, 4, 5, 6), (2, hk, 7, 6), (2, hk, 7, 3))
    mask = None if mask_heads is None else np.random.default_rng(3).random((2, mask_heads, 5, 7)) > 0.4
    kw_e = {} if mask is None else {"attn_mask": ember.tensor(mask)}
    kw_t = {} if mask is None else {"attn_mask": torch.tensor(mask)}
    check(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, enable_gqa=True, **kw_e),
          lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, enable_gqa=True, **kw_t), q, k, v)


def test_float64_and_dtype_kept():
    out, _ = check(_sdpa(ember), _sdpa(torch), *_qkv((2, 4, 6), (2, 5, 6), (2, 5, 3), dtype=np.float64),
                   atol=1e-10, rtol=1e-10)
    assert out.dtype == ember.float64


@pytest.mark.parametrize("shapes", [((2, 0, 4), (2, 5, 4), (2, 5, 3)), ((0, 3, 4), (0, 5, 4), (0, 5, 3))])
def test_empty(shapes):
    check(_sdpa(ember), _sdpa(torch), *_qkv(*shapes))


def test_no_keys_gives_zero():
    q, k, v = _qkv((2, 3, 4), (2, 0, 4), (2, 0, 5))
    out = F.scaled_dot_product_attention(ember.tensor(q), ember.tensor(k), ember.tensor(v))
    ref = TF.scaled_dot_product_attention(torch.tensor(q), torch.tensor(k), torch.tensor(v))
    np.testing.assert_array_equal(out._data, ref.numpy())


def test_dropout_zeroes_and_rescales_the_weights():
    # with value = identity the output is the dropped-out weight matrix itself
    L, S = 64, 32
    q, k, _ = _qkv((4, L, 8), (4, S, 8), (1,))
    v = np.broadcast_to(np.eye(S, dtype=np.float32), (4, S, S)).copy()
    e = [ember.tensor(a) for a in (q, k, v)]
    ember.manual_seed(0)
    w = F.scaled_dot_product_attention(*e, dropout_p=0.25)._data
    p = F.scaled_dot_product_attention(*e)._data
    kept = w != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(w[kept], p[kept] / 0.75, rtol=1e-5)
    ember.manual_seed(0)
    np.testing.assert_array_equal(F.scaled_dot_product_attention(*e, dropout_p=0.25)._data, w)
    assert not np.any(F.scaled_dot_product_attention(*e, dropout_p=1.0)._data)


def test_dropout_gradients_use_the_same_mask():
    q, k, v = (ember.tensor(a, dtype=ember.float64, requires_grad=True)
               for a in _qkv((2, 4, 3), (2, 5, 3), (2, 5, 2), dtype=np.float64))

    def f(q, k, v):
        ember.manual_seed(3)
        return F.scaled_dot_product_attention(q, k, v, dropout_p=0.3)
    assert ember.autograd.gradcheck(f, (q, k, v))


def test_dropout_is_applied_in_eval_functional_form_only_when_asked():
    q, k, v = (ember.tensor(a) for a in _qkv((2, 4, 3), (2, 5, 3), (2, 5, 2)))
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.0)
    b = F.scaled_dot_product_attention(q, k, v)
    np.testing.assert_array_equal(a._data, b._data)


def _both_raise(fn_e, fn_t, exc, match=None):
    with pytest.raises(exc):
        fn_t()
    with pytest.raises(exc, match=match):
        fn_e()


@pytest.mark.parametrize("case", ["mask_and_causal", "dtype", "mask_dtype", "mask_shape", "E", "S", "gqa",
                                  "heads_without_gqa", "p", "1d", "mask_1d"])
def test_errors_as_pytorch(case):
    q, k, v = _qkv((2, 4, 3, 4), (2, 4, 5, 4), (2, 4, 5, 6))
    kw, mask = {}, None
    if case == "mask_and_causal":
        mask, kw = np.ones((3, 5), bool), {"is_causal": True}
    elif case == "dtype":
        k = k.astype(np.float64)
    elif case == "mask_dtype":
        mask = np.ones((3, 5), np.int64)
    elif case == "mask_shape":
        mask = np.ones((3, 4), bool)
    elif case == "E":
        k = k[..., :3]
    elif case == "S":
        v = v[..., :4, :]
    elif case == "gqa":
        q, k, v, kw = _r(2, 4, 3, 4), _r(2, 3, 5, 4), _r(2, 3, 5, 6), {"enable_gqa": True}
    elif case == "heads_without_gqa":
        q, k, v = _r(2, 4, 3, 4), _r(2, 2, 5, 4), _r(2, 2, 5, 6)
    elif case == "p":
        kw = {"dropout_p": 1.5}
    elif case == "1d":
        q, k, v = q[0, 0, 0], k[0, 0, 0], v[0, 0, 0]
    elif case == "mask_1d":
        mask = np.ones((5,), bool)
    exc = IndexError if case == "mask_1d" else RuntimeError
    me = None if mask is None else ember.tensor(mask)
    mt = None if mask is None else torch.tensor(mask)
    _both_raise(lambda: F.scaled_dot_product_attention(ember.tensor(q), ember.tensor(k), ember.tensor(v),
                                                       attn_mask=me, **kw),
                lambda: TF.scaled_dot_product_attention(torch.tensor(q), torch.tensor(k), torch.tensor(v),
                                                        attn_mask=mt, **kw), exc)


def test_error_names_the_fix():
    q, k, v = (ember.tensor(a) for a in _qkv((2, 4, 3, 4), (2, 2, 5, 4), (2, 2, 5, 6)))
    with pytest.raises(RuntimeError, match="enable_gqa=True"):
        F.scaled_dot_product_attention(q, k, v)


def test_one_fused_node():
    q, k, v = (ember.tensor(a, requires_grad=True) for a in _qkv((2, 4, 3), (2, 5, 3), (2, 5, 2)))
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    assert type(out.grad_fn).__name__.startswith("ScaledDotProductAttention")
    assert all(e is not None and type(e[0]).__name__ == "AccumulateGrad" for e in out.grad_fn.next_edges[:3])


# -- second derivatives ----------------------------------------------------------------------------
def _f(lib, **kw):
    if lib is ember:
        return lambda q, k, v, *m: F.scaled_dot_product_attention(q, k, v, *m, **kw)
    return lambda q, k, v, *m: TF.scaled_dot_product_attention(q, k, v, *m, **kw)


@pytest.mark.parametrize("kw", [{}, {"is_causal": True}, {"scale": 0.7}])
def test_second_order(kw):
    check_second_order(_f(ember, **kw), _f(torch, **kw), *_qkv((2, 3, 4), (2, 5, 4), (2, 5, 2), dtype=np.float64))


def test_second_order_float_mask():
    mask = _r(3, 5, seed=9, dtype=np.float64)
    mask[1, 3] = -np.inf
    check_second_order(_f(ember), _f(torch), *_qkv((2, 3, 4), (2, 5, 4), (2, 5, 2), dtype=np.float64), mask,
                       gradgrad=False)
    mask[1, 3] = 0.5
    check_second_order(_f(ember), _f(torch), *_qkv((2, 3, 4), (2, 5, 4), (2, 5, 2), dtype=np.float64), mask)


def test_second_order_bool_mask_and_gqa():
    mask = np.random.default_rng(4).random((2, 4, 3, 5)) > 0.3
    mask[..., 0] = True
    q, k, v = _qkv((2, 4, 3, 4), (2, 2, 5, 4), (2, 2, 5, 2), dtype=np.float64)
    check_second_order(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, ember.tensor(mask), enable_gqa=True),
                       lambda q, k, v: TF.scaled_dot_product_attention(q, k, v, torch.tensor(mask),
                                                                       enable_gqa=True), q, k, v)


@pytest.mark.parametrize("shapes", [((2, 3, 4), (2, 5, 4), (2, 5, 3)), ((2, 4, 8, 16), (2, 4, 8, 16), (2, 4, 8, 16)),
                                    ((1, 2, 64, 32), (1, 2, 64, 32), (1, 2, 64, 32))])
@pytest.mark.parametrize("causal", [False, True])
def test_dropout_equals_pytorch_after_manual_seed(shapes, causal):
    def run(lib, f):
        def fn(q, k, v):
            lib.manual_seed(3)
            return f(q, k, v, dropout_p=0.3, is_causal=causal)
        return fn
    check(run(ember, F.scaled_dot_product_attention), run(torch, TF.scaled_dot_product_attention), *_qkv(*shapes))
