"""Higher-order gradients: Newton's method with a Hessian, and a WGAN-GP gradient-penalty step.

1. Newton's method on the Rosenbrock function f(x, y) = (1 - x)^2 + 100 (y - x^2)^2:
   x <- x - H(x)^-1 grad f(x), with the Hessian from ember.autograd.functional.hessian.
   It reaches the minimum (1, 1) in a handful of steps, where gradient descent needs thousands.
2. One critic step of a WGAN with gradient penalty (Gulrajani et al., 2017): the penalty
   (||d critic(x_hat) / d x_hat|| - 1)^2 is itself differentiated, so its gradient is taken
   with create_graph=True.

Run: python examples/higher_order.py
"""
import numpy as np

import ember as torch
from ember import nn


def rosenbrock(p):
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def newton(start, steps=8):
    p = torch.tensor(start, dtype=torch.float64)
    for step in range(steps):
        p_ = p.detach().requires_grad_(True)
        grad, = torch.autograd.grad(rosenbrock(p_), p_)
        hess = torch.autograd.functional.hessian(rosenbrock, p)
        p = p - torch.tensor(np.linalg.solve(hess.numpy(), grad.numpy()))
        print(f"newton step {step + 1}: x = {p[0].item():+.6f}, y = {p[1].item():+.6f}, "
              f"f = {rosenbrock(p).item():.3e}")
    return p


def gradient_penalty_step(seed=0):
    torch.manual_seed(seed)
    critic = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.LeakyReLU(0.2), nn.MaxPool2d(2),
                           nn.Flatten(), nn.Linear(4 * 4 * 4, 16), nn.Tanh(), nn.Linear(16, 1))
    optimizer = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
    real = torch.randn(8, 1, 8, 8)
    fake = torch.randn(8, 1, 8, 8) * 0.5
    alpha = torch.rand(8, 1, 1, 1)
    x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    grads, = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    penalty = ((grads.flatten(1).norm(dim=1) - 1) ** 2).mean()
    loss = critic(fake).mean() - critic(real).mean() + 10 * penalty
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    print(f"critic loss {loss.item():.4f}, gradient penalty {penalty.item():.4f}, "
          f"|grad conv weight| {critic[0].weight.grad.norm().item():.4f}")
    return loss.item(), penalty.item()


if __name__ == "__main__":
    p = newton([-1.2, 1.0])
    assert abs(p[0].item() - 1) < 1e-6 and abs(p[1].item() - 1) < 1e-6
    gradient_penalty_step()
