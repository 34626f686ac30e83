"""Data loading: one epoch over a TensorDataset of 2,000 x 20 float32 rows + int64 labels,
batch 16, shuffle=True, single process (ember.utils.data vs torch.utils.data)."""
import numpy as np

from run import Workload

N, F, BATCH = 2000, 20, 16


def _make(lib):
    rng = np.random.default_rng(0)
    x = lib.from_numpy(rng.standard_normal((N, F)).astype(np.float32))
    y = lib.from_numpy(rng.integers(0, 4, N).astype(np.int64))
    loader = lib.utils.data.DataLoader(lib.utils.data.TensorDataset(x, y), batch_size=BATCH, shuffle=True)

    def step():
        for xb, yb in loader:
            pass
    return step


def _ember():
    import ember
    return _make(ember)


def _torch():
    import torch
    import torch.utils.data  # noqa: F401
    return _make(torch)


WORKLOADS = [
    Workload("DataLoader epoch TensorDataset 2000x20 b16 shuf", _ember, _torch, required=1.0),
]
