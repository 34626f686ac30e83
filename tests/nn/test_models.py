"""The seed tutorials' two models, written as a tutorial would, against the same torch code:
same state_dict keys, same repr, same outputs and gradients (and a few SGD steps)."""
import numpy as np
import pytest
import torch

import ember
from tests.nn._module_oracle import copy_weights
from tests.oracle import assert_close
from tests.paths import PHONE_CSV

DATA = PHONE_CSV


def phone_price_model(lib):
    nn = lib.nn

    class PhonePriceModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(20, 128)
            self.fc2 = nn.Linear(128, 256)
            self.fc3 = nn.Linear(256, 4)
            self.relu = nn.ReLU()

        def forward(self, x):
            x = self.relu(self.fc1(x))
            x = self.relu(self.fc2(x))
            return self.fc3(x)

    return PhonePriceModel()


def cifar10_model(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 10))


def _phone_batch(n=64):
    raw = np.loadtxt(DATA, delimiter=",", skiprows=1, dtype=np.float64)
    x, y = raw[:n, :20], raw[:n, 20].astype(np.int64)
    x = (x - raw[:, :20].mean(0)) / raw[:, :20].std(0)  # standardised, as in the tutorial
    return x.astype(np.float32), y


def _compare_training(e_model, t_model, x, y, steps, lr=0.05, atol=1e-5):
    copy_weights(e_model, t_model)
    e_loss_fn, t_loss_fn = ember.nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    for step in range(steps):
        e_out = e_model(ember.tensor(x))
        t_out = t_model(torch.tensor(x))
        assert_close(e_out, t_out, atol, what=f"output at step {step}")
        e_loss = e_loss_fn(e_out, ember.tensor(y))
        t_loss = t_loss_fn(t_out, torch.tensor(y))
        assert_close(e_loss, t_loss, atol, what=f"loss at step {step}")
        e_model.zero_grad()
        t_model.zero_grad()
        e_loss.backward()
        t_loss.backward()
        t_params = dict(t_model.named_parameters())
        for name, p in e_model.named_parameters():
            assert_close(p.grad, t_params[name].grad, atol, 1e-3, what=f"grad of {name} at step {step}")
        with ember.no_grad():  # plain SGD, the same on both sides
            for p in e_model.parameters():
                p._data -= lr * p.grad._data
        with torch.no_grad():
            for p in t_model.parameters():
                p -= lr * p.grad
    return e_loss.item(), t_loss.item()


def test_phone_price_model_structure_matches_torch():
    e, t = phone_price_model(ember), phone_price_model(torch)
    assert list(e.state_dict()) == list(t.state_dict()) == [
        "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"]
    assert repr(e) == repr(t)
    assert [tuple(v.shape) for v in e.state_dict().values()] == [tuple(v.shape) for v in t.state_dict().values()]
    assert sum(p.numel() for p in e.parameters()) == sum(p.numel() for p in t.parameters()) == 36740


def test_phone_price_model_outputs_gradients_and_sgd_steps_match_torch():
    x, y = _phone_batch()
    e_loss, t_loss = _compare_training(phone_price_model(ember), phone_price_model(torch), x, y, steps=5)
    assert e_loss == pytest.approx(t_loss, abs=1e-5)


def test_phone_price_model_eval_and_no_grad_inference():
    e, t = phone_price_model(ember), phone_price_model(torch)
    copy_weights(e, t)
    x, _ = _phone_batch(16)
    e.eval()
    t.eval()
    with ember.no_grad():
        out = e(ember.tensor(x))
    assert out.grad_fn is None
    assert_close(out, t(torch.tensor(x)), 1e-5)
    assert (out.argmax(1)._data == t(torch.tensor(x)).argmax(1).numpy()).all()


needs_conv = pytest.mark.skipif(not hasattr(ember.nn, "Conv2d") or not hasattr(ember.nn, "MaxPool2d"),
                                reason="Conv2d / MaxPool2d not available")


@needs_conv
def test_cifar10_model_structure_matches_torch():
    e, t = cifar10_model(ember), cifar10_model(torch)
    assert list(e.state_dict()) == list(t.state_dict())
    assert [tuple(v.shape) for v in e.state_dict().values()] == [tuple(v.shape) for v in t.state_dict().values()]
    assert repr(e) == repr(t)


@needs_conv
def test_cifar10_model_outputs_gradients_and_sgd_steps_match_torch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, 4).astype(np.int64)
    _compare_training(cifar10_model(ember), cifar10_model(torch), x, y, steps=2, lr=0.01, atol=1e-4)
