"""Transformer encoder/decoder layers, their stacks and nn.Transformer against PyTorch with identical
weights (state_dict copied): outputs, input and parameter gradients; norm_first, activations,
batch_first, masks of both kinds, causal flags, eval and train (dropout 0)."""
from unittest import mock

import numpy as np
import pytest
import torch

import ember
from tests.nn._module_oracle import copy_weights
from tests.oracle import assert_close

D, H, FF = 16, 4, 24
L, S, N = 5, 6, 3


def _r(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _build(make, seed=0):
    ember.manual_seed(seed)
    e, t = make(ember), make(torch)
    copy_weights(e, t)
    return e, t


def compare(e, t, inputs, masks=None, train=False, atol=5e-5, rtol=2e-4, seed=None, **kw):
    """Both modules on the same float inputs (requiring grad) plus mask keyword arrays; compares the
    output, the inputs' and the parameters' gradients."""
    masks = masks or {}
    e.train(train)
    t.train(train)
    res = []
    for lib, mod in ((ember, e), (torch, t)):
        xs = [lib.tensor(a, requires_grad=True) for a in inputs]
        ms = {k: (lib.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in masks.items()}
        if seed is not None:        # the same dropout masks: ember's random stream is PyTorch's
            lib.manual_seed(seed)
        res.append((xs, mod(*xs, **ms, **kw)))
    (exs, eo), (txs, to) = res
    assert_close(eo, to, atol, rtol, "output")
    g = _r(*to.shape, seed=9)
    eo.backward(ember.tensor(g))
    to.backward(torch.tensor(g))
    for i, (a, b) in enumerate(zip(exs, txs)):
        assert_close(a.grad, b.grad, atol, rtol, f"grad of input {i}")
    tp, ep = dict(t.named_parameters()), dict(e.named_parameters())
    assert list(ep) == list(tp)
    for name, p in tp.items():
        assert_close(ep[name].grad, p.grad, atol, rtol, f"grad of {name}")
    return eo


def _causal(n):
    return torch.nn.Transformer.generate_square_subsequent_mask(n).numpy()


def _kpm(n, s, kind="bool", seed=3):
    m = np.random.default_rng(seed).random((n, s)) > 0.6
    m[:, 0] = False
    return m if kind == "bool" else np.where(m, -np.inf, 0.0).astype(np.float32)


def _act(lib, name):
    if name == "callable":
        return lib.nn.functional.silu
    if name == "module":
        return lib.nn.GELU()
    return name


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu", "callable", "module"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer(norm_first, activation, batch_first):
    e, t = _build(lambda lib: lib.nn.TransformerEncoderLayer(D, H, FF, dropout=0.1, activation=_act(lib, activation),
                                                             batch_first=batch_first, norm_first=norm_first))
    x = _r(N, L, D, seed=1) if batch_first else _r(L, N, D, seed=1)
    compare(e, t, [x], {"src_key_padding_mask": _kpm(N, L)})


@pytest.mark.parametrize("mask", ["none", "bool", "float", "causal", "causal_flag"])
@pytest.mark.parametrize("kpm", [None, "bool", "float"])
def test_encoder_layer_masks(mask, kpm):
    e, t = _build(lambda lib: lib.nn.TransformerEncoderLayer(D, H, FF))
    masks, kw = {}, {}
    if mask == "bool":
        m = np.random.default_rng(2).random((L, L)) > 0.6
        np.fill_diagonal(m, False)
        masks["src_mask"] = m
    elif mask == "float":
        masks["src_mask"] = _r(L, L, seed=2)
    elif mask in ("causal", "causal_flag"):
        masks["src_mask"] = _causal(L)
        kw = {"is_causal": mask == "causal_flag"}
    if kpm is not None:
        masks["src_key_padding_mask"] = _kpm(N, L, kpm)
    compare(e, t, [_r(L, N, D, seed=1)], masks, **kw)


def test_encoder_layer_unbatched_and_no_bias():
    e, t = _build(lambda lib: lib.nn.TransformerEncoderLayer(D, H, FF, bias=False, norm_first=True))
    compare(e, t, [_r(L, D, seed=1)], {"src_mask": _causal(L)})


def test_encoder_layer_train_mode_with_zero_dropout():
    e, t = _build(lambda lib: lib.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0))
    compare(e, t, [_r(L, N, D, seed=1)], {"src_key_padding_mask": _kpm(N, L)}, train=True)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu", "callable"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_decoder_layer(norm_first, activation, batch_first):
    e, t = _build(lambda lib: lib.nn.TransformerDecoderLayer(D, H, FF, activation=_act(lib, activation),
                                                             batch_first=batch_first, norm_first=norm_first))
    tgt = _r(N, L, D, seed=1) if batch_first else _r(L, N, D, seed=1)
    mem = _r(N, S, D, seed=2) if batch_first else _r(S, N, D, seed=2)
    compare(e, t, [tgt, mem], {"tgt_mask": _causal(L), "tgt_key_padding_mask": _kpm(N, L),
                               "memory_key_padding_mask": _kpm(N, S, seed=4)})


@pytest.mark.parametrize("kind", ["bool", "float"])
@pytest.mark.parametrize("causal_flag", [False, True])
def test_decoder_layer_masks(kind, causal_flag):
    e, t = _build(lambda lib: lib.nn.TransformerDecoderLayer(D, H, FF))
    mm = np.random.default_rng(5).random((L, S)) > 0.6
    mm[:, 0] = False
    masks = {"tgt_mask": _causal(L), "memory_mask": mm if kind == "bool" else np.where(mm, -1e9, 0.3).astype(np.float32),
             "memory_key_padding_mask": _kpm(N, S, kind, seed=6)}
    compare(e, t, [_r(L, N, D, seed=1), _r(S, N, D, seed=2)], masks, tgt_is_causal=causal_flag)


def test_decoder_layer_memory_is_causal():
    e, t = _build(lambda lib: lib.nn.TransformerDecoderLayer(D, H, FF))
    compare(e, t, [_r(L, N, D, seed=1), _r(L, N, D, seed=2)], {"tgt_mask": _causal(L), "memory_mask": _causal(L)},
            tgt_is_causal=True, memory_is_causal=True)


def test_decoder_layer_train_mode_with_zero_dropout():
    e, t = _build(lambda lib: lib.nn.TransformerDecoderLayer(D, H, FF, dropout=0.0, batch_first=True))
    compare(e, t, [_r(N, L, D, seed=1), _r(N, S, D, seed=2)], {"tgt_mask": _causal(L)}, train=True)


@pytest.mark.parametrize("norm", [False, True])
@pytest.mark.parametrize("mask", ["none", "causal", "kpm"])
def test_encoder_stack(norm, mask):
    def make(lib):
        layer = lib.nn.TransformerEncoderLayer(D, H, FF, norm_first=True)
        return lib.nn.TransformerEncoder(layer, 3, norm=lib.nn.LayerNorm(D) if norm else None,
                                         enable_nested_tensor=False)
    e, t = _build(make)
    masks = {"causal": {"mask": _causal(L)}, "kpm": {"src_key_padding_mask": _kpm(N, L)}, "none": {}}[mask]
    compare(e, t, [_r(L, N, D, seed=1)], masks)


def test_encoder_stack_layers_are_independent_copies():
    layer = ember.nn.TransformerEncoderLayer(D, H, FF)
    enc = ember.nn.TransformerEncoder(layer, 2)
    assert enc.layers[0] is not layer and enc.layers[0] is not enc.layers[1]
    assert enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight
    np.testing.assert_array_equal(enc.layers[0].linear1.weight._data, layer.linear1.weight._data)
    assert len(list(enc.parameters())) == 2 * len(list(layer.parameters()))
    assert enc.enable_nested_tensor is True and enc.mask_check is True and enc.use_nested_tensor is False


@pytest.mark.parametrize("norm", [False, True])
def test_decoder_stack(norm):
    def make(lib):
        layer = lib.nn.TransformerDecoderLayer(D, H, FF, batch_first=True)
        return lib.nn.TransformerDecoder(layer, 2, norm=lib.nn.LayerNorm(D) if norm else None)
    e, t = _build(make)
    compare(e, t, [_r(N, L, D, seed=1), _r(N, S, D, seed=2)],
            {"tgt_mask": _causal(L), "memory_key_padding_mask": _kpm(N, S)})


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer(batch_first, norm_first):
    def make(lib):
        return lib.nn.Transformer(D, H, 2, 2, FF, batch_first=batch_first, norm_first=norm_first)
    e, t = _build(make)
    src = _r(N, S, D, seed=1) if batch_first else _r(S, N, D, seed=1)
    tgt = _r(N, L, D, seed=2) if batch_first else _r(L, N, D, seed=2)
    masks = {"tgt_mask": _causal(L), "src_key_padding_mask": _kpm(N, S), "tgt_key_padding_mask": _kpm(N, L, seed=7),
             "memory_key_padding_mask": _kpm(N, S)}
    compare(e, t, [src, tgt], masks)


def test_transformer_all_masks_gelu_no_bias():
    def make(lib):
        return lib.nn.Transformer(D, H, 1, 2, FF, activation="gelu", bias=False)
    e, t = _build(make)
    sm = np.random.default_rng(8).random((S, S)) > 0.7
    np.fill_diagonal(sm, False)
    mm = _r(L, S, seed=9)
    compare(e, t, [_r(S, N, D, seed=1), _r(L, N, D, seed=2)],
            {"src_mask": sm, "tgt_mask": _causal(L), "memory_mask": mm}, tgt_is_causal=True)


def test_transformer_unbatched():
    e, t = _build(lambda lib: lib.nn.Transformer(D, H, 1, 1, FF))
    compare(e, t, [_r(S, D, seed=1), _r(L, D, seed=2)], {"tgt_mask": _causal(L)})


def test_generate_square_subsequent_mask():
    for kw_e, kw_t in (({}, {}), ({"dtype": ember.float64}, {"dtype": torch.float64})):
        m = ember.nn.Transformer.generate_square_subsequent_mask(4, **kw_e)
        assert_close(m, torch.nn.Transformer.generate_square_subsequent_mask(4, **kw_t))


def test_transformer_init_calls_xavier_on_matrices_in_pytorch_order():
    import torch.nn.modules.transformer as tt

    import ember.nn.modules.transformer as et

    def calls(lib, module):
        seen = []
        with mock.patch.object(module, "xavier_uniform_", side_effect=lambda p: seen.append(tuple(p.shape))):
            lib.nn.Transformer(D, H, 1, 2, FF)
        return seen
    got = calls(ember, et)
    assert got == calls(torch, tt) and len(got) == 1 * 4 + 2 * 6


def test_state_dict_loads_from_pytorch():
    torch.manual_seed(0)
    t = torch.nn.Transformer(D, H, 1, 1, FF)
    e = ember.nn.Transformer(D, H, 1, 1, FF)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    compare(e, t, [_r(S, N, D, seed=1), _r(L, N, D, seed=2)], {}, atol=5e-5)


def test_errors_as_pytorch():
    for lib in (torch, ember):
        m = lib.nn.Transformer(D, H, 1, 1, FF)
        with pytest.raises(RuntimeError, match="batch number"):
            m(lib.zeros(S, N, D), lib.zeros(L, N + 1, D))
        with pytest.raises(RuntimeError, match="d_model"):
            m(lib.zeros(S, N, D + 1), lib.zeros(L, N, D + 1))
        with pytest.raises(RuntimeError, match="activation should be relu/gelu"):
            lib.nn.TransformerEncoderLayer(D, H, activation="tanh")


def test_module_paths():
    import ember.nn.modules.transformer as et
    for name in ["Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
                 "TransformerDecoderLayer"]:
        assert getattr(et, name) is getattr(ember.nn, name)


def test_custom_encoder_and_decoder():
    enc = ember.nn.TransformerEncoder(ember.nn.TransformerEncoderLayer(D, H, FF), 1)
    dec = ember.nn.TransformerDecoder(ember.nn.TransformerDecoderLayer(D, H, FF), 1)
    m = ember.nn.Transformer(D, H, custom_encoder=enc, custom_decoder=dec)
    assert m.encoder is enc and m.decoder is dec
    assert m(ember.randn(S, N, D), ember.randn(L, N, D)).shape == (L, N, D)


def test_torch_module_paths_resolve_under_ember_run(tmp_path):
    import os
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    script = tmp_path / "prog.py"
    script.write_text(
        "import torch\n"
        "from torch.nn.modules.activation import MultiheadAttention\n"
        "from torch.nn.modules.transformer import TransformerEncoderLayer, Transformer\n"
        "import torch.nn.functional as F\n"
        "layer = TransformerEncoderLayer(8, 2, 16, batch_first=True)\n"
        "x = torch.randn(2, 5, 8)\n"
        "y = layer(x, src_mask=Transformer.generate_square_subsequent_mask(5), is_causal=True)\n"
        "a = F.scaled_dot_product_attention(x, x, x, is_causal=True)\n"
        "print(torch.__name__, tuple(y.shape), tuple(a.shape),"
        " MultiheadAttention is torch.nn.MultiheadAttention)\n")
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "ember.cli.main", "run", str(script)], capture_output=True,
                          text=True, env=env, cwd=str(tmp_path), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "ember (2, 5, 8) (2, 5, 8) True" in proc.stdout


def test_initialisation_equals_pytorch_after_manual_seed():
    for make in (lambda lib: lib.nn.Transformer(D, H, 1, 2, FF),
                 lambda lib: lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(D, H, FF), 2),
                 lambda lib: lib.nn.TransformerDecoderLayer(D, H, FF, bias=False)):
        ember.manual_seed(0)
        e = make(ember)
        torch.manual_seed(0)
        t = make(torch)
        for k, v in t.state_dict().items():
            np.testing.assert_array_equal(e.state_dict()[k]._data, v.numpy(), err_msg=k)


@pytest.mark.parametrize("norm_first", [False, True])
def test_train_mode_with_dropout_equals_pytorch(norm_first):
    e, t = _build(lambda lib: lib.nn.TransformerEncoderLayer(D, H, FF, dropout=0.2, norm_first=norm_first))
    compare(e, t, [_r(L, N, D, seed=1)], {"src_key_padding_mask": _kpm(N, L)}, train=True, seed=5)
    e, t = _build(lambda lib: lib.nn.TransformerDecoderLayer(D, H, FF, dropout=0.2, norm_first=norm_first))
    compare(e, t, [_r(L, N, D, seed=1), _r(S, N, D, seed=2)], {"tgt_mask": _causal(L)}, train=True, seed=6,
            tgt_is_causal=True)
    e, t = _build(lambda lib: lib.nn.Transformer(D, H, 1, 1, FF, dropout=0.2, norm_first=norm_first))
    compare(e, t, [_r(S, N, D, seed=1), _r(L, N, D, seed=2)], {"tgt_mask": _causal(L)}, train=True, seed=7)
