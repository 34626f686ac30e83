"""A WGAN-GP critic step through Linear, Conv2d, Tanh, LeakyReLU, max_pool2d and log_softmax gives
PyTorch's parameter gradients (the penalty's gradient needs second derivatives of every layer)."""
import numpy as np
import torch

import ember
from tests.oracle import assert_close


def _critic(lib):
    nn, F = lib.nn, lib.nn.functional

    class Critic(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 3, 3, padding=1)
            self.fc1 = nn.Linear(3 * 3 * 3, 8)
            self.fc2 = nn.Linear(8, 4)

        def forward(self, x):
            x = F.leaky_relu(self.conv(x), 0.2)
            x = F.max_pool2d(x, 2)
            x = lib.tanh(self.fc1(x.flatten(1)))
            return F.log_softmax(self.fc2(x), dim=1)[:, 0]

    return Critic()


def _step(lib, model, real, fake, alpha):
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    grads, = lib.autograd.grad(model(x_hat).sum(), x_hat, create_graph=True)
    penalty = ((grads.flatten(1).norm(dim=1) - 1) ** 2).mean()
    loss = model(fake).mean() - model(real).mean() + 10 * penalty
    loss.backward()
    return loss, penalty


def test_gradient_penalty_parameter_gradients_match_torch():
    rng = np.random.default_rng(3)
    t_model = _critic(torch).double()
    e_model = _critic(ember).double()
    e_model.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t_model.state_dict().items()})
    real, fake = rng.standard_normal((4, 2, 6, 6)), rng.standard_normal((4, 2, 6, 6)) * 0.5
    alpha = rng.random((4, 1, 1, 1))
    el, ep = _step(ember, e_model, *(ember.tensor(a) for a in (real, fake, alpha)))
    tl, tp = _step(torch, t_model, *(torch.tensor(a) for a in (real, fake, alpha)))
    assert_close(ep, tp)
    assert_close(el, tl)
    for (name, p), (_, q) in zip(e_model.named_parameters(), t_model.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-7, atol=1e-9, err_msg=name)
