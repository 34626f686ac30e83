"""ember.nn.utils.rnn (PackedSequence, packing, padding) against torch.nn.utils.rnn: values,
indices, gradients and errors."""
import numpy as np
import pytest
import torch

import ember
from ember.nn.utils import rnn as ernn
from torch.nn.utils import rnn as trnn


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _same(e, t):
    if t is None:
        assert e is None
        return
    ev, tv = e.detach().numpy(), t.detach().numpy()
    assert ev.dtype == tv.dtype and ev.shape == tv.shape, (ev.dtype, tv.dtype, ev.shape, tv.shape)
    np.testing.assert_array_equal(ev, tv)


def _same_packed(ep, tp):
    assert isinstance(ep, ernn.PackedSequence)
    for name in ("data", "batch_sizes", "sorted_indices", "unsorted_indices"):
        _same(getattr(ep, name), getattr(tp, name))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths,enforce_sorted", [([5, 3, 3, 1], True), ([2, 5, 1, 5], False),
                                                    ([1, 4, 3, 4], False), ([5, 5, 5, 5], True)])
@pytest.mark.parametrize("as_tensor", [False, True])
def test_pack_padded_sequence_and_back(batch_first, lengths, enforce_sorted, as_tensor):
    x = _x(4, 5, 3) if batch_first else _x(5, 4, 3)
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    el = ember.tensor(lengths) if as_tensor else lengths
    tl = torch.tensor(lengths) if as_tensor else lengths
    ep = ernn.pack_padded_sequence(ex, el, batch_first=batch_first, enforce_sorted=enforce_sorted)
    tp = trnn.pack_padded_sequence(tx, tl, batch_first=batch_first, enforce_sorted=enforce_sorted)
    _same_packed(ep, tp)
    for kw in ({}, {"padding_value": -1.5}, {"total_length": 7}):
        eo, elen = ernn.pad_packed_sequence(ep, batch_first=batch_first, **kw)
        to, tlen = trnn.pad_packed_sequence(tp, batch_first=batch_first, **kw)
        _same(eo, to)
        _same(elen, tlen)
    g = _x(*to.shape, seed=1)
    eo.backward(ember.tensor(g))
    to.backward(torch.tensor(g))
    _same(ex.grad, tx.grad)


def test_pack_gradient_of_packed_data():
    x = _x(4, 3, 2)
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ep = ernn.pack_padded_sequence(ex, [2, 4, 1], enforce_sorted=False)
    tp = trnn.pack_padded_sequence(tx, [2, 4, 1], enforce_sorted=False)
    g = _x(*tp.data.shape, seed=3)
    ep.data.backward(ember.tensor(g))
    tp.data.backward(torch.tensor(g))
    _same(ex.grad, tx.grad)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("padding_value", [0.0, 7.0])
def test_pad_sequence(batch_first, padding_side, padding_value):
    seqs = [_x(3, 2, seed=1), _x(5, 2, seed=2), _x(1, 2, seed=3)]
    es = [ember.tensor(s, requires_grad=True) for s in seqs]
    ts = [torch.tensor(s, requires_grad=True) for s in seqs]
    eo = ernn.pad_sequence(es, batch_first=batch_first, padding_value=padding_value, padding_side=padding_side)
    to = trnn.pad_sequence(ts, batch_first=batch_first, padding_value=padding_value, padding_side=padding_side)
    _same(eo, to)
    g = _x(*to.shape, seed=4)
    eo.backward(ember.tensor(g))
    to.backward(torch.tensor(g))
    for a, b in zip(es, ts):
        _same(a.grad, b.grad)


def test_pad_sequence_integer_and_one_dimensional():
    seqs = [np.array([1, 2, 3]), np.array([4])]
    _same(ernn.pad_sequence([ember.tensor(s) for s in seqs], batch_first=True, padding_value=-1),
          trnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first=True, padding_value=-1))


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_and_unpack_sequence(enforce_sorted):
    lengths = [4, 2, 1] if enforce_sorted else [2, 4, 1]
    seqs = [_x(n, 3, seed=n) for n in lengths]
    ep = ernn.pack_sequence([ember.tensor(s) for s in seqs], enforce_sorted=enforce_sorted)
    tp = trnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=enforce_sorted)
    _same_packed(ep, tp)
    eu, tu = ernn.unpack_sequence(ep), trnn.unpack_sequence(tp)
    assert len(eu) == len(tu)
    for a, b in zip(eu, tu):
        _same(a, b)


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence(batch_first):
    x = _x(3, 5, 2) if batch_first else _x(5, 3, 2)
    lengths = [5, 2, 3]
    eu = ernn.unpad_sequence(ember.tensor(x), ember.tensor(lengths), batch_first=batch_first)
    tu = trnn.unpad_sequence(torch.tensor(x), torch.tensor(lengths), batch_first=batch_first)
    for a, b in zip(eu, tu):
        _same(a, b)


def test_packed_sequence_is_a_namedtuple_with_conversions():
    ep = ernn.pack_sequence([ember.ones(3, 2), ember.ones(1, 2)])
    assert ep._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    data, batch_sizes, s, u = ep
    assert batch_sizes.dtype == ember.int64 and batch_sizes.tolist() == [2, 1, 1]
    assert s is None and u is None
    d = ep.to(ember.float64)
    assert isinstance(d, ernn.PackedSequence) and d.data.dtype == ember.float64
    assert ep.double().data.dtype == ember.float64 and ep.to(ember.float64).float().data.dtype == ember.float32
    assert ep.to("cpu") is ep
    assert ep.is_cuda is False and ep.is_pinned() is False
    p = ernn.PackedSequence(ember.ones(3), ember.tensor([2, 1]), ember.tensor([1, 0]))
    assert p.unsorted_indices.tolist() == [1, 0]
    t = trnn.PackedSequence(torch.ones(3), torch.tensor([2, 1]), torch.tensor([1, 0]))
    assert t.unsorted_indices.tolist() == p.unsorted_indices.tolist()
    assert ernn.invert_permutation(ember.tensor([2, 0, 1])).tolist() == \
        trnn.invert_permutation(torch.tensor([2, 0, 1])).tolist()


def _same_error(fe, ft):
    with pytest.raises(Exception) as te:
        ft()
    with pytest.raises(type(te.value)) as ee:
        fe()
    assert str(ee.value) == str(te.value)


@pytest.mark.parametrize("lengths", [[3, 0, 1], [3, 2], [1, 2, 3], [3, 1, 0]])
def test_pack_errors_like_torch(lengths):
    x = _x(4, 3, 2)
    _same_error(lambda: ernn.pack_padded_sequence(ember.tensor(x), lengths),
                lambda: trnn.pack_padded_sequence(torch.tensor(x), lengths))


def test_pack_length_beyond_padding_is_an_error():
    with pytest.raises(RuntimeError, match="exceeds the padded sequence length 4"):
        ernn.pack_padded_sequence(ember.zeros(4, 3, 2), [5, 2, 1])


def test_pad_errors_like_torch():
    tp = trnn.pack_sequence([torch.ones(3), torch.ones(1)])
    ep = ernn.pack_sequence([ember.ones(3), ember.ones(1)])
    _same_error(lambda: ernn.pad_packed_sequence(ep, total_length=2),
                lambda: trnn.pad_packed_sequence(tp, total_length=2))
    _same_error(lambda: ernn.pad_sequence([ember.ones(2)], padding_side="middle"),
                lambda: trnn.pad_sequence([torch.ones(2)], padding_side="middle"))
    _same_error(lambda: ernn.pad_sequence([]), lambda: trnn.pad_sequence([]))
    with pytest.raises(RuntimeError, match="sequence 1 has shape"):
        ernn.pad_sequence([ember.ones(2, 3), ember.ones(2, 4)])


def test_module_path_and_names():
    assert ember.nn.utils.rnn is ernn
    assert set(ernn.__all__) == set(trnn.__all__)


@pytest.mark.parametrize("name", ["double", "float", "half", "long", "int", "short", "char", "byte"])
def test_packed_sequence_dtype_conversions_like_torch(name):
    ep = getattr(ernn.pack_sequence([ember.ones(3), ember.ones(1)]), name)()
    tp = getattr(trnn.pack_sequence([torch.ones(3), torch.ones(1)]), name)()
    _same_packed(ep, tp)


def test_torch_paths_resolve_under_compat():
    import os
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    code = ("import ember.compat; ember.compat.install()\n"
            "from torch.nn.utils.rnn import pack_sequence, PackedSequence\n"
            "from torch.nn.modules.rnn import LSTM\n"
            "import torch, ember\n"
            "assert torch.nn.LSTM is LSTM is ember.nn.LSTM and PackedSequence is ember.nn.utils.rnn.PackedSequence\n"
            "out, _ = LSTM(2, 3)(pack_sequence([torch.ones(3, 2), torch.ones(2, 2)]))\n"
            "print(type(out).__name__, out.data.shape)\n")
    env = dict(os.environ, PYTHONPATH=root)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "PackedSequence torch.Size([5, 3])"   # reprs name torch once installed
