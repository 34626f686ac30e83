"""The tutorials' loss prints: L1 (summed), MSE and cross-entropy on tiny hand-made tensors.

Run: python examples/losses.py
"""
import ember as torch
from ember import nn

# a "prediction" and a "target" that differ in one place, shaped like an (N, C, H, W) image batch
inputs = torch.tensor([1, 2, 3], dtype=torch.float32).reshape(1, 1, 1, 3)
targets = torch.tensor([1, 2, 5], dtype=torch.float32).reshape(1, 1, 1, 3)

l1 = nn.L1Loss(reduction="sum")      # |1-1| + |2-2| + |3-5| = 2
mse = nn.MSELoss()                   # (0 + 0 + 2**2) / 3 = 1.3333
print("L1Loss(sum):", l1(inputs, targets))
print("MSELoss:    ", mse(inputs, targets))

# cross-entropy: raw scores for 3 classes, the true class is 1
scores = torch.tensor([0.1, 0.2, 0.3]).reshape(1, 3)
label = torch.tensor([1])
ce = nn.CrossEntropyLoss()           # -0.2 + log(e^0.1 + e^0.2 + e^0.3) = 1.1019
print("CrossEntropyLoss:", ce(scores, label))
