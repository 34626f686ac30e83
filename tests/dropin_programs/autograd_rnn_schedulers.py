"""PyTorch "Learning PyTorch with Examples" style custom autograd Functions, a packed-sequence
LSTM classifier, and the learning-rate schedulers, written for PyTorch."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence
from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts, OneCycleLR, ReduceLROnPlateau

torch.manual_seed(0)
dtype = torch.float
device = torch.device("cpu")


class LegendrePolynomial3(torch.autograd.Function):
    """P3(x) = 1/2 (5x^3 - 3x), with its derivative 3/2 (5x^2 - 1)."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


class SortWithIndices(torch.autograd.Function):
    """values and (non-differentiable) indices of a sort; the gradient scattered back."""

    @staticmethod
    def forward(ctx, x):
        values, indices = torch.sort(x, dim=-1, descending=True)
        ctx.mark_non_differentiable(indices)
        ctx.save_for_backward(indices)
        return values, indices

    @staticmethod
    def backward(ctx, grad_values, grad_indices):
        indices, = ctx.saved_tensors
        grad = torch.zeros_like(grad_values)
        grad.scatter_(-1, indices, grad_values)
        return grad


x = torch.linspace(-math.pi, math.pi, 200, device=device, dtype=dtype)
y = torch.sin(x)
a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)
learning_rate = 5e-6
for t in range(200):
    P3 = LegendrePolynomial3.apply
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    if t % 50 == 49:
        print(t, f"{loss.item():.3f}")
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None
a0, c0 = (round(v.item(), 4) + 0.0 for v in (a, c))   # ~1e-11 either side of 0: round-off picks the sign
print(f'Result: y = {a0:.4f} + {b.item():.4f} * P3({c0:.4f} + {d.item():.4f} x)')
print(y_pred.grad_fn.__class__.__name__, type(P3(c + d * x).grad_fn).__name__)

z = torch.randn(2, 5, requires_grad=True)
vals, idx = SortWithIndices.apply(z)
print(idx, idx.requires_grad, vals.requires_grad)
(vals * torch.arange(5.0)).sum().backward()
print(z.grad)
print(torch.autograd.gradcheck(LegendrePolynomial3.apply, (torch.randn(4, dtype=torch.double, requires_grad=True),)))


# ---- a packed-sequence LSTM classifier -----------------------------------------------------
class Classifier(nn.Module):
    def __init__(self, vocab, emb, hidden, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb, padding_idx=0)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, classes)

    def forward(self, text, lengths):
        embedded = self.embedding(text)
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        packed_out, (hidden, cell) = self.lstm(packed)
        out, out_lengths = pad_packed_sequence(packed_out, batch_first=True)
        hidden = torch.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1)
        return self.fc(hidden), out.shape, out_lengths


seqs = [torch.randint(1, 20, (int(n),)) for n in torch.randint(2, 9, (12,))]
labels = torch.tensor([int(s.sum()) % 3 for s in seqs])
lengths = torch.tensor([len(s) for s in seqs])
padded = pad_sequence(seqs, batch_first=True, padding_value=0)
print(padded.shape, lengths.tolist())
packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
print(packed.batch_sizes.tolist(), packed.sorted_indices.tolist())

model = Classifier(20, 8, 16, 3)
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
criterion = nn.CrossEntropyLoss()
for epoch in range(5):
    optimizer.zero_grad()
    logits, shape, out_lengths = model(padded, lengths)
    loss = criterion(logits, labels)
    loss.backward()
    optimizer.step()
    acc = (logits.argmax(1) == labels).float().mean()
    print(f"epoch {epoch}: loss {loss.item():.4f} acc {acc.item():.3f} {tuple(shape)} {out_lengths.tolist()[:4]}")


# ---- learning-rate schedulers ----------------------------------------------------------------
def fresh(lr=0.1):
    net = nn.Linear(3, 1)
    return net, torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9)


net, opt = fresh()
sched = OneCycleLR(opt, max_lr=0.5, total_steps=12)
lrs = []
for step in range(12):
    opt.step()
    sched.step()
    lrs.append(sched.get_last_lr()[0])
print("OneCycleLR", ' '.join(f"{v:.5f}" for v in lrs), f"{opt.param_groups[0]['momentum']:.4f}")

net, opt = fresh()
sched = CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=2, eta_min=0.001)
lrs = []
for epoch in range(14):
    opt.step()
    sched.step()
    lrs.append(sched.get_last_lr()[0])
print("CosineAnnealingWarmRestarts", ' '.join(f"{v:.5f}" for v in lrs))

net, opt = fresh()
iters = 5
sched = CosineAnnealingWarmRestarts(opt, T_0=2)
for epoch in range(2):
    for i in range(iters):
        opt.step()
        sched.step(epoch + i / iters)
    print("fractional epochs", f"{sched.get_last_lr()[0]:.5f}", sched.T_cur, sched.T_i)

net, opt = fresh()
sched = ReduceLROnPlateau(opt, mode='min', factor=0.5, patience=1)
for val_loss in [1.0, 0.9, 0.95, 0.97, 0.96, 0.5, 0.6, 0.7, 0.8]:
    opt.step()
    sched.step(val_loss)
    print("ReduceLROnPlateau", val_loss, sched.get_last_lr(), sched.num_bad_epochs)
print(sorted(k for k in sched.state_dict() if not k.startswith("_")))
