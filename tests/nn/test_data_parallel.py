"""nn.DataParallel on a CPU-only machine, as PyTorch's: it wraps, names with 'module.', and calls the module."""
import numpy as np
import pytest
import torch

import ember


def _pair():
    rng = np.random.default_rng(0)
    arrays = {"0.weight": rng.standard_normal((3, 4)), "0.bias": rng.standard_normal(3),
              "2.weight": rng.standard_normal((2, 3)), "2.bias": rng.standard_normal(2)}
    out = []
    for lib in (torch, ember):
        m = lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.ReLU(), lib.nn.Linear(3, 2))
        m.load_state_dict({k: lib.tensor(v.astype(np.float32)) for k, v in arrays.items()})
        out.append(m)
    return out


@pytest.mark.parametrize("kwargs", [{}, {"device_ids": [0]}, {"device_ids": [0, 1], "output_device": 0},
                                    {"device_ids": ["cpu"], "output_device": "cpu"}, {"dim": 1},
                                    {"device_ids": []}])
def test_wraps_and_forwards_as_torch(kwargs):
    tm, em = _pair()
    td, ed = torch.nn.DataParallel(tm, **kwargs), ember.nn.DataParallel(em, **kwargs)
    assert ed.module is em and td.module is tm
    assert ed.device_ids == td.device_ids == []
    assert list(ed.state_dict()) == list(td.state_dict())
    assert [n for n, _ in ed.named_parameters()] == [n for n, _ in td.named_parameters()]
    assert repr(ed) == repr(td).replace("torch.", "ember.")
    x = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    ty, ey = td(torch.tensor(x)), ed(ember.tensor(x))
    np.testing.assert_allclose(ey.data, ty.detach().numpy(), rtol=1e-6, atol=1e-6)
    ty.sum().backward(), ey.sum().backward()
    np.testing.assert_allclose(em[0].weight.grad.data, tm[0].weight.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_kwargs_reach_the_module():
    class M(ember.nn.Module):
        def forward(self, x, scale=1.0):
            return x * scale
    assert ember.nn.DataParallel(M())(ember.ones(2), scale=3.0).tolist() == [3.0, 3.0]


def test_state_dict_round_trip_and_train_mode():
    _, em = _pair()
    d = ember.nn.DataParallel(em)
    sd = d.state_dict()
    assert all(k.startswith("module.") for k in sd)
    fresh = ember.nn.DataParallel(_pair()[1])
    fresh.load_state_dict(sd)
    d.eval()
    assert not d.training and not em.training
    assert ember.nn.parallel.DataParallel is ember.nn.DataParallel
    opt = ember.optim.SGD(d.parameters(), lr=0.1)
    assert len(opt.param_groups[0]["params"]) == 4
