"""nn.MultiheadAttention against PyTorch with identical weights: outputs, attention weights, input and
parameter gradients, for every option (masks of both kinds, bias_kv, zero_attn, kdim/vdim,
batch_first, unbatched, need_weights / average_attn_weights, is_causal), train and eval."""
from unittest import mock

import numpy as np
import pytest
import torch

import ember
from tests.nn._module_oracle import copy_weights
from tests.oracle import assert_close


def _r(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _pair(*args, seed=0, **kw):
    ember.manual_seed(seed)
    e = ember.nn.MultiheadAttention(*args, **kw)
    t = torch.nn.MultiheadAttention(*args, **kw)
    copy_weights(e, t)
    return e, t


def _masks(lib, masks):
    return {k: (None if v is None else lib.tensor(v)) for k, v in masks.items()}


def compare_mha(e, t, q, k=None, v=None, train=False, atol=2e-5, rtol=1e-4, seed=None, **kw):
    """Run both on the same inputs (k/v None: self-attention with one tensor object; v None: key is
    value); compare outputs, weights, input and parameter gradients. Mask arrays in ``kw`` become
    tensors of each library."""
    masks = {n: kw.pop(n) for n in ("key_padding_mask", "attn_mask") if n in kw}
    e.train(train)
    t.train(train)
    outs = []
    for lib, mod in ((ember, e), (torch, t)):
        tq = lib.tensor(q, requires_grad=True)
        tk = tq if k is None else lib.tensor(k, requires_grad=True)
        tv = tk if v is None else lib.tensor(v, requires_grad=True)
        if seed is not None:        # the same dropout masks: ember's random stream is PyTorch's
            lib.manual_seed(seed)
        out, w = mod(tq, tk, tv, **_masks(lib, masks), **kw)
        outs.append((tq, tk, tv, out, w))
    (eq, ek, ev, eo, ew), (tq, tk, tv, to, tw) = outs
    assert_close(eo, to, atol, rtol, "output")
    assert (ew is None) == (tw is None)
    if tw is not None:
        assert_close(ew, tw, atol, rtol, "weights")
    g = _r(*to.shape, seed=11)
    e_loss = (eo * ember.tensor(g)).sum()
    t_loss = (to * torch.tensor(g)).sum()
    if tw is not None:
        gw = _r(*tw.shape, seed=12)
        e_loss = e_loss + (ember.nan_to_num(ew) * ember.tensor(gw)).sum()
        t_loss = t_loss + (torch.nan_to_num(tw) * torch.tensor(gw)).sum()
    e_loss.backward()
    t_loss.backward()
    for name, a, b in (("query", eq, tq), ("key", ek, tk), ("value", ev, tv)):
        assert_close(a.grad, b.grad, atol, rtol, f"grad of {name}")
    tp = dict(t.named_parameters())
    ep = dict(e.named_parameters())
    assert list(ep) == list(tp)
    for name, p in tp.items():
        assert_close(ep[name].grad, p.grad, atol, rtol, f"grad of {name}")
    return eo, ew


L, S, N, E, H = 5, 6, 3, 8, 2


def _kpm(kind, n=N, s=S, seed=4):
    m = np.random.default_rng(seed).random((n, s)) > 0.6
    m[..., 0] = False                              # every query keeps one key
    return m if kind == "bool" else np.where(m, -np.inf, 0.0).astype(np.float32) + 0.1 * _r(n, s, seed=5)


def _am(kind, shape, seed=6):
    m = np.random.default_rng(seed).random(shape) > 0.6
    m[..., 0] = False
    return m if kind == "bool" else np.where(m, -np.inf, 0.0).astype(np.float32) + 0.1 * _r(*shape, seed=7)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("average", [True, False])
@pytest.mark.parametrize("inputs", ["self", "kv_same", "distinct"])
def test_basic(need_weights, average, inputs):
    e, t = _pair(E, H)
    q = _r(L, N, E, seed=1)
    k = None if inputs == "self" else _r(S, N, E, seed=2)
    v = None if inputs != "distinct" else _r(S, N, E, seed=3)
    compare_mha(e, t, q, k, v, need_weights=need_weights, average_attn_weights=average)


@pytest.mark.parametrize("kind", ["bool", "float"])
@pytest.mark.parametrize("need_weights", [True, False])
def test_key_padding_mask(kind, need_weights):
    e, t = _pair(E, H)
    compare_mha(e, t, _r(L, N, E, seed=1), _r(S, N, E, seed=2), _r(S, N, E, seed=3),
                key_padding_mask=_kpm(kind), need_weights=need_weights)


@pytest.mark.parametrize("kind", ["bool", "float"])
@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("need_weights", [True, False])
def test_attn_mask(kind, dims, need_weights):
    e, t = _pair(E, H)
    shape = (L, S) if dims == 2 else (N * H, L, S)
    compare_mha(e, t, _r(L, N, E, seed=1), _r(S, N, E, seed=2), _r(S, N, E, seed=3),
                attn_mask=_am(kind, shape), need_weights=need_weights)


@pytest.mark.parametrize("need_weights", [True, False])
def test_both_masks(need_weights):
    e, t = _pair(E, H)
    compare_mha(e, t, _r(L, N, E, seed=1), _r(S, N, E, seed=2), _r(S, N, E, seed=3),
                attn_mask=_am("float", (L, S)), key_padding_mask=_kpm("bool"), need_weights=need_weights)


@pytest.mark.parametrize("add_bias_kv", [False, True])
@pytest.mark.parametrize("add_zero_attn", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_bias_kv_and_zero_attn(add_bias_kv, add_zero_attn, masked):
    e, t = _pair(E, H, add_bias_kv=add_bias_kv, add_zero_attn=add_zero_attn)
    kw = {"attn_mask": _am("bool", (L, S)), "key_padding_mask": _kpm("float")} if masked else {}
    compare_mha(e, t, _r(L, N, E, seed=1), _r(S, N, E, seed=2), _r(S, N, E, seed=3), **kw)
    compare_mha(e, t, _r(L, N, E, seed=1), _r(S, N, E, seed=2), _r(S, N, E, seed=3), need_weights=False, **kw)


@pytest.mark.parametrize("bias", [True, False])
def test_kdim_vdim(bias):
    e, t = _pair(E, H, kdim=5, vdim=7, bias=bias)
    assert e.in_proj_weight is None and tuple(e.k_proj_weight.shape) == (E, 5)
    compare_mha(e, t, _r(L, N, E, seed=1), _r(S, N, 5, seed=2), _r(S, N, 7, seed=3), key_padding_mask=_kpm("bool"))
    compare_mha(e, t, _r(L, N, E, seed=1), _r(S, N, 5, seed=2), _r(S, N, 7, seed=3), need_weights=False)


def test_no_bias():
    e, t = _pair(E, H, bias=False)
    assert e.in_proj_bias is None and e.out_proj.bias is None
    compare_mha(e, t, _r(L, N, E, seed=1))


@pytest.mark.parametrize("inputs", ["self", "distinct"])
@pytest.mark.parametrize("need_weights", [True, False])
def test_batch_first(inputs, need_weights):
    e, t = _pair(E, H, batch_first=True)
    k = None if inputs == "self" else _r(N, S, E, seed=2)
    v = None if inputs == "self" else _r(N, S, E, seed=3)
    out, _ = compare_mha(e, t, _r(N, L, E, seed=1), k, v, key_padding_mask=_kpm("bool", N, L if k is None else S),
                         need_weights=need_weights)
    assert tuple(out.shape) == (N, L, E)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights", [True, False])
def test_unbatched(batch_first, need_weights):
    e, t = _pair(E, H, batch_first=batch_first)
    kpm = _kpm("bool", 1, S)[0]
    compare_mha(e, t, _r(L, E, seed=1), _r(S, E, seed=2), _r(S, E, seed=3), key_padding_mask=kpm,
                attn_mask=_am("float", (H, L, S)), need_weights=need_weights, average_attn_weights=False)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("kpm", [False, True])
def test_is_causal_with_its_mask(need_weights, kpm):
    e, t = _pair(E, H)
    causal = torch.nn.Transformer.generate_square_subsequent_mask(L).numpy()
    kw = {"key_padding_mask": _kpm("bool", N, L)} if kpm else {}
    compare_mha(e, t, _r(L, N, E, seed=1), attn_mask=causal, is_causal=True, need_weights=need_weights, **kw)


def test_fully_masked_rows_match_pytorch():
    # need_weights=True: the written-out softmax gives NaN as PyTorch's; need_weights=False: 0
    e, t = _pair(E, H)
    kpm = np.zeros((N, S), bool)
    kpm[1] = True
    for nw in (True, False):
        e.eval()
        t.eval()
        q, k = _r(L, N, E, seed=1), _r(S, N, E, seed=2)
        with torch.no_grad():
            to, _ = t(torch.tensor(q), torch.tensor(k), torch.tensor(k), key_padding_mask=torch.tensor(kpm),
                      need_weights=nw)
        eo, _ = e(ember.tensor(q), ember.tensor(k), ember.tensor(k), key_padding_mask=ember.tensor(kpm),
                  need_weights=nw)
        assert_close(eo, to, 2e-5, 1e-4, f"need_weights={nw}")


def test_train_mode_with_zero_dropout_equals_pytorch():
    e, t = _pair(E, H, dropout=0.0)
    compare_mha(e, t, _r(L, N, E, seed=1), _r(S, N, E, seed=2), train=True, key_padding_mask=_kpm("bool"))


@pytest.mark.parametrize("need_weights", [True, False])
def test_dropout_only_in_training(need_weights):
    e, _ = _pair(E, H, dropout=0.5)
    x = ember.tensor(_r(L, N, E, seed=1))
    e.eval()
    a, _ = e(x, x, x, need_weights=need_weights)
    b, _ = e(x, x, x, need_weights=need_weights)
    np.testing.assert_array_equal(a._data, b._data)
    e.train()
    c, _ = e(x, x, x, need_weights=need_weights)
    assert not np.allclose(a._data, c._data)


def test_parameters_and_state_dict_layout():
    for kw in ({}, {"kdim": 3, "vdim": 5}, {"add_bias_kv": True}, {"bias": False}):
        e, t = _pair(E, H, **kw)
        assert list(e.state_dict()) == list(t.state_dict())
        assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
        assert isinstance(e.out_proj, ember.nn.Linear)
    e = ember.nn.MultiheadAttention(E, H)
    assert not np.any(e.in_proj_bias._data) and not np.any(e.out_proj.bias._data)
    bound = np.sqrt(6 / (E + 3 * E))                  # xavier_uniform_ on the (3E, E) in_proj_weight
    assert np.abs(e.in_proj_weight._data).max() <= bound and np.abs(e.in_proj_weight._data).max() > 0.8 * bound


def _init_calls(lib, module, **kw):
    names = ["xavier_uniform_", "xavier_normal_", "constant_"]
    calls = []
    patches = [mock.patch.object(module, n, side_effect=lambda t, *a, _n=n, **k: calls.append((_n, tuple(t.shape))))
               for n in names]
    for p in patches:
        p.start()
    try:
        lib.nn.MultiheadAttention(E, H, **kw)
    finally:
        for p in patches:
            p.stop()
    return calls


@pytest.mark.parametrize("kw", [{}, {"kdim": 3, "vdim": 5, "add_bias_kv": True}, {"bias": False}])
def test_init_calls_in_pytorch_order(kw):
    import torch.nn.modules.activation as tact

    import ember.nn.modules.multihead_attention as eact
    assert _init_calls(ember, eact, **kw) == _init_calls(torch, tact, **kw)


def test_module_paths():
    import ember.nn.modules.activation as act
    assert act.MultiheadAttention is ember.nn.MultiheadAttention
    assert "MultiheadAttention" in act.__all__


@pytest.mark.parametrize("case", ["divisible", "query_dim", "causal_without_mask", "mask_2d_shape",
                                  "mask_3d_shape", "kpm_shape", "mask_dtype"])
def test_errors_as_pytorch(case):
    def run(lib):
        if case == "divisible":
            return lib.nn.MultiheadAttention(7, 2)
        m = lib.nn.MultiheadAttention(E, H)
        q = lib.tensor(_r(L, N, E))
        kw = {}
        if case == "query_dim":
            q = lib.tensor(_r(2, L, N, E))
        elif case == "causal_without_mask":
            kw = {"is_causal": True}
        elif case == "mask_2d_shape":
            kw = {"attn_mask": lib.zeros(L, L + 1)}
        elif case == "mask_3d_shape":
            kw = {"attn_mask": lib.zeros(N, L, L)}
        elif case == "kpm_shape":
            kw = {"key_padding_mask": lib.zeros(N, L + 1, dtype=lib.bool)}
        elif case == "mask_dtype":
            kw = {"attn_mask": lib.zeros(L, L, dtype=lib.int64)}
        return m(q, q, q, **kw)
    with pytest.raises(Exception) as te:
        run(torch)
    with pytest.raises(type(te.value)):
        run(ember)


def test_float64_module():
    ember.manual_seed(0)
    e = ember.nn.MultiheadAttention(E, H, dtype=ember.float64)
    t = torch.nn.MultiheadAttention(E, H, dtype=torch.float64)
    copy_weights(e, t)
    assert e.in_proj_weight.dtype == ember.float64 and e.out_proj.weight.dtype == ember.float64
    q = _r(L, N, E, seed=1).astype(np.float64)
    out, w = compare_mha(e, t, q, key_padding_mask=_kpm("bool", N, L), atol=1e-10, rtol=1e-10)
    assert out.dtype == ember.float64 and w.dtype == ember.float64


@pytest.mark.parametrize("need_weights", [True, False])
def test_second_order_through_multi_head_attention(need_weights):
    from tests.autograd.second_order import check_second_order

    def fn(lib):
        F = lib.nn.functional

        def f(q, k, w_in, b_in, w_out):
            mask = lib.tensor(np.array([[False, False, True, False]] * 2))
            return F.multi_head_attention_forward(q, k, k, 4, 2, w_in, b_in, None, None, False, 0.0, w_out, None,
                                                  key_padding_mask=mask, need_weights=need_weights)[0]
        return f
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in [(3, 2, 4), (4, 2, 4), (12, 4), (12,), (4, 4)]]
    # PyTorch's CPU flash kernel has no double backward; its math kernel is the reference here
    from torch.nn.attention import SDPBackend, sdpa_kernel
    with sdpa_kernel(SDPBackend.MATH):
        check_second_order(fn(ember), fn(torch), *arrays, gradgrad=False)


def test_fully_masked_rows_do_not_warn():
    import warnings
    e = ember.nn.MultiheadAttention(E, H)
    kpm = np.zeros((N, L), bool)
    kpm[0] = True
    x = ember.tensor(_r(L, N, E))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, w = e(x, x, x, key_padding_mask=ember.tensor(kpm))
    assert np.isnan(w._data[0]).all() and not np.isnan(w._data[1:]).any()


@pytest.mark.parametrize("kw", [{}, {"kdim": 3, "vdim": 5, "add_bias_kv": True}, {"bias": False}])
def test_initialisation_equals_pytorch_after_manual_seed(kw):
    ember.manual_seed(0)
    e = ember.nn.MultiheadAttention(E, H, **kw)
    torch.manual_seed(0)
    t = torch.nn.MultiheadAttention(E, H, **kw)
    for k, v in t.state_dict().items():
        np.testing.assert_array_equal(e.state_dict()[k]._data, v.numpy(), err_msg=k)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("average", [True, False])
def test_train_mode_with_dropout_equals_pytorch(need_weights, average):
    e, t = _pair(E, H, dropout=0.3)
    compare_mha(e, t, _r(L, N, E, seed=1), _r(S, N, E, seed=2), train=True, seed=4, need_weights=need_weights,
                average_attn_weights=average, key_padding_mask=_kpm("bool"))
