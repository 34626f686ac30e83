"""The training run both libraries do in the optimizer tests: a 5-8-3 tanh MLP on fixed data, and
the comparisons of its parameters and optimizer state with torch's."""
import numpy as np

import ember
import torch

N_STEPS = 25
RTOL64, ATOL64 = 1e-6, 1e-12
RTOL32, ATOL32 = 2e-4, 2e-5

_rng = np.random.default_rng(0)
X = _rng.standard_normal((12, 5))
Y = _rng.standard_normal((12, 3))
INIT = [_rng.standard_normal((8, 5)) * 0.5, _rng.standard_normal(8) * 0.1,
        _rng.standard_normal((3, 8)) * 0.5, _rng.standard_normal(3) * 0.1,
        _rng.standard_normal((2, 2))]   # the last parameter is unused: its grad stays None


class Model:
    """A 5-8-3 tanh MLP on fixed data, written the same way for ember and torch."""

    def __init__(self, lib, dtype, init=INIT, sign=1.0):
        self.lib = lib
        self.sign = sign    # -1 with maximize=True: ascend -loss (descending the loss keeps it stable)
        np_dt = np.float64 if dtype == "float64" else np.float32
        self.params = [lib.tensor(np.array(a, dtype=np_dt), requires_grad=True) for a in init]
        self.x = lib.tensor(X.astype(np_dt))
        self.y = lib.tensor(Y.astype(np_dt))

    def loss(self):
        F = self.lib.nn.functional
        w1, b1, w2, b2, _ = self.params
        h = self.lib.tanh(F.linear(self.x, w1, b1))
        return ((F.linear(h, w2, b2) - self.y) ** 2).mean() * self.sign

    def values(self):
        return [p.detach().numpy().copy() for p in self.params]


def train_step(model, opt):
    opt.zero_grad()
    model.loss().backward()
    opt.step()


def compare(e_model, t_model, dtype, what):
    rtol, atol = (RTOL64, ATOL64) if dtype == "float64" else (RTOL32, ATOL32)
    for i, (a, b) in enumerate(zip(e_model.values(), t_model.values())):
        assert a.dtype == b.dtype, f"{what}: param {i} dtype {a.dtype} != torch {b.dtype}"
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"{what}: param {i}")


def compare_state(eo, to, dtype):
    """Same state_dict layout as torch: keys, index numbering, param_groups, 0-d float32 ``step``."""
    es, ts = eo.state_dict(), to.state_dict()
    assert es["param_groups"] == ts["param_groups"]
    assert sorted(es["state"]) == sorted(ts["state"])
    rtol, atol = (1e-6, 1e-10) if dtype == "float64" else (RTOL32, ATOL32)
    for idx, tstate in ts["state"].items():
        estate = es["state"][idx]
        assert list(estate) == list(tstate), f"state keys of param {idx}"
        for k, tv in tstate.items():
            ev = estate[k]
            assert isinstance(ev, ember.Tensor)
            assert ev._data.dtype.name == str(tv.dtype).replace("torch.", ""), f"{k} dtype"
            assert ev.shape == tuple(tv.shape), f"{k} shape"
            np.testing.assert_allclose(ev._data, tv.numpy(), rtol=rtol, atol=atol, err_msg=f"state {idx} {k}")


def check_trajectory(name, kw, dtype):
    """``N_STEPS`` of optimizer ``name(**kw)`` on both libraries: equal parameters after every step,
    the parameter without a gradient untouched, and equal optimizer state at the end."""
    sign = -1.0 if kw.get("maximize") else 1.0
    em, tm = Model(ember, dtype, sign=sign), Model(torch, dtype, sign=sign)
    eo = getattr(ember.optim, name)(em.params, **kw)
    to = getattr(torch.optim, name)(tm.params, **kw)
    for step in range(N_STEPS):
        train_step(em, eo)
        train_step(tm, to)
        compare(em, tm, dtype, f"{name} step {step + 1}")
    assert np.array_equal(em.values()[-1], INIT[-1].astype(em.values()[-1].dtype)), "param without grad moved"
    compare_state(eo, to, dtype)
