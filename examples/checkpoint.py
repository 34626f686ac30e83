"""Save and resume training with ember.save / ember.load (safetensors + JSON inside, no pickle).

Trains a small model for a few steps, saves model + optimizer + scheduler + step, loads them
into fresh objects and checks that training continues exactly as if it had never stopped.
Run: python examples/checkpoint.py [PATH]
"""
import os
import sys
import tempfile

import ember as torch
from ember import nn


def make():
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)
    return model, optimizer, scheduler


def train(model, optimizer, scheduler, x, y, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
    return loss.item()


torch.manual_seed(0)
x, y = torch.randn(64, 4), torch.randn(64, 1)
path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(tempfile.mkdtemp(), "checkpoint")

model, optimizer, scheduler = make()
train(model, optimizer, scheduler, x, y, 10)
torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(), "step": 10}, path)
reference = train(model, optimizer, scheduler, x, y, 10)      # keep going without stopping

model2, optimizer2, scheduler2 = make()                        # a fresh process would start here
ckpt = torch.load(path)
model2.load_state_dict(ckpt["model"])
optimizer2.load_state_dict(ckpt["optimizer"])
scheduler2.load_state_dict(ckpt["scheduler"])
resumed = train(model2, optimizer2, scheduler2, x, y, 10)

print(f"saved at step {ckpt['step']} to {path} ({os.path.getsize(path)} bytes)")
print(f"loss after 20 steps: uninterrupted {reference:.6f}, resumed {resumed:.6f}")
print("identical:", reference == resumed)
