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


def test_tutorial_net_with_view_after_pool_matches_torch():
    # The classic PyTorch CIFAR tutorial flattens with .view(-1, 16 * 5 * 5): conv and pool
    # outputs must be contiguous NCHW, as in PyTorch.
    def net(lib):
        nn, F = lib.nn, lib.nn.functional

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv1 = nn.Conv2d(3, 6, 5)
                self.pool = nn.MaxPool2d(2, 2)
                self.conv2 = nn.Conv2d(6, 16, 5)
                self.fc1 = nn.Linear(16 * 5 * 5, 120)
                self.fc2 = nn.Linear(120, 10)

            def forward(self, x):
                x = self.pool(F.relu(self.conv1(x)))
                assert x.is_contiguous()
                x = self.pool(F.relu(self.conv2(x)))
                x = x.view(-1, 16 * 5 * 5)
                return self.fc2(F.relu(self.fc1(x)))
        return Net()
    x = np.random.default_rng(2).standard_normal((4, 3, 32, 32)).astype(np.float32)
    compare_module(net(ember), net(torch), x, atol=1e-4, rtol=1e-3)


def test_conv_output_is_contiguous_and_viewable():
    y = ember.nn.Conv2d(3, 8, 3, padding=1)(ember.randn(2, 3, 6, 6))
    assert y.is_contiguous()
    assert tuple(y.view(2, -1).shape) == (2, 8 * 36)
