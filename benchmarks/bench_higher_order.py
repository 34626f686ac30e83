"""A WGAN-GP critic step (issue 11): the gradient of the critic at interpolated images taken with
create_graph=True, a penalty on its norm, and backward through both (second derivatives of conv,
LeakyReLU, max-pool, Linear, Tanh). Batch 16 of 1x16x16 images. No target yet."""
import numpy as np

from run import Workload, setups


def _make(lib):
    def setup():
        nn = lib.nn
        lib.manual_seed(0)
        critic = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.LeakyReLU(0.2), nn.MaxPool2d(2),
                               nn.Flatten(), nn.Linear(8 * 8 * 8, 32), nn.Tanh(), nn.Linear(32, 1))
        opt = lib.optim.Adam(critic.parameters(), lr=1e-4, betas=(0.5, 0.9))
        rng = np.random.default_rng(0)
        real = lib.tensor(rng.standard_normal((16, 1, 16, 16)).astype(np.float32))
        fake = lib.tensor(rng.standard_normal((16, 1, 16, 16)).astype(np.float32))
        alpha = lib.tensor(rng.random((16, 1, 1, 1)).astype(np.float32))

        def step():
            x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
            grads, = lib.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
            penalty = ((grads.flatten(1).norm(dim=1) - 1) ** 2).mean()
            loss = critic(fake).mean() - critic(real).mean() + 10 * penalty
            opt.zero_grad()
            loss.backward()
            opt.step()
        return step
    return setup


WORKLOADS = [
    Workload("WGAN-GP critic step, gradient penalty (16x1x16x16)", *setups(_make),
             note="second derivatives through conv, LeakyReLU, max-pool, Linear, Tanh; no target yet"),
]
