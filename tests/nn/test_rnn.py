"""nn.RNN, nn.LSTM, nn.GRU and their cells against PyTorch with identical weights (torch's
state_dict loaded into ember's module): outputs, final states, and the gradients of the input,
the initial states and every parameter, for every option."""
import math
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.nn.utils import rnn as ernn
from torch.nn.utils import rnn as trnn

MODES = {  # name: (class name, extra constructor kwargs)
    "rnn_tanh": ("RNN", {}),
    "rnn_relu": ("RNN", {"nonlinearity": "relu"}),
    "lstm": ("LSTM", {}),
    "lstm_proj": ("LSTM", {"proj_size": 3}),
    "gru": ("GRU", {}),
}
I, H = 4, 5


def _pair(mode, dtype=torch.float64, **kw):
    """(ember module, torch module) with torch's weights loaded into ember."""
    cls, extra = MODES[mode]
    t = getattr(torch.nn, cls)(I, H, **extra, **kw).to(dtype)
    e = getattr(ember.nn, cls)(I, H, **extra, **kw, dtype=getattr(ember, str(dtype).split(".")[1]))
    e.load_state_dict({k: ember.tensor(v.detach().numpy().copy()) for k, v in t.state_dict().items()})
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    return e, t


def _states_shape(mode, t_mod, batch):
    d = 2 if t_mod.bidirectional else 1
    h_size = t_mod.proj_size if t_mod.proj_size else H
    shapes = [(t_mod.num_layers * d, *batch, h_size)]
    if MODES[mode][0] == "LSTM":
        shapes.append((t_mod.num_layers * d, *batch, H))
    return shapes


def _run(lib, mod, x, states, packed=None):
    """Forward (+ backward of a random linear function of every output); returns the outputs and
    the gradients of x, the states and the parameters as NumPy arrays."""
    def T(a):
        return lib.tensor(a.copy(), requires_grad=True)
    xs = T(x)
    hs = [T(s) for s in states] if states is not None else None
    hx = None if hs is None else (tuple(hs) if len(hs) == 2 else hs[0])
    inp = xs
    if packed is not None:
        lengths, enforce_sorted = packed
        utils = ernn if lib is ember else trnn
        inp = utils.pack_padded_sequence(xs, lengths, batch_first=mod.batch_first, enforce_sorted=enforce_sorted)
    out, fin = mod(inp, hx)
    fin = list(fin) if isinstance(fin, tuple) else [fin]
    if packed is not None:
        utils = ernn if lib is ember else trnn
        assert out.batch_sizes.tolist() == inp.batch_sizes.tolist()
        out, _ = utils.pad_packed_sequence(out, batch_first=mod.batch_first)
    rng = np.random.default_rng(1)
    loss = None
    for o in [out] + fin:
        g = rng.standard_normal(tuple(o.shape))
        term = (o * lib.tensor(g, dtype=o.dtype)).sum()
        loss = term if loss is None else loss + term
    loss.backward()
    grads = [xs.grad.detach().numpy()] + ([h.grad.detach().numpy() for h in hs] if hs else [])
    params = {n: p.grad.detach().numpy() for n, p in mod.named_parameters()}
    return [o.detach().numpy() for o in [out] + fin], grads, params


def _compare(mode, x, states, e, t, packed=None, atol=1e-9, rtol=1e-7):
    e_out, e_grads, e_params = _run(ember, e, x, states, packed)
    t_out, t_grads, t_params = _run(torch, t, x, states, packed)
    for k, (a, b) in enumerate(zip(e_out, t_out)):
        assert a.dtype == b.dtype and a.shape == b.shape, (k, a.dtype, b.dtype, a.shape, b.shape)
        np.testing.assert_allclose(a, b, atol=atol, rtol=rtol, err_msg=f"output {k}")
    for k, (a, b) in enumerate(zip(e_grads, t_grads)):
        np.testing.assert_allclose(a, b, atol=atol, rtol=rtol, err_msg=f"grad of input {k}")
    assert list(e_params) == list(t_params)
    for n in t_params:
        np.testing.assert_allclose(e_params[n], t_params[n], atol=atol, rtol=rtol, err_msg=f"grad of {n}")


def _x(*shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_layers_match_torch(mode, num_layers, bidirectional, bias):
    e, t = _pair(mode, num_layers=num_layers, bidirectional=bidirectional, bias=bias)
    x = _x(6, 3, I)
    states = [_x(*s, seed=2 + k) for k, s in enumerate(_states_shape(mode, t, (3,)))]
    _compare(mode, x, states, e, t)


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("with_states", [False, True])
def test_batch_first_and_default_states(mode, with_states):
    e, t = _pair(mode, num_layers=2, bidirectional=True, batch_first=True)
    x = _x(3, 7, I)
    states = [_x(*s, seed=5 + k) for k, s in enumerate(_states_shape(mode, t, (3,)))] if with_states else None
    _compare(mode, x, states, e, t)


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("with_states", [False, True])
def test_unbatched_input(mode, with_states):
    e, t = _pair(mode, num_layers=2, bidirectional=True)
    states = [_x(*s, seed=5 + k) for k, s in enumerate(_states_shape(mode, t, ()))] if with_states else None
    _compare(mode, _x(6, I), states, e, t)


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_sequences(mode, enforce_sorted, batch_first, bidirectional):
    e, t = _pair(mode, num_layers=2, bidirectional=bidirectional, batch_first=batch_first)
    lengths = [6, 4, 4, 1] if enforce_sorted else [3, 6, 1, 4]
    x = _x(4, 6, I) if batch_first else _x(6, 4, I)
    states = [_x(*s, seed=5 + k) for k, s in enumerate(_states_shape(mode, t, (4,)))]
    _compare(mode, x, states, e, t, packed=(lengths, enforce_sorted))
    _compare(mode, x, None, e, t, packed=(lengths, enforce_sorted))


def test_packed_output_is_packed_like_torch():
    e, t = _pair("lstm", bidirectional=True)
    x = _x(5, 3, I)
    ep = ernn.pack_padded_sequence(ember.tensor(x), [2, 5, 3], enforce_sorted=False)
    tp = trnn.pack_padded_sequence(torch.tensor(x), [2, 5, 3], enforce_sorted=False)
    eo, (eh, ec) = e(ep)
    to, (th, tc) = t(tp)
    assert isinstance(eo, ernn.PackedSequence)
    np.testing.assert_allclose(eo.data.detach().numpy(), to.data.detach().numpy(), atol=1e-12)
    assert eo.batch_sizes.tolist() == to.batch_sizes.tolist()
    assert eo.sorted_indices.tolist() == to.sorted_indices.tolist()
    assert eo.unsorted_indices.tolist() == to.unsorted_indices.tolist()
    np.testing.assert_allclose(eh.detach().numpy(), th.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(ec.detach().numpy(), tc.detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("mode", list(MODES))
def test_float32_train_and_eval(mode):
    for train in (True, False):
        e, t = _pair(mode, dtype=torch.float32, num_layers=2, bidirectional=True, dropout=0.3)
        e.train(train)
        t.train(train)
        if train:   # dropout is random: compare without it, then check it is applied below
            e.dropout = t.dropout = 0.0
        x = _x(5, 2, I, dtype=np.float32)
        states = [_x(*s, dtype=np.float32, seed=3 + k) for k, s in enumerate(_states_shape(mode, t, (2,)))]
        _compare(mode, x, states, e, t, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("mode", list(MODES))
def test_dropout_between_layers_in_training_only(mode):
    e, t = _pair(mode, dtype=torch.float32, num_layers=2, dropout=0.5)
    x = ember.tensor(_x(6, 8, I, dtype=np.float32))
    e.eval()
    a, b = e(x)[0], e(x)[0]
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    e.train()
    ember.manual_seed(1)
    c = e(x)[0]
    d = e(x)[0]
    assert c.shape == a.shape and c.dtype == ember.float32
    c, d, a = c.detach().numpy(), d.detach().numpy(), a.detach().numpy()
    assert not np.allclose(c, d) and not np.allclose(c, a)
    # dropout=1 zeroes the second layer's input, in both libraries: the outputs then agree exactly
    e1, t1 = _pair(mode, dtype=torch.float32, num_layers=2, dropout=1.0)
    e1.train()
    t1.train()
    eo = e1(ember.tensor(_x(4, 3, I, dtype=np.float32)))[0]
    to = t1(torch.tensor(_x(4, 3, I, dtype=np.float32)))[0]
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), atol=1e-6)


def test_dropout_statistics_match_the_rate():
    """Layer 1 is set to output ones (relu(h0 @ I) with zero input weights) and layer 2 to copy its
    input (relu(x @ I)): layer 2's output is then exactly the dropout mask, 0 or 1/(1-p)."""
    ember.manual_seed(0)
    m = ember.nn.RNN(4, 200, num_layers=2, dropout=0.5, nonlinearity="relu", bias=False)
    with ember.no_grad():
        m.weight_ih_l0.zero_()
        m.weight_hh_l0.copy_(ember.eye(200))
        m.weight_ih_l1.copy_(ember.eye(200))
        m.weight_hh_l1.zero_()
    h0 = ember.stack([ember.ones(50, 200), ember.zeros(50, 200)])
    m.eval()
    np.testing.assert_array_equal(m(ember.zeros(1, 50, 4), h0)[0].detach().numpy(), np.ones((1, 50, 200), np.float32))
    m.train()
    vals = m(ember.zeros(1, 50, 4), h0)[0].detach().numpy()
    assert set(np.unique(vals)) == {0.0, 2.0}
    assert 0.47 < (vals == 0).mean() < 0.53


def test_parameters_names_shapes_repr_and_state_dict_like_torch():
    for cls, kw in [("LSTM", dict(num_layers=2, bidirectional=True, proj_size=2)), ("GRU", dict(bias=False)),
                    ("RNN", dict(num_layers=3, nonlinearity="relu", batch_first=True, dropout=0.2))]:
        e = getattr(ember.nn, cls)(I, H, **kw)
        t = getattr(torch.nn, cls)(I, H, **kw)
        assert repr(e) == repr(t)
        assert [(n, tuple(p.shape)) for n, p in e.named_parameters()] == \
               [(n, tuple(p.shape)) for n, p in t.named_parameters()]
        assert list(e.state_dict()) == list(t.state_dict())
        assert e._flat_weights_names == t._flat_weights_names
        assert [[tuple(w.shape) for w in ws] for ws in e.all_weights] == \
               [[tuple(w.shape) for w in ws] for ws in t.all_weights]
        assert all(isinstance(w, ember.nn.Parameter) for ws in e.all_weights for w in ws)
        assert e.flatten_parameters() is None
        for attr in ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout", "bidirectional",
                     "proj_size", "mode"):
            assert getattr(e, attr) == getattr(t, attr), attr
    for cls, kw in [("RNNCell", dict(nonlinearity="relu")), ("LSTMCell", dict(bias=False)), ("GRUCell", {})]:
        e = getattr(ember.nn, cls)(I, H, **kw)
        t = getattr(torch.nn, cls)(I, H, **kw)
        assert repr(e) == repr(t)
        assert [(n, tuple(p.shape)) for n, p in e.named_parameters()] == \
               [(n, tuple(p.shape)) for n, p in t.named_parameters()]


def test_state_dict_round_trip_between_libraries():
    t = torch.nn.LSTM(I, H, 2, bidirectional=True)
    e = ember.nn.LSTM(I, H, 2, bidirectional=True)
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    back = torch.nn.LSTM(I, H, 2, bidirectional=True)
    back.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in e.state_dict().items()})
    for (n, a), (_, b) in zip(t.state_dict().items(), back.state_dict().items()):
        assert torch.equal(a, b), n


@pytest.mark.parametrize("cls,kw", [("LSTM", dict(num_layers=2, bidirectional=True, proj_size=3)),
                                    ("GRU", {}), ("RNNCell", {}), ("LSTMCell", dict(bias=False))])
def test_default_init_is_uniform_in_registration_order(cls, kw):
    """Every parameter is U(-1/sqrt(H), 1/sqrt(H)), drawn in registration order (PyTorch's order), so
    equal random streams give equal weights."""
    ember.manual_seed(3)
    m = getattr(ember.nn, cls)(I, H, **kw)
    bound = 1 / math.sqrt(H)
    ember.manual_seed(3)          # the same stream, drawn parameter by parameter in registration order
    for name, p in m.named_parameters():
        expected = ember.empty(*p.shape).uniform_(-bound, bound)
        np.testing.assert_array_equal(p.detach().numpy(), expected.detach().numpy(), err_msg=name)
    big = getattr(ember.nn, cls)(I, 400, **{k: v for k, v in kw.items() if k != "proj_size"})
    w = big.weight_hh_l0 if cls in ("LSTM", "GRU") else big.weight_hh
    assert abs(w.detach().numpy()).max() <= 1 / 20 and abs(w.detach().numpy()).max() > 0.049
    assert abs(w.detach().numpy().mean()) < 2e-3


def test_device_and_dtype_kwargs():
    m = ember.nn.GRU(I, H, dtype=ember.float64, device="cpu")
    assert all(p.dtype == ember.float64 for p in m.parameters())
    c = ember.nn.LSTMCell(I, H, dtype=ember.float64, device="cpu")
    assert c.weight_ih.dtype == ember.float64
    with pytest.raises(RuntimeError):
        ember.nn.LSTM(I, H, device="cuda")


@pytest.mark.parametrize("mode", list(MODES))
def test_clip_grad_norm_on_recurrent_gradients(mode):
    e, t = _pair(mode, dtype=torch.float32, num_layers=2)
    x = _x(8, 3, I, dtype=np.float32) * 5
    for lib, m in ((ember, e), (torch, t)):
        out = m(lib.tensor(x))[0]
        (out ** 2).sum().backward()
    en = ember.nn.utils.clip_grad_norm_(e.parameters(), 0.5)
    tn = torch.nn.utils.clip_grad_norm_(t.parameters(), 0.5)
    np.testing.assert_allclose(en.item(), tn.item(), rtol=1e-4)
    for (n, a), (_, b) in zip(e.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(a.grad.detach().numpy(), b.grad.detach().numpy(), atol=1e-6, rtol=1e-4, err_msg=n)


# -- cells --------------------------------------------------------------------------------------

CELLS = {"rnn_tanh": ("RNNCell", {}), "rnn_relu": ("RNNCell", {"nonlinearity": "relu"}),
         "lstm": ("LSTMCell", {}), "gru": ("GRUCell", {})}


@pytest.mark.parametrize("mode", list(CELLS))
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_states", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_cells_match_torch(mode, batched, with_states, bias):
    cls, extra = CELLS[mode]
    t = getattr(torch.nn, cls)(I, H, bias=bias, **extra).double()
    e = getattr(ember.nn, cls)(I, H, bias=bias, **extra).double()
    e.load_state_dict({k: ember.tensor(v.detach().numpy().copy()) for k, v in t.state_dict().items()})
    batch = (3,) if batched else ()
    x = _x(*batch, I)
    n_states = 2 if cls == "LSTMCell" else 1
    states = [_x(*batch, H, seed=4 + k) for k in range(n_states)] if with_states else None
    results = []
    for lib, m in ((ember, e), (torch, t)):
        xs = lib.tensor(x, requires_grad=True)
        hs = [lib.tensor(s, requires_grad=True) for s in states] if states else None
        hx = None if hs is None else (tuple(hs) if n_states == 2 else hs[0])
        out = m(xs, hx)
        outs = list(out) if isinstance(out, tuple) else [out]
        rng = np.random.default_rng(0)
        sum((o * lib.tensor(rng.standard_normal(tuple(o.shape)))).sum() for o in outs).backward()
        results.append(([o.detach().numpy() for o in outs],
                        [xs.grad.detach().numpy()] + [h.grad.detach().numpy() for h in hs or []],
                        [p.grad.detach().numpy() for p in m.parameters()]))
    for group_e, group_t in zip(results[0], results[1]):
        assert len(group_e) == len(group_t)
        for a, b in zip(group_e, group_t):
            assert a.shape == b.shape
            np.testing.assert_allclose(a, b, atol=1e-10, rtol=1e-8)


def test_cell_unrolled_equals_layer():
    """An LSTMCell stepped by hand over time gives the LSTM layer's outputs (as in PyTorch)."""
    t = torch.nn.LSTM(I, H)
    layer = ember.nn.LSTM(I, H)
    layer.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    cell = ember.nn.LSTMCell(I, H)
    cell.load_state_dict({k[:-3]: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    x = ember.tensor(_x(5, 2, I, dtype=np.float32))
    out, _ = layer(x)
    h = c = ember.zeros(2, H)
    for s in range(5):
        h, c = cell(x[s], (h, c))
        np.testing.assert_allclose(h.detach().numpy(), out[s].detach().numpy(), atol=1e-6)


# -- errors -------------------------------------------------------------------------------------

def _same_error(fe, ft):
    with pytest.raises(Exception) as te:
        ft()
    with pytest.raises(type(te.value)) as ee:
        fe()
    return str(ee.value), str(te.value)


@pytest.mark.parametrize("kw", [dict(dropout=2.0), dict(proj_size=5), dict(proj_size=-1), dict(num_layers=0)])
def test_constructor_errors_like_torch(kw):
    e, t = _same_error(lambda: ember.nn.LSTM(I, H, **kw), lambda: torch.nn.LSTM(I, H, **kw))
    assert e == t


def test_constructor_errors_other():
    assert _same_error(lambda: ember.nn.GRU(I, H, proj_size=2), lambda: torch.nn.GRU(I, H, proj_size=2))[0] == \
        "proj_size argument is only supported for LSTM, not RNN or GRU"
    e, t = _same_error(lambda: ember.nn.RNN(I, H, nonlinearity="sig"), lambda: torch.nn.RNN(I, H, nonlinearity="sig"))
    assert e == t
    _same_error(lambda: ember.nn.LSTM(I, 0), lambda: torch.nn.LSTM(I, 0))
    e, t = _same_error(lambda: ember.nn.RNNCell(I, H, nonlinearity="x")(ember.zeros(2, I)),
                       lambda: torch.nn.RNNCell(I, H, nonlinearity="x")(torch.zeros(2, I)))
    assert e == t
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ember.nn.LSTM(I, H, dropout=0.5)
    assert w and "num_layers greater than 1" in str(w[0].message)


@pytest.mark.parametrize("case", ["features", "dims1", "dims4", "h_shape", "c_shape", "unbatched_h", "dtype"])
def test_forward_errors_like_torch(case):
    def call(lib):
        m = lib.nn.LSTM(3, 4, 2)
        z = lib.zeros
        return {
            "features": lambda: m(lib.randn(5, 2, 4)),
            "dims1": lambda: m(lib.randn(5)),
            "dims4": lambda: m(lib.randn(5, 2, 3, 1)),
            "h_shape": lambda: m(lib.randn(5, 2, 3), (z(1, 2, 4), z(2, 2, 4))),
            "c_shape": lambda: m(lib.randn(5, 2, 3), (z(2, 2, 4), z(2, 3, 4))),
            "unbatched_h": lambda: m(lib.randn(5, 3), (z(2, 1, 4), z(2, 1, 4))),
            "dtype": lambda: m(lib.randn(5, 2, 3).double()),
        }[case]
    e, t = _same_error(call(ember), call(torch))
    if case != "dtype":
        assert e == t
    else:
        assert "does not match weight dtype" in e


@pytest.mark.parametrize("case", ["dims", "features", "batch", "hidden"])
def test_cell_errors_like_torch(case):
    def call(lib):
        c = lib.nn.LSTMCell(3, 4)
        z = lib.zeros
        return {"dims": lambda: c(lib.randn(2, 2, 3)), "features": lambda: c(lib.randn(2, 4)),
                "batch": lambda: c(lib.randn(2, 3), (z(3, 4), z(3, 4))),
                "hidden": lambda: c(lib.randn(2, 3), (z(2, 5), z(2, 4)))}[case]
    e, t = _same_error(call(ember), call(torch))
    assert e == t


def test_gru_hidden_size_error_like_torch():
    e, t = _same_error(lambda: ember.nn.GRU(3, 4)(ember.randn(5, 2, 3), ember.zeros(2, 2, 4)),
                       lambda: torch.nn.GRU(3, 4)(torch.randn(5, 2, 3), torch.zeros(2, 2, 4)))
    assert e == t


def test_empty_sequence_error_like_torch():
    e, t = _same_error(lambda: ember.nn.LSTM(3, 4)(ember.randn(0, 2, 3)),
                       lambda: torch.nn.LSTM(3, 4)(torch.randn(0, 2, 3)))
    assert e == t


@pytest.mark.parametrize("module", ["ember.nn.modules.rnn", "ember.nn.utils.rnn", "ember.ops.recurrent"])
def test_docstring_examples(module):
    import doctest
    import importlib
    mod = importlib.import_module(module)
    ember.manual_seed(0)
    result = doctest.testmod(mod, extraglobs={"ember": ember, **{n: getattr(mod, n) for n in mod.__all__}},
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    if module != "ember.ops.recurrent":
        assert result.attempted >= len(mod.__all__)


def test_malformed_packed_sequence_is_rejected():
    m = ember.nn.GRU(I, H)
    with pytest.raises(ValueError, match="non-increasing"):
        m(ernn.PackedSequence(ember.zeros(5, I), ember.tensor([2, 3])))
    with pytest.raises(ValueError, match="sum to the 4 rows"):
        m(ernn.PackedSequence(ember.zeros(4, I), ember.tensor([2, 1])))


def test_fast_and_reference_paths_train_identically():
    """EMBER_FAST=1 and EMBER_FAST=0 give bit-identical LSTM/GRU training (packed, bidirectional)."""
    import os
    import subprocess
    import sys
    import textwrap
    script = textwrap.dedent("""
        import hashlib
        import ember
        from ember import nn
        from ember.nn.utils.rnn import pack_padded_sequence
        ember.manual_seed(0)
        lstm, gru = nn.LSTM(3, 6, 2, bidirectional=True, proj_size=2), nn.GRU(4, 5, dropout=0.0)
        params = list(lstm.parameters()) + list(gru.parameters())
        opt = ember.optim.SGD(params, lr=0.1)
        x = ember.randn(7, 4, 3)
        for _ in range(3):
            opt.zero_grad()
            out, (h, c) = lstm(pack_padded_sequence(x, [7, 5, 5, 2]))
            y, hn = gru(out.data.reshape(-1, 4)[None])
            (y.pow(2).sum() + h.sum() + c.pow(2).mean() + hn.sum()).backward()
            nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
        print(hashlib.sha256(b"".join(p.detach().numpy().tobytes() + p.grad.numpy().tobytes()
                                      for p in params)).hexdigest())
    """)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    digests = []
    for mode in ("1", "0"):
        env = dict(os.environ, EMBER_FAST=mode, PYTHONPATH=root)
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
        assert proc.returncode == 0, proc.stderr
        digests.append(proc.stdout.strip())
    assert digests[0] == digests[1] and len(digests[0]) == 64


@pytest.mark.parametrize("cls,kw", [("LSTM", dict(num_layers=2, bidirectional=True, proj_size=3)), ("GRU", {}),
                                    ("RNN", dict(nonlinearity="relu", bias=False)), ("RNNCell", {}),
                                    ("LSTMCell", {}), ("GRUCell", dict(bias=False))])
def test_same_seed_gives_torchs_weights(cls, kw):
    ember.manual_seed(7)
    torch.manual_seed(7)
    e, t = getattr(ember.nn, cls)(I, H, **kw), getattr(torch.nn, cls)(I, H, **kw)
    for (n, a), (_, b) in zip(e.named_parameters(), t.named_parameters()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=n)


@pytest.mark.parametrize("cls", ["LSTM", "GRU", "RNN"])
def test_train_mode_dropout_matches_torch_after_the_same_seed(cls):
    x = _x(5, 3, I, dtype=np.float32)
    ember.manual_seed(7)
    torch.manual_seed(7)
    e = getattr(ember.nn, cls)(I, H, num_layers=3, dropout=0.5)
    t = getattr(torch.nn, cls)(I, H, num_layers=3, dropout=0.5)
    eo, to = e(ember.tensor(x))[0], t(torch.tensor(x))[0]
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), atol=1e-6)
