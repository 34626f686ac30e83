"""Loss Modules: constructor signatures and defaults as PyTorch, options reach the math,
weight/pos_weight are buffers (state_dict), repr, legacy size_average/reduce, gradients flow
into a model's parameters.
"""
import doctest
import importlib
import inspect
import pkgutil

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from tests.oracle import assert_close, check

RNG = np.random.default_rng(5)
LOSSES = ["L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss", "PoissonNLLLoss", "GaussianNLLLoss",
          "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "MultiLabelSoftMarginLoss",
          "MultiLabelMarginLoss", "MultiMarginLoss", "SoftMarginLoss", "KLDivLoss",
          "CosineEmbeddingLoss", "MarginRankingLoss", "HingeEmbeddingLoss", "TripletMarginLoss",
          "TripletMarginWithDistanceLoss", "CosineSimilarity", "PairwiseDistance"]


@pytest.mark.parametrize("name", LOSSES)
def test_signature_matches_torch(name):
    def params(cls):
        return [(p.name, p.default, p.kind) for p in inspect.signature(cls.__init__).parameters.values()]
    assert params(getattr(ember.nn, name)) == params(getattr(torch.nn, name))


@pytest.mark.parametrize("name", LOSSES)
def test_exported_everywhere(name):
    assert issubclass(getattr(ember.nn, name), ember.nn.Module)
    assert repr(getattr(ember.nn, name)()) == f"{name}()"


def _r(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def _int(*shape, high=4):
    return RNG.integers(0, high, shape)


def _pm(*shape):
    return np.where(RNG.random(shape) > 0.5, 1.0, -1.0).astype(np.float32)


W4 = RNG.uniform(0.2, 2, 4).astype(np.float32)
# name -> (constructor kwargs, inputs, indices of differentiable inputs)
CASES = {
    "L1Loss": (dict(reduction="sum"), lambda: (_r(3, 4), _r(3, 4))),
    "MSELoss": (dict(reduction="none"), lambda: (_r(3, 4), _r(3, 4))),
    "SmoothL1Loss": (dict(beta=0.5), lambda: (_r(3, 4), _r(3, 4))),
    "HuberLoss": (dict(delta=0.7, reduction="sum"), lambda: (_r(3, 4), _r(3, 4))),
    "PoissonNLLLoss": (dict(log_input=False, full=True, eps=1e-6),
                       lambda: (np.abs(_r(3, 4)) + 0.1, np.abs(_r(3, 4)) * 3 + 0.1)),
    "GaussianNLLLoss": (dict(full=True, eps=1e-4), lambda: (_r(3, 4), _r(3, 4), np.abs(_r(3, 1)) + 0.1)),
    "CrossEntropyLoss": (dict(weight="W", ignore_index=1, label_smoothing=0.1), lambda: (_r(6, 4), _int(6))),
    "NLLLoss": (dict(weight="W", reduction="sum"), lambda: (_r(6, 4), _int(6))),
    "BCELoss": (dict(weight="W"), lambda: (RNG.uniform(0.05, 0.95, (3, 4)).astype(np.float32),
                                           RNG.random((3, 4)).astype(np.float32))),
    "BCEWithLogitsLoss": (dict(weight="W", pos_weight="W"), lambda: (_r(3, 4), RNG.random((3, 4)).astype(np.float32))),
    "MultiLabelSoftMarginLoss": (dict(weight="W"), lambda: (_r(3, 4), (RNG.random((3, 4)) > 0.5).astype(np.float32))),
    "MultiLabelMarginLoss": (dict(), lambda: (_r(3, 4), np.array([[0, 2, -1, 1], [3, -1, 0, 0], [1, 2, 3, 0]]))),
    "MultiMarginLoss": (dict(p=2, margin=0.5, weight="W"), lambda: (_r(5, 4), _int(5))),
    "SoftMarginLoss": (dict(), lambda: (_r(3, 4), _pm(3, 4))),
    "KLDivLoss": (dict(reduction="batchmean", log_target=True), lambda: (_r(3, 4), _r(3, 4))),
    "CosineEmbeddingLoss": (dict(margin=0.2), lambda: (_r(5, 4), _r(5, 4), _pm(5))),
    "MarginRankingLoss": (dict(margin=0.3), lambda: (_r(5), _r(5), _pm(5))),
    "HingeEmbeddingLoss": (dict(margin=0.5), lambda: (_r(3, 4), _pm(3, 4))),
    "TripletMarginLoss": (dict(margin=2.0, p=1.0, swap=True), lambda: (_r(5, 4), _r(5, 4), _r(5, 4))),
    "TripletMarginWithDistanceLoss": (dict(margin=1.5, swap=True), lambda: (_r(5, 4), _r(5, 4), _r(5, 4))),
    "CosineSimilarity": (dict(dim=0, eps=1e-6), lambda: (_r(3, 4), _r(3, 4))),
    "PairwiseDistance": (dict(p=3.0, eps=1e-5, keepdim=True), lambda: (_r(3, 4), _r(3, 4))),
}
NO_TARGET_GRAD = {"CrossEntropyLoss", "NLLLoss", "MultiLabelMarginLoss", "MultiMarginLoss", "SoftMarginLoss",
                  "CosineEmbeddingLoss", "HingeEmbeddingLoss"}


def _build(mod, name, kw):
    lib = ember if mod is ember.nn else torch
    kw = {k: (lib.tensor(W4) if v == "W" else v) for k, v in kw.items()}
    return getattr(mod, name)(**kw)


@pytest.mark.parametrize("name", LOSSES)
def test_module_vs_torch(name):
    kw, make = CASES[name]
    arrays = make()
    e_loss, t_loss = _build(ember.nn, name, kw), _build(torch.nn, name, kw)
    if name in NO_TARGET_GRAD:
        rest_e = [ember.tensor(a) for a in arrays[1:]]
        rest_t = [torch.tensor(a) for a in arrays[1:]]
        if name == "CosineEmbeddingLoss":
            check(lambda a, b: e_loss(a, b, rest_e[1]), lambda a, b: t_loss(a, b, rest_t[1]), *arrays[:2])
        else:
            check(lambda a: e_loss(a, *rest_e), lambda a: t_loss(a, *rest_t), arrays[0])
    else:
        check(e_loss, t_loss, *arrays)


def test_tutorial_printed_values():
    x = ember.tensor([1.0, 2.0, 3.0]).reshape(1, 1, 1, 3)
    y = ember.tensor([1.0, 2.0, 5.0]).reshape(1, 1, 1, 3)
    assert round(ember.nn.L1Loss()(x, y).item(), 4) == 0.6667
    assert ember.nn.L1Loss(reduction="sum")(x, y).item() == 2.0
    assert round(ember.nn.MSELoss()(x, y).item(), 4) == 1.3333
    loss = ember.nn.CrossEntropyLoss()(ember.tensor([[0.1, 0.2, 0.3]]), ember.tensor([1]))
    assert round(loss.item(), 4) == 1.1019


def test_cross_entropy_tutorial_value():
    loss = ember.nn.CrossEntropyLoss()(ember.tensor([[0.1, 0.2, 0.3]]), ember.tensor([1]))
    assert round(loss.item(), 4) == 1.1019


def test_weight_is_a_buffer():
    w = ember.tensor(W4)
    loss = ember.nn.CrossEntropyLoss(weight=w)
    assert list(loss.state_dict()) == list(torch.nn.CrossEntropyLoss(weight=torch.tensor(W4)).state_dict())
    assert loss.weight is w and [n for n, _ in loss.named_buffers()] == ["weight"]
    assert list(loss.parameters()) == []
    assert ember.nn.CrossEntropyLoss().weight is None
    bce = ember.nn.BCEWithLogitsLoss(pos_weight=w)
    assert bce.pos_weight is w and bce.weight is None
    assert list(bce.state_dict()) == ["pos_weight"]


def test_buffer_replacement_is_used():
    loss = ember.nn.NLLLoss(weight=ember.ones(4))
    loss.weight = ember.tensor(W4)                    # reassigning a buffer keeps it a buffer
    x, t = _r(6, 4), _int(6)
    expected = torch.nn.NLLLoss(weight=torch.tensor(W4))(torch.tensor(x), torch.tensor(t))
    assert_close(loss(ember.tensor(x), ember.tensor(t)), expected)


def test_legacy_args_in_constructor():
    with pytest.warns(UserWarning, match="reduction='none'"):
        loss = ember.nn.CrossEntropyLoss(reduce=False)
    assert loss.reduction == "none"
    assert loss(ember.tensor(_r(3, 4)), ember.tensor(_int(3))).shape == (3,)


def test_bad_constructor_options():
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        ember.nn.MultiMarginLoss(p=3)
    with pytest.raises(ValueError, match="margin to be greater than 0"):
        ember.nn.TripletMarginLoss(margin=0)


def test_training_step_updates_parameters():
    """A loss at the end of a model: gradients reach every parameter (phone-price-like MLP)."""
    ember.manual_seed(0)
    model = ember.nn.Sequential(ember.nn.Linear(20, 16), ember.nn.ReLU(), ember.nn.Linear(16, 4))
    x = ember.randn(16, 20)
    y = ember.tensor(_int(16))
    loss = ember.nn.CrossEntropyLoss()(model(x), y)
    loss.backward()
    assert all(p.grad is not None and np.isfinite(p.grad._data).all() for p in model.parameters())
    assert loss.grad_fn.name() == "NllLossBackward0"


@pytest.mark.parametrize("module", ["ember.ops.loss", "ember.nn.modules.loss"])
def test_docstring_examples(module):
    """Every loss docstring has an example; the printed values are right (checked with doctest).

    ``ember.ops.loss`` is a package: its functions live in its submodules, so those are run.
    """
    mod = importlib.import_module(module)
    for name in mod.__all__:
        doc = getattr(mod, name).__doc__ or ""
        assert ">>>" in doc and "Shapes" in doc, f"{name}: docstring lacks an example or shapes"
    subs = pkgutil.iter_modules(getattr(mod, "__path__", []))
    mods = [mod] + [importlib.import_module(f"{module}.{m.name}") for m in subs]
    failed = attempted = 0
    for m in mods:
        result = doctest.testmod(m, extraglobs={"ember": ember, "F": F}, optionflags=doctest.NORMALIZE_WHITESPACE)
        failed, attempted = failed + result.failed, attempted + result.attempted
    assert failed == 0 and attempted >= len(mod.__all__)
