"""A first network: a small nn.Module fitted with MSELoss and SGD (the tutorials' SimpleNetwork).

It learns y = 3x - 2 (plus a little noise) from 100 points.
Run: python examples/simple_network.py [--epochs N]
"""
import argparse

import ember as torch
from ember import nn, optim


class SimpleNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(1, 8)
        self.relu = nn.ReLU()
        self.output = nn.Linear(8, 1)

    def forward(self, x):
        return self.output(self.relu(self.hidden(x)))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args()

    torch.manual_seed(0)
    x = torch.linspace(-1, 1, 100).unsqueeze(1)          # (100, 1)
    y = 3 * x - 2 + 0.05 * torch.randn(100, 1)

    model = SimpleNetwork()
    criterion = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=0.1)

    for epoch in range(args.epochs):
        optimizer.zero_grad()           # forget the previous step's gradients
        prediction = model(x)           # forward pass
        loss = criterion(prediction, y)
        loss.backward()                 # backprop: fills p.grad for every parameter
        optimizer.step()                # p <- p - lr * p.grad
        if epoch % 50 == 0 or epoch == args.epochs - 1:
            print(f"epoch {epoch:4d}  loss {loss.item():.5f}")

    with torch.no_grad():
        print("f(0.5) =", round(model(torch.tensor([[0.5]])).item(), 3), "(true value 3*0.5-2 = -0.5)")


if __name__ == "__main__":
    main()
