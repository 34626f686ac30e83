"""ember.nn.functional is PyTorch's ``F``: the names ember implements, their signatures, and the
layers of ember.nn calling them (a layer computes through ``F.xxx``, never around it)."""
import ast
import importlib
import inspect
import os
import pkgutil

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
import ember.ops
from ember import nn

MODULES_DIR = os.path.join(os.path.dirname(ember.__file__), "nn", "modules")


def _torch_functional_names():
    return {n for n in dir(TF) if not n.startswith("_") and callable(getattr(TF, n))}


def test_every_exported_name_is_a_torch_functional_callable():
    assert len(F.__all__) == len(set(F.__all__))
    torch_names = _torch_functional_names()
    for name in F.__all__:
        assert callable(getattr(F, name)), name
        assert name in torch_names, f"F.{name} is not in torch.nn.functional"


def test_every_torch_functional_name_ember_implements_is_exported():
    torch_names = _torch_functional_names()
    implemented = set()
    for info in pkgutil.walk_packages(ember.ops.__path__, "ember.ops."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        implemented |= set(getattr(importlib.import_module(info.name), "__all__", ())) & torch_names
    assert implemented - set(F.__all__) == set()
    assert {n for n in dir(F) if not n.startswith("_") and callable(getattr(F, n))} == set(F.__all__)


def _params(fn):
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):  # a builtin without a signature
        return None


# torch gives no usable signature for its builtins (relu_, gelu, conv2d, ...) and its boolean dispatchers
# (max_pool2d, ...): those are left out.
_INSPECTABLE = [n for n in F.__all__ if _params(getattr(TF, n)) not in (None, ["args", "kwargs"])]


@pytest.mark.parametrize("name", _INSPECTABLE)
def test_signature_matches_torch(name):
    assert _params(getattr(F, name)) == _params(getattr(TF, name))


def _x(*shape, seed=0):
    return ember.tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


def _labels(*shape, classes=3):
    return ember.tensor(np.random.default_rng(1).integers(0, classes, shape))


def _signs(*shape):
    return ember.tensor(np.where(np.random.default_rng(2).random(shape) < 0.5, -1.0, 1.0).astype(np.float32))


# (layer, inputs, the F function it must call)
_ACT = [(nn.Sigmoid(), "sigmoid"), (nn.Tanh(), "tanh"), (nn.ReLU(), "relu"), (nn.ReLU6(), "hardtanh"),
        (nn.Hardtanh(), "hardtanh"), (nn.LeakyReLU(), "leaky_relu"), (nn.PReLU(), "prelu"),
        (nn.RReLU(), "rrelu"), (nn.ELU(), "elu"), (nn.CELU(), "celu"), (nn.SELU(), "selu"),
        (nn.GELU(), "gelu"), (nn.SiLU(), "silu"), (nn.Mish(), "mish"), (nn.Hardswish(), "hardswish"),
        (nn.Hardsigmoid(), "hardsigmoid"), (nn.Softplus(), "softplus"), (nn.Softsign(), "softsign"),
        (nn.LogSigmoid(), "logsigmoid"), (nn.Tanhshrink(), "tanhshrink"), (nn.Threshold(0.1, 2.0), "threshold"),
        (nn.Hardshrink(), "hardshrink"), (nn.Softshrink(), "softshrink"), (nn.GLU(), "glu"),
        (nn.Softmax(1), "softmax"), (nn.LogSoftmax(1), "log_softmax"), (nn.Softmin(1), "softmin"),
        (nn.Softmax2d(), "softmax"), (nn.Dropout(), "dropout"),
        (nn.Dropout2d(), "dropout2d"), (nn.Dropout3d(), "dropout3d"), (nn.AlphaDropout(), "alpha_dropout"),
        (nn.FeatureAlphaDropout(), "feature_alpha_dropout"), (nn.LayerNorm(4), "layer_norm"),
        (nn.GroupNorm(1, 2), "group_norm"), (nn.RMSNorm(4), "rms_norm"), (nn.BatchNorm2d(2), "batch_norm"),
        (nn.InstanceNorm2d(2), "instance_norm"), (nn.ZeroPad2d(1), "pad"), (nn.ConstantPad1d(1, 2.0), "pad"),
        (nn.ReflectionPad2d(1), "pad"), (nn.CircularPad2d(1), "pad"),
        (nn.Linear(4, 3), "linear"), (nn.LazyLinear(3), "linear")]
ONE_INPUT = [(m, (_x(3, 2, 4, 4),), f) for m, f in _ACT] + [
    (nn.Dropout1d(), (_x(3, 2, 4),), "dropout1d"), (nn.ReplicationPad1d(1), (_x(3, 2, 4),), "pad")]

_LOSSES = [(nn.L1Loss(), "l1_loss"), (nn.MSELoss(), "mse_loss"), (nn.SmoothL1Loss(), "smooth_l1_loss"),
           (nn.HuberLoss(), "huber_loss"), (nn.PoissonNLLLoss(), "poisson_nll_loss"),
           (nn.BCEWithLogitsLoss(), "binary_cross_entropy_with_logits"), (nn.SoftMarginLoss(), "soft_margin_loss"),
           (nn.MultiLabelSoftMarginLoss(), "multilabel_soft_margin_loss"), (nn.KLDivLoss(), "kl_div"),
           (nn.HingeEmbeddingLoss(), "hinge_embedding_loss")]
MANY_INPUTS = [(m, (_x(4, 3), _signs(4, 3)), f) for m, f in _LOSSES] + [
    (nn.BCELoss(), (ember.sigmoid(_x(4, 3)), _x(4, 3, seed=1).sigmoid()), "binary_cross_entropy"),
    (nn.CrossEntropyLoss(), (_x(4, 3), _labels(4)), "cross_entropy"),
    (nn.NLLLoss(), (_x(4, 3), _labels(4)), "nll_loss"),
    (nn.MultiMarginLoss(), (_x(4, 3), _labels(4)), "multi_margin_loss"),
    (nn.MultiLabelMarginLoss(), (_x(4, 3), _labels(4, 3)), "multilabel_margin_loss"),
    (nn.GaussianNLLLoss(), (_x(4, 3), _x(4, 3, seed=1), _x(4, 3, seed=2).abs()), "gaussian_nll_loss"),
    (nn.CosineEmbeddingLoss(), (_x(4, 3), _x(4, 3, seed=1), _signs(4)), "cosine_embedding_loss"),
    (nn.MarginRankingLoss(), (_x(4), _x(4, seed=1), _signs(4)), "margin_ranking_loss"),
    (nn.TripletMarginLoss(), (_x(4, 3), _x(4, 3, seed=1), _x(4, 3, seed=2)), "triplet_margin_loss"),
    (nn.TripletMarginWithDistanceLoss(), (_x(4, 3), _x(4, 3, seed=1), _x(4, 3, seed=2)),
     "triplet_margin_with_distance_loss"),
    (nn.CosineSimilarity(), (_x(4, 3), _x(4, 3, seed=1)), "cosine_similarity"),
    (nn.PairwiseDistance(), (_x(4, 3), _x(4, 3, seed=1)), "pairwise_distance"),
    (nn.Bilinear(3, 2, 4), (_x(4, 3), _x(4, 2)), "bilinear"),
    (nn.Embedding(5, 3), (_labels(4, classes=5),), "embedding"),
]


@pytest.mark.parametrize("module, inputs, fname", ONE_INPUT + MANY_INPUTS,
                         ids=[f"{type(m).__name__}-{f}" for m, _, f in ONE_INPUT + MANY_INPUTS])
def test_layer_calls_its_functional(monkeypatch, module, inputs, fname):
    """Replace F.<fname> by a recording wrapper: the layer must call it, and return what it returns."""
    real, calls = getattr(F, fname), []

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append(out)
        return out

    monkeypatch.setattr(F, fname, spy)
    out = module(*inputs)
    assert len(calls) == 1, f"{type(module).__name__} did not call F.{fname} exactly once"
    assert out is calls[0]


def test_relu_layer_sees_a_patched_functional(monkeypatch):
    monkeypatch.setattr(F, "relu", lambda input, inplace=False: "patched")
    assert nn.ReLU()(ember.ones(2)) == "patched"


def _layer_files():
    return sorted(f for f in os.listdir(MODULES_DIR) if f.endswith(".py"))


@pytest.mark.parametrize("filename", _layer_files())
def test_layers_import_no_public_op_around_functional(filename):
    """nn/modules/*.py take their functional ops from ember.nn.functional, not from ember.ops."""
    tree = ast.parse(open(os.path.join(MODULES_DIR, filename)).read())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 3 and (node.module or "").startswith("ops"):
            ops = [a.name for a in node.names if a.name in F.__all__]  # argument helpers are fine
            assert not ops, f"{filename}:{node.lineno} imports {ops} from ember.{node.module}, not through F"
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            nested = [n.lineno for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
            assert not nested, f"{filename}: import inside {node.name}() at line(s) {nested}"


@pytest.mark.parametrize("name", ["relu", "gelu", "softmax", "log_softmax", "silu", "hardswish", "tanh"])
def test_functional_values_match_torch(name):
    x = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    kwargs = {"dim": 1} if "softmax" in name else {}
    e = getattr(F, name)(ember.tensor(x), **kwargs)
    t = getattr(TF, name)(torch.tensor(x), **kwargs)
    np.testing.assert_allclose(e._data, t.numpy(), rtol=1e-6, atol=1e-6)
