"""The tutorials' CIFAR-10 network: one forward and backward pass on CIFAR-shaped data.

Random images stand in for CIFAR-10 (no download needed); `ember train cifar10 --root DIR`
trains the same network on the real files.
Run: python examples/cifar10_network.py [--batch N] [--steps N]
"""
import argparse

import ember as torch
from ember import nn


class CIFAR10Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.model = nn.Sequential(
            nn.Conv2d(3, 32, 5, padding=2),     # 3x32x32 -> 32x32x32
            nn.MaxPool2d(2),                    # -> 32x16x16
            nn.Conv2d(32, 32, 5, padding=2),
            nn.MaxPool2d(2),                    # -> 32x8x8
            nn.Conv2d(32, 64, 5, padding=2),
            nn.MaxPool2d(2),                    # -> 64x4x4
            nn.Flatten(),                       # -> 1024
            nn.Linear(1024, 64),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.model(x)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()

    torch.manual_seed(0)
    net = CIFAR10Net()
    print(net)
    images = torch.randn(args.batch, 3, 32, 32)
    labels = torch.randint(0, 10, (args.batch,))

    out = net(images)
    print("output shape:", tuple(out.shape))                # (batch, 10)

    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
    for step in range(args.steps):
        optimizer.zero_grad()
        loss = criterion(net(images), labels)
        loss.backward()
        grad_norm = sum(p.grad.pow(2).sum() for p in net.parameters()).sqrt()
        optimizer.step()
        print(f"step {step}  loss {loss.item():.4f}  gradient norm {grad_norm.item():.4f}")
    n_params = sum(p.numel() for p in net.parameters())
    print(f"{n_params} parameters")


if __name__ == "__main__":
    main()
