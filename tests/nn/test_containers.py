"""Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict against torch.nn."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember
from ember import nn
from tests.nn._module_oracle import compare_module


def _seq(lib):
    return lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Linear(8, 3))


def test_sequential_forward_and_grads_match_torch():
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    compare_module(_seq(ember), _seq(torch), x)


def test_sequential_ordered_dict_names_and_repr():
    def build(lib):
        return lib.nn.Sequential(OrderedDict([("fc", lib.nn.Linear(2, 3)), ("act", lib.nn.ReLU()),
                                              ("out", lib.nn.Linear(3, 1))]))
    e, t = build(ember), build(torch)
    assert list(e.state_dict()) == list(t.state_dict()) == ["fc.weight", "fc.bias", "out.weight", "out.bias"]
    assert repr(e) == repr(t)
    assert e.fc is e[0] and e[-1] is e.out


def test_sequential_indexing_slicing_len_iter():
    e, t = _seq(ember), _seq(torch)
    assert len(e) == 3
    assert isinstance(e[1], nn.ReLU) and e[-1] is e[2]
    sub = e[1:]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2 and sub[1] is e[2]
    assert repr(sub) == repr(t[1:])
    assert [type(m).__name__ for m in e] == ["Linear", "ReLU", "Linear"]
    with pytest.raises(IndexError):
        e[3]
    with pytest.raises(IndexError):
        e[-4]


def test_sequential_append_insert_extend_delete_setitem():
    e, t = _seq(ember), _seq(torch)
    e.append(nn.Tanh())
    t.append(torch.nn.Tanh())
    e.insert(1, nn.Dropout(0.1))
    t.insert(1, torch.nn.Dropout(0.1))
    e.extend([nn.Linear(3, 2)])
    t.extend([torch.nn.Linear(3, 2)])
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    del e[1]
    del t[1]
    assert repr(e) == repr(t)
    e[0] = nn.Linear(4, 8, bias=False)
    t[0] = torch.nn.Linear(4, 8, bias=False)
    assert repr(e) == repr(t) and list(e.state_dict()) == list(t.state_dict())
    assert len(e + e) == 2 * len(e)
    named = nn.Sequential(OrderedDict([("a", nn.ReLU()), ("b", nn.Tanh()), ("c", nn.ReLU())]))
    tnamed = torch.nn.Sequential(OrderedDict([("a", torch.nn.ReLU()), ("b", torch.nn.Tanh()), ("c", torch.nn.ReLU())]))
    del named[0]
    del tnamed[0]
    assert list(named._modules) == list(tnamed._modules)


def test_empty_sequential_is_identity():
    x = ember.randn(2)
    assert nn.Sequential()(x) is x
    assert repr(nn.Sequential()) == repr(torch.nn.Sequential())


def test_module_list():
    def build(lib):
        return lib.nn.ModuleList([lib.nn.Linear(2, 2) for _ in range(3)] + [lib.nn.ReLU()])
    e, t = build(ember), build(torch)
    assert repr(e) == repr(t)
    assert list(e.state_dict()) == list(t.state_dict())
    assert len(e) == 4 and isinstance(e[-1], nn.ReLU)
    assert isinstance(e[1:3], nn.ModuleList) and len(e[1:3]) == 2
    e.append(nn.Tanh())
    e.insert(0, nn.Identity())
    t.append(torch.nn.Tanh())
    t.insert(0, torch.nn.Identity())
    assert repr(e) == repr(t) and list(e.state_dict()) == list(t.state_dict())
    e += [nn.Linear(1, 1)]
    assert len(e) == 7
    del e[0]
    assert isinstance(e[0], nn.Linear) and list(e._modules) == [str(i) for i in range(6)]
    with pytest.raises(TypeError, match="iterable"):
        e.extend(nn.Linear(1, 1))
    assert repr(nn.ModuleList()) == repr(torch.nn.ModuleList())


def test_module_list_parameters_registered_for_training():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(3, 3) for _ in range(2)])

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["layers.0.weight", "layers.0.bias",
                                                      "layers.1.weight", "layers.1.bias"]
    net(ember.randn(2, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_module_dict():
    def build(lib):
        return lib.nn.ModuleDict({"lin": lib.nn.Linear(2, 3), "act": lib.nn.ReLU()})
    e, t = build(ember), build(torch)
    assert repr(e) == repr(t)
    assert list(e.keys()) == ["lin", "act"] and len(e) == 2 and "lin" in e
    assert list(e.state_dict()) == list(t.state_dict())
    e["out"] = nn.Linear(3, 1)
    assert list(e) == ["lin", "act", "out"]
    assert [k for k, _ in e.items()] == ["lin", "act", "out"]
    popped = e.pop("act")
    assert isinstance(popped, nn.ReLU) and "act" not in e
    e.update([("z", nn.Tanh())])
    assert list(e.keys())[-1] == "z"


def test_parameter_list_and_dict():
    pl = nn.ParameterList([nn.Parameter(ember.zeros(2, 3)), ember.ones(2)])
    assert len(pl) == 2 and isinstance(pl[1], nn.Parameter) and pl[1].requires_grad
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pl.append(nn.Parameter(ember.zeros(1)))
    assert len(list(pl.parameters())) == 3
    assert repr(pl) == ("ParameterList(\n    (0): Parameter containing: [ember.float32 of size 2x3]\n"
                        "    (1): Parameter containing: [ember.float32 of size 2]\n"
                        "    (2): Parameter containing: [ember.float32 of size 1]\n)")
    tpl = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(2, 3)), torch.ones(2),
                                  torch.nn.Parameter(torch.zeros(1))])
    assert repr(pl) == repr(tpl).replace("torch.", "ember.")

    pd = nn.ParameterDict({"a": nn.Parameter(ember.zeros(2)), "b": ember.ones(3)})
    assert list(pd.keys()) == ["a", "b"] and isinstance(pd["b"], nn.Parameter)
    assert [n for n, _ in pd.named_parameters()] == ["a", "b"]
    pd["c"] = nn.Parameter(ember.zeros(1))
    assert len(pd) == 3 and "c" in pd
    del pd["a"]
    assert list(pd) == ["b", "c"]
    m = nn.Module()
    m.params = pd
    assert [n for n, _ in m.named_parameters()] == ["params.b", "params.c"]
