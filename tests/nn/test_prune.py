"""nn.utils.prune against torch.nn.utils.prune: masks (random ones after manual_seed), state_dict
keys, forward values, gradients into weight_orig, containers, global pruning, remove."""
import numpy as np
import pytest
import torch

import ember
from ember import nn

import ember.nn.utils.prune as EP  # noqa: E402
import torch.nn.utils.prune as TP  # noqa: E402  (torch does not import it with nn.utils)


def _pair(conv=False):
    torch.manual_seed(0)
    t = torch.nn.Conv2d(3, 6, 3) if conv else torch.nn.Linear(5, 4)
    e = nn.Conv2d(3, 6, 3) if conv else nn.Linear(5, 4)
    e.weight.data.copy_(ember.tensor(t.weight.detach().numpy()))
    e.bias.data.copy_(ember.tensor(t.bias.detach().numpy()))
    return t, e


def _check(t, e, conv=False):
    es, ts = e.state_dict(), t.state_dict()
    assert list(es) == list(ts)
    for k in ts:
        np.testing.assert_allclose(es[k].numpy(), ts[k].numpy(), rtol=1e-6, atol=1e-7, err_msg=k)
    assert EP.is_pruned(e) == TP.is_pruned(t)
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 5) if conv else (2, 5)).astype(np.float32)
    yt, ye = t(torch.tensor(x)), e(ember.tensor(x))
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    t.zero_grad()
    e.zero_grad()
    (yt ** 2).sum().backward()
    (ye ** 2).sum().backward()
    tp, ep = dict(t.named_parameters()), dict(e.named_parameters())
    assert list(ep) == list(tp)
    for k in tp:
        np.testing.assert_allclose(ep[k].grad.numpy(), tp[k].grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=k)


@pytest.mark.parametrize("how", [
    ("l1_unstructured", dict(name="weight", amount=0.3)),
    ("l1_unstructured", dict(name="weight", amount=7)),
    ("l1_unstructured", dict(name="bias", amount=0.0)),
    ("random_unstructured", dict(name="weight", amount=0.4)),
    ("random_unstructured", dict(name="bias", amount=2)),
    ("ln_structured", dict(name="weight", amount=0.5, n=2, dim=0)),
    ("ln_structured", dict(name="weight", amount=1, n=1, dim=1)),
    ("ln_structured", dict(name="weight", amount=2, n=float("inf"), dim=-1)),
    ("random_structured", dict(name="weight", amount=0.5, dim=0)),
    ("random_structured", dict(name="weight", amount=2, dim=1)),
    ("identity", dict(name="weight")),
])
@pytest.mark.parametrize("conv", [False, True])
def test_prune_functions_as_torch(how, conv):
    fn, kw = how
    t, e = _pair(conv)
    torch.manual_seed(5)
    ember.manual_seed(5)
    getattr(TP, fn)(t, **kw)
    getattr(EP, fn)(e, **kw)
    _check(t, e, conv)
    # a second pruning of the same tensor: a container, acting on what is left
    getattr(TP, "random_unstructured")(t, kw["name"], amount=0.2)
    getattr(EP, "random_unstructured")(e, kw["name"], amount=0.2)
    assert type(e._forward_pre_hooks[next(iter(e._forward_pre_hooks))]).__name__ == "PruningContainer"
    _check(t, e, conv)
    TP.remove(t, kw["name"])
    EP.remove(e, kw["name"])
    assert isinstance(getattr(e, kw["name"]), nn.Parameter) and not EP.is_pruned(e)
    _check(t, e, conv)


def test_importance_scores_custom_mask_and_global():
    t1, e1 = _pair()
    t2, e2 = _pair(conv=True)
    scores = np.arange(20, dtype=np.float32).reshape(4, 5)[::-1].copy()
    TP.l1_unstructured(t1, "weight", amount=5, importance_scores=torch.tensor(scores))
    EP.l1_unstructured(e1, "weight", amount=5, importance_scores=ember.tensor(scores))
    _check(t1, e1)
    mask = (np.arange(6) % 2).astype(np.float32)
    TP.custom_from_mask(t2, "bias", torch.tensor(mask))
    EP.custom_from_mask(e2, "bias", ember.tensor(mask))
    _check(t2, e2, conv=True)
    TP.global_unstructured([(t1, "weight"), (t2, "weight"), (t2, "bias")], TP.L1Unstructured, amount=0.4)
    EP.global_unstructured([(e1, "weight"), (e2, "weight"), (e2, "bias")], EP.L1Unstructured, amount=0.4)
    _check(t1, e1)
    _check(t2, e2, conv=True)
    with pytest.raises(TypeError):
        EP.global_unstructured([(e1, "weight")], EP.LnStructured, amount=0.4, n=2, dim=0)


def test_custom_pruning_method_and_errors():
    class EveryOther(EP.BasePruningMethod):
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            mask = default_mask.clone()
            mask.view(-1)[::2] = 0
            return mask

    class TEveryOther(TP.BasePruningMethod):
        PRUNING_TYPE = "unstructured"

        def compute_mask(self, t, default_mask):
            mask = default_mask.clone()
            mask.view(-1)[::2] = 0
            return mask

    t, e = _pair()
    TEveryOther.apply(t, "weight")
    EveryOther.apply(e, "weight")
    _check(t, e)
    TEveryOther.apply(t, "weight")          # in a container: every other of the remaining entries
    EveryOther.apply(e, "weight")
    _check(t, e)
    np.testing.assert_array_equal(EP.L1Unstructured(0.5).prune(ember.tensor([3.0, -1.0, 2.0, 0.5])).numpy(),
                                  TP.L1Unstructured(0.5).prune(torch.tensor([3.0, -1.0, 2.0, 0.5])).numpy())
    for mod in (TP, EP):
        with pytest.raises(ValueError):
            mod.L1Unstructured(1.5)
        with pytest.raises(TypeError):
            mod.L1Unstructured("a")
    with pytest.raises(ValueError):
        EP.l1_unstructured(nn.Linear(2, 2), "bias", amount=3)
    with pytest.raises(ValueError):
        EP.ln_structured(nn.Linear(2, 2), "bias", amount=1, n=2, dim=0)
    m = nn.Linear(2, 2)
    with pytest.raises(ValueError):
        EP.l1_unstructured(m, "weight", amount=9)
    assert "weight" in m._parameters and "weight_orig" not in m._parameters    # restored after the error
    with pytest.raises(ValueError):
        EP.remove(m, "weight")
