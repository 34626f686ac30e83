"""nn.utils.parametrize, parametrizations.weight_norm/spectral_norm and the hook-based weight_norm /
spectral_norm against torch: values, gradients to the originals, state_dict keys and contents."""
import warnings

import numpy as np
import pytest
import torch

import ember
from ember import nn

P = nn.utils.parametrize


def _pair(shape=(4, 3), conv=False, seed=0):
    torch.manual_seed(seed)
    if conv:
        t = torch.nn.Conv2d(3, 4, 3)
        e = nn.Conv2d(3, 4, 3)
    else:
        t = torch.nn.Linear(shape[1], shape[0])
        e = nn.Linear(shape[1], shape[0])
    e.weight.data.copy_(ember.tensor(t.weight.detach().numpy()))
    e.bias.data.copy_(ember.tensor(t.bias.detach().numpy()))
    return t, e


def _close(e, t, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(e.detach().numpy()), t.detach().numpy(), rtol=rtol, atol=atol)


def _same_state(e, t):
    es, ts = e.state_dict(), t.state_dict()
    assert list(es) == list(ts)
    for k in ts:
        _close(es[k], ts[k])


def _step(t, e, conv=False, seed=1):
    x = np.random.default_rng(seed).standard_normal((2, 3, 5, 5) if conv else (2, 3)).astype(np.float32)
    yt, ye = t(torch.tensor(x)), e(ember.tensor(x))
    _close(ye, yt)
    (yt ** 2).sum().backward()
    (ye ** 2).sum().backward()
    tp, ep = dict(t.named_parameters()), dict(e.named_parameters())
    assert list(ep) == list(tp)
    for k in tp:
        _close(ep[k].grad, tp[k].grad, rtol=1e-4, atol=1e-5)


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(0, 1)


class TSymmetric(torch.nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(0, 1)


class Scale(nn.Module):
    def forward(self, X):
        return 2 * X

    def right_inverse(self, X):
        return X / 2


class TScale(torch.nn.Module):
    def forward(self, X):
        return 2 * X

    def right_inverse(self, X):
        return X / 2


def test_register_parametrization_as_torch():
    t, e = _pair((3, 3))
    torch.nn.utils.parametrize.register_parametrization(t, "weight", TSymmetric())
    P.register_parametrization(e, "weight", Symmetric())
    assert type(e).__name__ == type(t).__name__ == "ParametrizedLinear"
    assert isinstance(e, nn.Linear) and P.type_before_parametrizations(e) is nn.Linear
    assert P.is_parametrized(e) and P.is_parametrized(e, "weight") and not P.is_parametrized(e, "bias")
    assert isinstance(e.parametrizations.weight.original, nn.Parameter)
    _close(e.weight, t.weight)
    _same_state(e, t)
    _step(t, e)
    assert repr(e).replace("ember.", "") == repr(t).replace("torch.", "").replace("TSymmetric", "Symmetric")


def test_right_inverse_assignment_and_chaining():
    t, e = _pair((3, 3))
    torch.nn.utils.parametrize.register_parametrization(t, "weight", TScale())
    P.register_parametrization(e, "weight", Scale())
    _close(e.parametrizations.weight.original, t.parametrizations.weight.original)
    torch.nn.utils.parametrize.register_parametrization(t, "weight", TScale())
    P.register_parametrization(e, "weight", Scale())
    _close(e.weight, t.weight)
    with torch.no_grad():
        t.weight = torch.ones(3, 3)
    e.weight = ember.ones(3, 3)
    _close(e.parametrizations.weight.original, t.parametrizations.weight.original)
    _step(t, e)
    torch.nn.utils.parametrize.register_parametrization(t, "weight", TSymmetric())
    P.register_parametrization(e, "weight", Symmetric())
    _close(e.weight, t.weight)
    with pytest.raises(RuntimeError, match="does not implement right_inverse"):
        e.weight = ember.ones(3, 3)


def test_cached_and_remove():
    t, e = _pair((3, 3))
    P.register_parametrization(e, "weight", Symmetric())
    torch.nn.utils.parametrize.register_parametrization(t, "weight", TSymmetric())
    with P.cached():
        assert e.weight is e.weight
    assert e.weight is not e.weight
    original = e.parametrizations.weight.original
    P.remove_parametrizations(e, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(t, "weight")
    assert type(e) is nn.Linear and not P.is_parametrized(e) and "parametrizations" not in e._modules
    assert e.weight is original           # the same Parameter object, now holding the parametrized value
    _close(e.weight, t.weight)
    _same_state(e, t)
    with pytest.raises(ValueError):
        P.remove_parametrizations(e, "weight")


def test_parametrization_errors():
    e = nn.Linear(3, 3)

    class Shape(nn.Module):
        def forward(self, X):
            return X[:1]
    with pytest.raises(ValueError):
        P.register_parametrization(e, "weight", Shape())
    P.register_parametrization(e, "weight", Shape(), unsafe=True)
    assert e.weight.shape == (1, 3)
    with pytest.raises(ValueError):
        P.register_parametrization(nn.Linear(2, 2), "nope", Symmetric())


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_parametrization(dim):
    t, e = _pair()
    torch.nn.utils.parametrizations.weight_norm(t, dim=dim)
    nn.utils.parametrizations.weight_norm(e, dim=dim)
    assert e.parametrizations.weight.original0.shape == t.parametrizations.weight.original0.shape
    _same_state(e, t)
    _step(t, e)


def test_weight_norm_conv_and_old_checkpoint_keys():
    t, e = _pair(conv=True)
    torch.nn.utils.parametrizations.weight_norm(t)
    nn.utils.parametrizations.weight_norm(e)
    _same_state(e, t)
    _step(t, e, conv=True)
    # a checkpoint of the hook-based form (weight_g / weight_v) loads into the parametrized module
    old = nn.Linear(3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        nn.utils.weight_norm(old)
    new = nn.utils.parametrizations.weight_norm(nn.Linear(3, 4))
    new.load_state_dict(old.state_dict())
    _close(new.weight, old.weight_g * old.weight_v / old.weight_v.norm(dim=1, keepdim=True))


@pytest.mark.parametrize("conv", [False, True])
def test_spectral_norm_parametrization_power_iteration_as_torch(conv):
    t, e = _pair((5, 3), conv=conv)
    torch.manual_seed(7)
    ember.manual_seed(7)
    torch.nn.utils.parametrizations.spectral_norm(t, n_power_iterations=2)
    nn.utils.parametrizations.spectral_norm(e, n_power_iterations=2)
    assert list(e.state_dict()) == list(t.state_dict())
    _same_state(e, t)
    for _ in range(2):
        t.zero_grad()
        e.zero_grad()
        _step(t, e, conv=conv)
        _same_state(e, t)           # _u/_v after the training-mode power iterations
    t.eval()
    e.eval()
    _close(e.weight, t.weight)
    _same_state(e, t)


def test_spectral_norm_errors():
    for mod in (torch, ember):
        with pytest.raises(ValueError):
            mod.nn.utils.parametrizations.spectral_norm(mod.nn.Linear(3, 3), n_power_iterations=0)
        with pytest.raises(IndexError):
            mod.nn.utils.parametrizations.spectral_norm(mod.nn.Linear(3, 3), dim=2)
        with pytest.raises(ValueError):
            mod.nn.utils.parametrizations.spectral_norm(mod.nn.Linear(3, 3), name="nope")


@pytest.mark.parametrize("dim", [0, 1, None])
def test_hook_weight_norm_as_torch(dim):
    t, e = _pair()
    with pytest.warns(FutureWarning):
        torch.nn.utils.weight_norm(t, dim=dim)
    with pytest.warns(FutureWarning):
        nn.utils.weight_norm(e, dim=dim)
    _same_state(e, t)
    _step(t, e)
    with pytest.raises(RuntimeError), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        nn.utils.weight_norm(e, dim=dim)
    torch.nn.utils.remove_weight_norm(t)
    nn.utils.remove_weight_norm(e)
    assert isinstance(e.weight, nn.Parameter)
    _same_state(e, t)
    with pytest.raises(ValueError):
        nn.utils.remove_weight_norm(e)


@pytest.mark.parametrize("conv", [False, True])
def test_hook_spectral_norm_as_torch(conv):
    t, e = _pair((5, 3), conv=conv)
    torch.manual_seed(3)
    ember.manual_seed(3)
    torch.nn.utils.spectral_norm(t)
    nn.utils.spectral_norm(e)
    _same_state(e, t)
    assert list(e.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    for _ in range(2):
        t.zero_grad()
        e.zero_grad()
        _step(t, e, conv=conv)
        _same_state(e, t)
    torch.nn.utils.remove_spectral_norm(t)
    nn.utils.remove_spectral_norm(e)
    _same_state(e, t)
    with pytest.raises(ValueError):
        nn.utils.remove_spectral_norm(e)


def test_deepcopy_and_state_dict_round_trip():
    import copy
    e = nn.utils.parametrizations.weight_norm(nn.Linear(3, 4))
    c = copy.deepcopy(e)
    assert type(c) is type(e) and c.parametrizations.weight.original1 is not e.parametrizations.weight.original1
    np.testing.assert_array_equal(c.weight.detach().numpy(), e.weight.detach().numpy())
    avg = ember.optim.swa_utils.AveragedModel(e)
    avg.update_parameters(e)
    np.testing.assert_array_equal(avg.module.weight.detach().numpy(), e.weight.detach().numpy())
    other = nn.utils.parametrizations.weight_norm(nn.Linear(3, 4))
    other.load_state_dict(e.state_dict())
    np.testing.assert_allclose(other.weight.detach().numpy(), e.weight.detach().numpy(), rtol=1e-6)
    s = nn.utils.parametrizations.spectral_norm(nn.Linear(3, 4))
    s2 = nn.utils.parametrizations.spectral_norm(nn.Linear(3, 4))
    s2.load_state_dict(s.state_dict())
    s.eval()
    s2.eval()
    np.testing.assert_allclose(s2.weight.detach().numpy(), s.weight.detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("shape,omap", [((5, 5), None), ((5, 5), "cayley"), ((5, 5), "householder"), ((3, 6), None),
                                        ((6, 3), None), ((6, 3), "matrix_exp"), ((6, 3), "cayley")])
def test_orthogonal_as_torch(shape, omap):
    res = {}
    w0 = np.random.default_rng(0).uniform(-0.5, 0.5, shape).astype(np.float32)
    for mod in (torch, ember):
        layer = mod.nn.Linear(shape[1], shape[0])
        with mod.no_grad():
            layer.weight.copy_(mod.tensor(w0))
        mod.manual_seed(1)                              # rectangular weights draw a completion (randn)
        mod.nn.utils.parametrizations.orthogonal(layer, orthogonal_map=omap)
        with mod.no_grad():                             # move away from the identity point
            step = np.linspace(-0.3, 0.4, shape[0] * shape[1]).reshape(shape).astype(np.float32)
            np.fill_diagonal(step, 0.0)                 # householder reads the diagonal's sign as int
            layer.parametrizations.weight.original.add_(mod.tensor(step))
        x = mod.tensor(np.linspace(-1, 1, 2 * shape[1]).reshape(2, shape[1]).astype(np.float32))
        (layer(x) ** 2).sum().backward()
        res[mod.__name__] = (layer.weight.detach().numpy(), layer.parametrizations.weight.original.grad.numpy(),
                             {k: v.numpy() for k, v in layer.state_dict().items()})
    e, t = res["ember"], res["torch"]
    np.testing.assert_allclose(e[0], t[0], atol=2e-6)
    np.testing.assert_allclose(e[1], t[1], atol=1e-5)
    assert list(e[2]) == list(t[2])
    for k in t[2]:
        np.testing.assert_allclose(e[2][k], t[2][k], atol=2e-6, err_msg=k)
    w = e[0] if shape[0] >= shape[1] else e[0].T
    np.testing.assert_allclose(w.T @ w, np.eye(w.shape[1]), atol=1e-5)


def test_orthogonal_errors():
    for mod in (torch, ember):
        with pytest.raises(ValueError):
            mod.nn.utils.parametrizations.orthogonal(mod.nn.Linear(3, 3), orthogonal_map="nope")
        with pytest.raises(ValueError):
            mod.nn.utils.parametrizations.orthogonal(mod.nn.Linear(3, 3), name="bias")


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_weight_norm_on_a_recurrent_weight_as_torch(kind):
    out = {}
    for mod in (torch, ember):
        mod.manual_seed(0)
        rnn = getattr(mod.nn, kind)(3, 4, num_layers=2, bidirectional=True)
        mod.nn.utils.parametrizations.weight_norm(rnn, "weight_hh_l0")
        y = rnn(mod.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(2, 2, 3)))[0]
        y.pow(2).sum().backward()
        out[mod.__name__] = (y.detach().numpy(), {k: v.grad.numpy() for k, v in rnn.named_parameters()})
    e, t = out["ember"], out["torch"]
    np.testing.assert_allclose(e[0], t[0], rtol=1e-5, atol=1e-6)
    assert list(e[1]) == list(t[1])
    for k in t[1]:
        np.testing.assert_allclose(e[1][k], t[1][k], rtol=1e-4, atol=1e-6, err_msg=k)
