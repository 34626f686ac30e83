"""One training step of the tutorials' phone-price MLP (Linear 20-128-256-4, ReLU, CrossEntropyLoss, Adam):
zero_grad, forward, loss, backward, optimizer step, on real rows of the phone-price data."""
import pathlib

import numpy as np

from run import Workload, setups, train_step

DATA = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "phone_price" / "train.csv"


def _data(batch):
    """The first ``batch`` rows, features standardised as in the tutorial (synthetic if the csv is absent)."""
    try:
        raw = np.loadtxt(DATA, delimiter=",", skiprows=1, dtype=np.float64)
        x, y = raw[:, :-1], raw[:, -1].astype(np.int64)
        x = (x - x.mean(0)) / x.std(0)
    except OSError:
        rng = np.random.default_rng(0)
        x, y = rng.standard_normal((2000, 20)), rng.integers(0, 4, 2000)
    return x[:batch].astype(np.float32), y[:batch]


def _make(lib, batch):
    def setup():
        nn = lib.nn
        lib.manual_seed(0)
        model = nn.Sequential(nn.Linear(20, 128), nn.ReLU(), nn.Linear(128, 256), nn.ReLU(), nn.Linear(256, 4))
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss()
        xs, ys = _data(batch)
        return train_step(model, opt, loss_fn, lib.tensor(xs), lib.tensor(ys))
    return setup


WORKLOADS = [
    Workload("phone MLP train step, Adam (batch 16)", *setups(lambda lib: _make(lib, 16)), required=1.0, goal=0.5),
    Workload("phone MLP train step, Adam (batch 128)", *setups(lambda lib: _make(lib, 128)), required=1.2,
             goal=1.0),
]
