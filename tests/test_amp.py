"""ember.amp (GradScaler, autocast) and ember.cuda.amp against PyTorch on this CPU-only machine."""
import warnings

import numpy as np
import pytest
import torch

import ember


def _error(fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001  (the type and message are what is compared)
        return type(e), str(e)


def _record(fn):
    """(result or (error type, message), [(warning category, message)])."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = _error(fn)
    return out, [(x.category, str(x.message)) for x in w]


# ---- GradScaler -------------------------------------------------------------------------------

def _pair(**kw):
    rng = np.random.default_rng(0)
    w, b = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    out = []
    for lib in (torch, ember):
        m = lib.nn.Linear(4, 3)
        with lib.no_grad():
            m.weight.copy_(lib.tensor(w))
            m.bias.copy_(lib.tensor(b))
        opt = lib.optim.SGD(m.parameters(), lr=0.1)
        out.append((lib, m, opt, lib.amp.GradScaler("cpu", **kw)))
    return out


def _step(lib, m, opt, scaler, x, poison=False):
    opt.zero_grad()
    loss = m(lib.tensor(x)).pow(2).sum()
    if poison:
        loss = loss * float("inf")
    scaler.scale(loss).backward()
    ret = scaler.step(opt)
    scaler.update()
    return ret, scaler.get_scale()


@pytest.mark.parametrize("enabled", [True, False])
def test_grad_scaler_training_matches_torch(enabled):
    rng = np.random.default_rng(1)
    xs = [rng.standard_normal((5, 4)).astype(np.float32) for _ in range(6)]
    (tl, tm, topt, ts), (el, em, eopt, es) = _pair(enabled=enabled, init_scale=1024.0, growth_interval=2)
    for i, x in enumerate(xs):
        poison = i == 3
        t = _step(tl, tm, topt, ts, x, poison)
        e = _step(el, em, eopt, es, x, poison)
        assert e == t, f"step {i}: (step result, scale) {e} != torch {t}"
        np.testing.assert_allclose(em.weight.data, tm.weight.detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(em.bias.data, tm.bias.detach().numpy(), rtol=1e-5, atol=1e-6)
        assert es.state_dict() == ts.state_dict()


def test_grad_scaler_scale_values_and_unscale():
    (tl, tm, topt, ts), (el, em, eopt, es) = _pair(init_scale=8.0)
    x = np.ones((2, 4), np.float32)
    for lib, m, opt, s in ((tl, tm, topt, ts), (el, em, eopt, es)):
        loss = m(lib.tensor(x)).sum()
        scaled = s.scale(loss)
        assert scaled.dtype == lib.float32
        np.testing.assert_allclose(float(scaled), float(loss) * 8.0, rtol=1e-6)
        assert isinstance(s.scale([loss, loss]), list) and isinstance(s.scale((loss,)), tuple)
        scaled.backward()
        s.unscale_(opt)
    np.testing.assert_allclose(em.weight.grad.data, tm.weight.grad.numpy(), rtol=1e-6)
    assert _error(lambda: es.unscale_(eopt)) == _error(lambda: ts.unscale_(topt))
    es.step(eopt), ts.step(topt)
    assert _error(lambda: es.step(eopt)) == _error(lambda: ts.step(topt))
    assert _error(lambda: es.unscale_(eopt)) == _error(lambda: ts.unscale_(topt))
    assert _error(lambda: es.scale(3.0)) == _error(lambda: ts.scale(3.0))
    assert _error(lambda: es.step(eopt, closure=lambda: 0)) == _error(lambda: ts.step(topt, closure=lambda: 0))


def test_grad_scaler_update_without_step_and_new_scale():
    es, ts = ember.amp.GradScaler("cpu"), torch.amp.GradScaler("cpu")
    for name in ("update", "unscale_", "step"):
        args = () if name == "update" else (None,)
        assert _error(lambda: getattr(es, name)(*args)) == _error(lambda: getattr(ts, name)(*args))
    es.scale(ember.ones(1)), ts.scale(torch.ones(1))
    assert _error(es.update) == _error(ts.update)
    es.update(new_scale=5.0), ts.update(new_scale=5.0)
    assert es.get_scale() == ts.get_scale() == 5.0
    es.update(new_scale=ember.tensor(7.0)), ts.update(new_scale=torch.tensor(7.0))
    assert es.get_scale() == ts.get_scale() == 7.0


def test_grad_scaler_disabled_passes_through():
    for lib in (torch, ember):
        s = lib.amp.GradScaler("cpu", enabled=False)
        loss = lib.tensor(2.0, requires_grad=True)
        assert s.scale(loss) is loss and s.scale(3.0) == 3.0
        p = lib.nn.Parameter(lib.ones(2))
        p.grad = lib.full((2,), 4.0)
        opt = lib.optim.SGD([p], lr=1.0)
        assert s.unscale_(opt) is None and s.step(opt) is None and s.update() is None
        assert p.tolist() == [-3.0, -3.0]
        assert s.is_enabled() is False and s.get_scale() == 1.0 and s.state_dict() == {}
        assert s.load_state_dict({"scale": 3.0}) is None and s.get_scale() == 1.0


def test_grad_scaler_state_dict_round_trip():
    es, ts = ember.amp.GradScaler("cpu"), torch.amp.GradScaler("cpu")
    assert es.state_dict() == ts.state_dict()
    sd = {"scale": 3.0, "growth_factor": 3.0, "backoff_factor": 0.25, "growth_interval": 5, "_growth_tracker": 1}
    es.load_state_dict(dict(sd)), ts.load_state_dict(dict(sd))
    assert es.state_dict() == ts.state_dict() == sd and es.get_scale() == ts.get_scale()
    assert _error(lambda: es.load_state_dict({})) == _error(lambda: ts.load_state_dict({}))
    es.scale(ember.ones(1)), ts.scale(torch.ones(1))
    sd["scale"] = 9.0
    es.load_state_dict(dict(sd)), ts.load_state_dict(dict(sd))
    assert es.state_dict() == ts.state_dict() == sd and es.get_scale() == ts.get_scale() == 9.0


@pytest.mark.parametrize("make", [
    lambda lib: lib.amp.GradScaler("cuda"), lambda lib: lib.amp.GradScaler(), lambda lib: lib.cuda.amp.GradScaler(),
    lambda lib: lib.cuda.amp.GradScaler(enabled=False), lambda lib: lib.amp.GradScaler("cuda", enabled=False),
    lambda lib: lib.amp.GradScaler("cpu", growth_factor=0.5), lambda lib: lib.amp.GradScaler("cpu", backoff_factor=2.0),
])
def test_grad_scaler_construction_warnings_as_torch(make):
    (e, ew), (t, tw) = _record(lambda: make(ember)), _record(lambda: make(torch))
    assert ew == tw
    if isinstance(t, tuple):
        assert e == t
    else:
        assert e.is_enabled() == t.is_enabled() and e.state_dict() == t.state_dict()


def test_cuda_grad_scaler_is_disabled_and_steps():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = ember.cuda.amp.GradScaler()
    assert isinstance(s, ember.amp.GradScaler) and not s.is_enabled()
    p = ember.nn.Parameter(ember.ones(2))
    p.grad = ember.ones(2)
    s.step(ember.optim.SGD([p], lr=1.0))
    assert p.tolist() == [0.0, 0.0]


# ---- autocast -----------------------------------------------------------------------------------

@pytest.mark.parametrize("args,kwargs", [
    (("cuda",), {}), (("cuda",), {"dtype": "float16"}), (("cpu",), {"dtype": "float32"}),
    (("cpu",), {"enabled": False}), (("cuda",), {"enabled": False}), (("cpu",), {"dtype": "bfloat16", "enabled": False}),
    ((1,), {}), (("xyz",), {}),
])
def test_autocast_warnings_and_errors_as_torch(args, kwargs):
    def run(lib):
        kw = {k: getattr(lib, v) if k == "dtype" else v for k, v in kwargs.items()}
        with lib.autocast(*args, **kw):
            return (lib.ones(2) * 2).tolist()
    (e, ew), (t, tw) = _record(lambda: run(ember)), _record(lambda: run(torch))
    assert e == t and ew == tw


@pytest.mark.parametrize("kwargs", [{}, {"dtype": "bfloat16"}, {"dtype": "float16"}])
def test_cpu_reduced_precision_autocast_is_refused(kwargs):
    kw = {k: getattr(ember, v) for k, v in kwargs.items()}
    with pytest.raises(NotImplementedError, match="float32"):
        ember.autocast("cpu", **kw)
    with pytest.raises(NotImplementedError, match="autocast"):
        ember.amp.autocast("cpu", **kw)


def test_cuda_amp_autocast_as_torch():
    def run(lib):
        with lib.cuda.amp.autocast():
            return lib.ones(1).tolist()
    assert _record(lambda: run(ember)) == _record(lambda: run(torch))
    assert _record(lambda: ember.cuda.amp.autocast(enabled=False))[1] == \
        _record(lambda: torch.cuda.amp.autocast(enabled=False))[1]


def test_autocast_as_decorator_and_names():
    assert ember.autocast is ember.amp.autocast

    @ember.autocast("cpu", enabled=False)
    def f(x, y=1):
        """doc"""
        return x + y

    assert f(1, y=2) == 3 and f.__doc__ == "doc" and f.__name__ == "f"
    for lib in (torch, ember):
        assert lib.amp.is_autocast_available("cpu") and lib.amp.is_autocast_available("cuda")
