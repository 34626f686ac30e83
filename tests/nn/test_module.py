"""Module API against torch.nn.Module: registration, names, state_dict, loading, repr (hooks: test_module_hooks.py)."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember
from ember import nn


def _net(lib):
    class Block(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.nn.Linear(4, 3)
            self.norm = lib.nn.BatchNorm1d(3)
            self.register_buffer("scale", lib.ones(3))
            self.register_buffer("tmp", lib.zeros(2), persistent=False)
            self.gain = lib.nn.Parameter(lib.ones(1))

        def forward(self, x):
            return self.norm(self.fc(x)) * self.scale * self.gain

    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.act = lib.nn.ReLU()
            self.head = lib.nn.Sequential(lib.nn.Linear(3, 5), lib.nn.Tanh(), lib.nn.Linear(5, 2, bias=False))
            self.extra = lib.nn.ModuleList([lib.nn.Linear(2, 2), lib.nn.Linear(2, 2)])

        def forward(self, x):
            x = self.head(self.act(self.block(x)))
            for m in self.extra:
                x = m(x)
            return x

    return Net()


def test_names_match_torch():
    e, t = _net(ember), _net(torch)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in e.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in e.named_children()] == [n for n, _ in t.named_children()]
    assert list(e.state_dict()) == list(t.state_dict())
    assert [tuple(p.shape) for p in e.parameters()] == [tuple(p.shape) for p in t.parameters()]
    assert [n for n, _ in e.named_parameters(recurse=False)] == []
    assert [n for n, _ in e.block.named_parameters(prefix="x", recurse=False)] == ["x.gain"]
    assert repr(e) == repr(t)


def test_forward_matches_torch_after_state_dict_copy():
    e, t = _net(ember), _net(torch)
    t.load_state_dict({k: torch.tensor(v._data) for k, v in e.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    np.testing.assert_allclose(e(ember.tensor(x))._data, t(torch.tensor(x)).detach().numpy(), atol=1e-5)
    # and back: torch -> ember
    e2 = _net(ember)
    e2.load_state_dict({k: ember.tensor(v.numpy()) for k, v in t.state_dict().items()})
    np.testing.assert_allclose(e2(ember.tensor(x))._data, t(torch.tensor(x)).detach().numpy(), atol=1e-5)


def test_state_dict_is_detached_and_shares_memory():
    m = nn.Linear(3, 2)
    sd = m.state_dict()
    assert isinstance(sd, OrderedDict)
    assert not sd["weight"].requires_grad and sd["weight"].grad_fn is None
    assert not isinstance(sd["weight"], nn.Parameter)
    with ember.no_grad():
        m.weight.fill_(2.0)
    assert np.all(sd["weight"]._data == 2.0)
    kv = m.state_dict(keep_vars=True)
    assert kv["weight"] is m.weight


def test_load_state_dict_copies_in_place():
    m = nn.Linear(3, 2)
    w = m.weight
    src = {"weight": ember.ones(2, 3), "bias": ember.zeros(2)}
    res = m.load_state_dict(src)
    assert m.weight is w and np.all(w._data == 1) and w.requires_grad
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert repr(res) == "<All keys matched successfully>"
    src["weight"]._data[...] = 5  # no aliasing
    assert np.all(w._data == 1)


def test_load_state_dict_strict_errors():
    m = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    sd = m.state_dict()
    del sd["1.bias"]
    sd["1.extra"] = ember.zeros(1)
    sd["0.weight"] = ember.zeros(4, 3)
    with pytest.raises(RuntimeError) as ei:
        m.load_state_dict(sd)
    msg = str(ei.value)
    assert msg.startswith("Error(s) in loading state_dict for Sequential:")
    assert 'Missing key(s) in state_dict: "1.bias".' in msg
    assert 'Unexpected key(s) in state_dict: "1.extra".' in msg
    assert "size mismatch for 0.weight: copying a param with shape ember.Size([4, 3]) from checkpoint, " \
           "the shape in current model is ember.Size([2, 3])" in msg
    # same structure as torch's message
    t = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1))
    tsd = {k: torch.tensor(v._data) for k, v in sd.items()}
    with pytest.raises(RuntimeError) as ti:
        t.load_state_dict(tsd)
    assert msg.replace("ember.", "torch.") == str(ti.value)


def test_load_state_dict_non_strict_returns_keys():
    m = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    sd = m.state_dict()
    del sd["1.bias"]
    sd["foo"] = ember.zeros(1)
    res = m.load_state_dict(sd, strict=False)
    t = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Linear(2, 1))
    tres = t.load_state_dict({k: torch.tensor(v._data) for k, v in sd.items()}, strict=False)
    assert res.missing_keys == tres.missing_keys == ["1.bias"]
    assert res.unexpected_keys == tres.unexpected_keys == ["foo"]
    # size mismatches raise even when not strict
    sd["0.bias"] = ember.zeros(5)
    with pytest.raises(RuntimeError, match="size mismatch for 0.bias"):
        m.load_state_dict(sd, strict=False)


def test_non_persistent_buffer_not_in_state_dict():
    e = _net(ember)
    assert "block.tmp" not in e.state_dict()
    assert "block.tmp" in dict(e.named_buffers())
    sd = e.state_dict()
    sd["block.tmp"] = ember.zeros(2)
    with pytest.raises(RuntimeError, match='Unexpected key.*"block.tmp"'):
        e.load_state_dict(sd)


def test_batchnorm_state_dict_without_num_batches_tracked_loads():
    bn = nn.BatchNorm1d(3)
    sd = bn.state_dict()
    del sd["num_batches_tracked"]
    bn.load_state_dict(sd)


def test_setattr_getattr_delattr():
    m = nn.Module()
    m.w = nn.Parameter(ember.zeros(2))
    m.sub = nn.Linear(2, 2)
    m.register_buffer("buf", ember.ones(1))
    m.plain = 3
    assert list(m._parameters) == ["w"] and list(m._modules) == ["sub"] and list(m._buffers) == ["buf"]
    assert m.plain == 3 and "plain" not in m._parameters
    with pytest.raises(TypeError, match="cannot assign .* as parameter 'w'"):
        m.w = ember.zeros(2)
    m.w = None
    assert m.w is None and list(m.parameters()) == list(m.sub.parameters())
    m.buf = ember.zeros(1)  # buffers accept tensors
    assert np.all(m.buf._data == 0)
    with pytest.raises(TypeError, match="buffer"):
        m.buf = 3
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        m.nope
    del m.sub
    assert "sub" not in m._modules
    with pytest.raises(AttributeError):
        m.sub
    # re-assigning a name moves it between registries
    m.x = nn.Linear(1, 1)
    m.x = nn.Parameter(ember.zeros(1))
    assert "x" in m._parameters and "x" not in m._modules
    m.b = nn.Buffer(ember.zeros(2), persistent=False)
    assert "b" in m._buffers and "b" not in m.state_dict()


def test_assign_before_init_raises():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ember.zeros(1))
    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()


def test_register_errors():
    m = nn.Module()
    with pytest.raises(KeyError, match=r'"\."'):
        m.register_parameter("a.b", None)
    with pytest.raises(TypeError, match="Parameter or None"):
        m.register_parameter("a", ember.zeros(1))
    with pytest.raises(TypeError):
        m.register_buffer("b", 3.0)
    m.x = 1
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("x", ember.zeros(1))
    y = ember.zeros(1, requires_grad=True) * 2
    with pytest.raises(ValueError, match="non-leaf"):
        m.register_parameter("y", _nonleaf_param(y))


def _nonleaf_param(t):
    p = nn.Parameter(ember.zeros(1))
    p.grad_fn = t.grad_fn
    return p


def test_shared_parameters_counted_once():
    a = nn.Linear(2, 2)
    m = nn.Sequential(a, nn.ReLU(), a)
    t_a = torch.nn.Linear(2, 2)
    t = torch.nn.Sequential(t_a, torch.nn.ReLU(), t_a)
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in m.named_modules()] == [n for n, _ in t.named_modules()]
    assert list(m.state_dict()) == list(t.state_dict())
    assert len(list(m.named_parameters(remove_duplicate=False))) == 4


def test_train_eval_recursive():
    e = _net(ember)
    assert e.training and e.block.norm.training
    assert e.eval() is e
    assert not any(m.training for m in e.modules())
    e.train()
    assert all(m.training for m in e.modules())
    with pytest.raises(ValueError):
        e.train("yes")


def test_zero_grad_and_requires_grad():
    m = nn.Linear(3, 2)
    m(ember.randn(4, 3)).sum().backward()
    assert m.weight.grad is not None
    g = m.weight.grad
    m.zero_grad(set_to_none=False)
    assert m.weight.grad is g and np.all(g._data == 0)
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    assert m(ember.randn(1, 3)).grad_fn is None


def test_apply_and_children_order():
    m = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.Linear(3, 3), nn.ReLU()))
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "Linear", "ReLU", "Sequential", "Sequential"]

    def init_fn(mod):
        if isinstance(mod, nn.Linear):
            nn.init.zeros_(mod.weight)
    m.apply(init_fn)
    assert all(np.all(p._data == 0) for n, p in m.named_parameters() if n.endswith("weight"))


def test_to_double_float_and_device():
    m = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    w = m[0].weight
    assert m.double() is m
    assert m[0].weight is w and w.dtype == ember.float64
    assert m[1].running_mean.dtype == ember.float64
    assert m[1].num_batches_tracked.dtype == ember.int64  # integer buffers untouched
    out = m(ember.randn(4, 3, dtype=ember.float64))
    assert out.dtype == ember.float64
    m.float()
    assert w.dtype == ember.float32
    assert m.to("cpu") is m and m.to(ember.device("cpu"), ember.float32) is m
    m.to(ember.float64)
    assert w.dtype == ember.float64
    m.to(torch_dtype := ember.float32)
    assert w.dtype == torch_dtype
    with pytest.raises(RuntimeError, match="CPU only"):
        m.to("cuda")
    with pytest.raises(TypeError, match="floating point"):
        m.to(ember.int64)


def test_missing_forward():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(ember.zeros(1))


def test_repr_nested_and_extra_repr():
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))

        def extra_repr(self):
            return "hello=1\nworld=2"

    class TCustom(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sequential(torch.nn.ReLU()))

        def extra_repr(self):
            return "hello=1\nworld=2"
    Custom.__name__ = TCustom.__name__ = "Custom"
    assert repr(Custom()) == repr(TCustom())


def test_parameter_repr_and_semantics():
    p = nn.Parameter(ember.tensor([1.0, 2.0]))
    tp = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    assert repr(p) == repr(tp)
    assert p.requires_grad and p.is_leaf and isinstance(p, ember.Tensor)
    assert not nn.Parameter(ember.zeros(1), requires_grad=False).requires_grad
    t = ember.zeros(2)
    q = nn.Parameter(t)
    q._data[0] = 5
    assert t._data[0] == 5  # shares memory
    assert type(p * 2) is ember.Tensor


def test_deepcopy_and_pickle():
    m = _net(ember)
    m2 = copy.deepcopy(m)
    assert list(m2.state_dict()) == list(m.state_dict())
    assert m2.block.fc.weight is not m.block.fc.weight
    assert isinstance(m2.block.fc.weight, nn.Parameter)
    np.testing.assert_array_equal(m2.block.fc.weight._data, m.block.fc.weight._data)
    m3 = pickle.loads(pickle.dumps(m.head))
    np.testing.assert_array_equal(m3[0].weight._data, m.head[0].weight._data)


def test_get_submodule_parameter_buffer():
    e = _net(ember)
    assert e.get_submodule("block.fc") is e.block.fc
    assert e.get_parameter("head.0.weight") is e.head[0].weight
    assert e.get_buffer("block.norm.running_mean") is e.block.norm.running_mean
    with pytest.raises(AttributeError):
        e.get_submodule("block.nope")


def test_dir_lists_registered_names():
    e = _net(ember)
    d = dir(e.block)
    assert "fc" in d and "gain" in d and "scale" in d


def test_state_dict_roundtrip_through_ember_save(tmp_path):
    e = _net(ember)
    e(ember.randn(4, 4))  # move the BatchNorm statistics away from their defaults
    path = tmp_path / "model.pt"
    ember.save(e.state_dict(), path)
    e2 = _net(ember)
    assert repr(e2.load_state_dict(ember.load(path))) == "<All keys matched successfully>"
    for (k, v), v2 in zip(e.state_dict().items(), e2.state_dict().values()):
        np.testing.assert_array_equal(v._data, v2._data, err_msg=k)
    assert e2.block.norm.num_batches_tracked.item() == 1
