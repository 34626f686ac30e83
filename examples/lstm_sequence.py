"""Sequence classification with an LSTM on variable-length sequences (packed).

Each sequence is a noisy wave of one of three shapes (sine, square, sawtooth) with a random
frequency, phase and length (12 to 40 steps). An LSTM reads the packed batch; its final hidden
state (each sequence's own, at its own length) goes through a linear layer to the three classes:

    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    _, (h_n, c_n) = lstm(packed)          # h_n[-1]: (batch, hidden), in the original order
    logits = head(h_n[-1])

A model that has not learned scores 1/3; this one reaches well above 90% on held-out sequences in
a few seconds.

Run: python examples/lstm_sequence.py [EPOCHS]
"""
import sys

import numpy as np

import ember as torch
from ember import nn
from ember.nn.utils.rnn import pack_padded_sequence

SHAPES = ("sine", "square", "sawtooth")
MIN_LEN, MAX_LEN = 12, 40


def make_data(n, rng):
    """(padded sequences (n, MAX_LEN, 1) float32, lengths (n,), labels (n,))."""
    x = np.zeros((n, MAX_LEN, 1), np.float32)
    lengths = rng.integers(MIN_LEN, MAX_LEN + 1, n)
    labels = rng.integers(0, len(SHAPES), n)
    for k in range(n):
        t = np.arange(lengths[k])
        phase = rng.uniform(0, 1) + t * rng.uniform(0.05, 0.15)      # in periods
        frac = phase % 1.0
        wave = (np.sin(2 * np.pi * phase), np.where(frac < 0.5, 1.0, -1.0), 2 * frac - 1)[labels[k]]
        x[k, :lengths[k], 0] = wave + rng.normal(0, 0.2, lengths[k])
    return x, lengths, labels


class Classifier(nn.Module):
    def __init__(self, hidden=32, classes=len(SHAPES)):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x, lengths):
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)
        return self.head(h_n[-1])


def accuracy(model, x, lengths, y):
    model.eval()
    with torch.no_grad():
        pred = model(torch.tensor(x), torch.tensor(lengths)).argmax(1).numpy()
    model.train()
    return float((pred == y).mean())


def main(epochs=12):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    x_train, len_train, y_train = make_data(960, rng)
    x_test, len_test, y_test = make_data(300, rng)
    model = Classifier()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    print(f"before training: test accuracy {accuracy(model, x_test, len_test, y_test):.3f}")
    batch = 32
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(y_train))
        total = 0.0
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            logits = model(torch.tensor(x_train[idx]), torch.tensor(len_train[idx]))
            loss = loss_fn(logits, torch.tensor(y_train[idx]))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch}: loss {total / len(order):.4f}, "
              f"test accuracy {accuracy(model, x_test, len_test, y_test):.3f}")
    print(f"final test accuracy {accuracy(model, x_test, len_test, y_test):.3f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 12)
