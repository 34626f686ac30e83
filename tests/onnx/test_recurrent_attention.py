"""RNN/LSTM/GRU (ONNX's own recurrent operators) and attention layers, with dynamic batch and length."""
import numpy as np
import pytest

import ember
import ember.nn as nn

from ._check import check, op_types
from .test_math_and_shapes import Fn


class Last(nn.Module):
    """Returns (output, h_n[, c_n]) flattened: every output of the recurrent layer is compared."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        out, h = self.rnn(x)
        return (out,) + (h if isinstance(h, tuple) else (h,))


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
@pytest.mark.parametrize("kw", [dict(), dict(num_layers=2), dict(batch_first=True, num_layers=2),
                                dict(bidirectional=True), dict(bidirectional=True, batch_first=True, num_layers=2),
                                dict(bias=False)], ids=str)
def test_recurrent_layers(cls, kw):
    model = Last(cls(4, 5, **kw))
    bf = kw.get("batch_first", False)
    shape = lambda t, b: (b, t, 4) if bf else (t, b, 4)       # noqa: E731
    proto = check(model, ember.randn(*shape(6, 2)), ember.randn(*shape(3, 7)),
                  dynamic={0: [0, 1]})
    assert cls.__name__ in op_types(proto)


def test_rnn_relu_and_given_initial_state():
    model = nn.RNN(3, 4, nonlinearity="relu", num_layers=2)
    check(model, (ember.randn(5, 2, 3), ember.randn(2, 2, 4)), (ember.randn(4, 6, 3), ember.randn(2, 6, 4)),
          dynamic={0: [0, 1], 1: [1]})


def test_lstm_with_given_states():
    model = nn.LSTM(3, 4, batch_first=True)

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = model

        def forward(self, x, h, c):
            out, (h, c) = self.lstm(x, (h, c))
            return out, h, c
    args = lambda b, t: (ember.randn(b, t, 3), ember.randn(1, b, 4), ember.randn(1, b, 4))  # noqa: E731
    check(M(), args(2, 5), args(3, 4), dynamic={0: [0, 1], 1: [1], 2: [1]})


def test_lstm_projection_is_refused_with_its_name():
    with pytest.raises(ember.onnx.UnsupportedOperatorError, match="proj_size"):
        check(nn.LSTM(3, 4, proj_size=2), ember.randn(5, 2, 3))


def test_sequence_classifier_on_token_ids():
    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(20, 6)
            self.gru = nn.GRU(6, 8, batch_first=True)
            self.fc = nn.Linear(8, 3)

        def forward(self, ids):
            out, _ = self.gru(self.emb(ids))
            return self.fc(out[:, -1])
    check(Classifier(), ember.randint(0, 20, (2, 7)), ember.randint(0, 20, (5, 4)), dynamic={0: [0, 1]})


@pytest.mark.parametrize("kw", [dict(), dict(batch_first=True), dict(kdim=3, vdim=5), dict(bias=False)], ids=str)
def test_multihead_attention(kw):
    mha = nn.MultiheadAttention(8, 2, **kw)
    bf = kw.get("batch_first", False)
    kd, vd = kw.get("kdim", 8), kw.get("vdim", 8)

    def args(b, t, s):
        shp = (lambda n, d: (b, n, d)) if bf else (lambda n, d: (n, b, d))
        return ember.randn(*shp(t, 8)), ember.randn(*shp(s, kd)), ember.randn(*shp(s, vd))
    bdim = 0 if bf else 1
    check(mha, args(2, 5, 4), args(3, 5, 4), dynamic={0: [bdim], 1: [bdim], 2: [bdim]})


def test_multihead_attention_with_masks():
    mha = nn.MultiheadAttention(8, 4, batch_first=True)
    mask = ember.triu(ember.ones(5, 5, dtype=ember.bool), diagonal=1)

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.mha = mha

        def forward(self, x):
            return self.mha(x, x, x, attn_mask=mask, need_weights=False)[0]
    check(M(), ember.randn(2, 5, 8), ember.randn(4, 5, 8), dynamic={0: [0]})


@pytest.mark.parametrize("kw", [dict(), dict(batch_first=True, norm_first=True, activation="gelu")], ids=str)
def test_transformer_encoder_layer(kw):
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, **kw)
    shape = (lambda b: (b, 5, 8)) if kw.get("batch_first") else (lambda b: (5, b, 8))
    check(layer, ember.randn(*shape(2)), ember.randn(*shape(3)), dynamic={0: [0 if kw.get("batch_first") else 1]})


def test_transformer_encoder_stack():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), num_layers=2)
    check(enc, ember.randn(2, 6, 8), ember.randn(3, 6, 8), dynamic={0: [0]})


def test_attention_with_dynamic_batch_and_sequence_length():
    layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    check(layer, ember.randn(2, 5, 8), ember.randn(3, 7, 8), dynamic={0: [0, 1]})
    mha = nn.MultiheadAttention(8, 4)
    check(mha, (ember.randn(5, 2, 8),) * 3, (ember.randn(3, 4, 8),) * 3, dynamic={0: [0, 1], 1: [0, 1], 2: [0, 1]})


def test_recurrent_operator_on_projected_rows(monkeypatch):
    """When the input projection cannot feed the operator, the projected rows go in with an identity W."""
    from ember.onnx import ops_recurrent
    monkeypatch.setattr(ops_recurrent, "_input_projection", lambda c: None)
    for cls in (nn.LSTM, nn.GRU, nn.RNN):
        check(Last(cls(3, 4, bidirectional=True)), ember.randn(5, 2, 3), ember.randn(4, 3, 3), dynamic={0: [0, 1]})


def test_the_input_projection_is_not_written_twice():
    proto = check(nn.LSTM(8, 16, num_layers=2), ember.randn(5, 2, 8))
    sizes = sorted(int(np.prod(t.dims)) for t in proto.graph.initializer)
    assert sum(sizes) < 2 * (4 * 16 * (8 + 16 + 2) + 4 * 16 * (16 + 16 + 2))   # no 64x64 identity per layer
    assert "Gemm" not in [n.op_type for n in proto.graph.node]


def test_causal_attention_and_positions_follow_the_sequence_length():
    from ember.cli.charlm import CharGPT
    model = CharGPT(12, 16, dim=16, layers=2, heads=2)
    check(model, ember.randint(0, 12, (2, 8)), ember.randint(0, 12, (3, 5)), dynamic={0: [0, 1]})
    check(Fn(lambda x: x[:, :, None] * ember.arange(1, x.shape[1] + 1, 2.0)), ember.randn(2, 6),
          ember.randn(3, 9), dynamic={0: [0, 1]})
    check(Fn(lambda x: x + ember.arange(x.shape[0]).float()[:, None]), ember.randn(2, 6), ember.randn(5, 6),
          dynamic={0: [0]})
