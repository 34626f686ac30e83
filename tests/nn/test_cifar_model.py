"""The tutorial's CIFAR-10 network: same structure, outputs and gradients as PyTorch."""
import numpy as np
import torch

import ember
from tests.nn._module_oracle import compare_module, copy_weights
from tests.oracle import assert_close


def cifar10_net(nn):
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 10))


def test_state_dict_keys_shapes_and_repr_match_torch():
    e, t = cifar10_net(ember.nn), cifar10_net(torch.nn)
    assert repr(e) == repr(t)
    assert [(k, tuple(v.shape)) for k, v in e.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in t.state_dict().items()]
    assert all(v.dtype == ember.float32 for v in e.state_dict().values())


def test_outputs_and_parameter_gradients_match_torch():
    x = np.random.default_rng(0).standard_normal((4, 3, 32, 32)).astype(np.float32)
    compare_module(cifar10_net(ember.nn), cifar10_net(torch.nn), x, atol=1e-4, rtol=1e-3)


def test_cross_entropy_gradients_and_eval_mode_match_torch():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, 4)
    e, t = cifar10_net(ember.nn), cifar10_net(torch.nn)
    copy_weights(e, t)
    le = ember.nn.functional.cross_entropy(e(ember.tensor(x)), ember.tensor(y))
    lt = torch.nn.functional.cross_entropy(t(torch.tensor(x)), torch.tensor(y))
    assert_close(le, lt, atol=1e-5)
    le.backward()
    lt.backward()
    for (name, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        assert_close(pe.grad, pt.grad, atol=1e-5, rtol=1e-3, what=f"grad of {name}")
    e.eval()
    t.eval()
    with ember.no_grad(), torch.no_grad():
        assert_close(e(ember.tensor(x[:1])), t(torch.tensor(x[:1])), atol=1e-5)
