"""The tutorials' two-weight backprop example: y_hat = w2 * (w1 * x), L = 1/2 (y - y_hat)^2."""
import ember as torch

x = torch.tensor(2.0)
y = torch.tensor(10.0)
w1 = torch.tensor(1.5, requires_grad=True)
w2 = torch.tensor(0.5, requires_grad=True)

y_hat = w2 * (w1 * x)
loss = 0.5 * (y - y_hat) ** 2
loss.backward()

print(f"y_hat = {y_hat.item():.4f}, loss = {loss.item():.4f}")
print(f"dL/dw1 = {w1.grad.item():.4f}  (by hand: -(y - y_hat) * w2 * x = {(-(y - y_hat) * w2 * x).item():.4f})")
print(f"dL/dw2 = {w2.grad.item():.4f}  (by hand: -(y - y_hat) * w1 * x = {(-(y - y_hat) * w1 * x).item():.4f})")
