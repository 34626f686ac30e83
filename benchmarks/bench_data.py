"""Data loading, one epoch, batch 16, shuffle=True, single process (ember.utils.data vs torch.utils.data).

1. A TensorDataset of 2,000 x 20 float32 rows + int64 labels (the loader's fast path: one gather per
   tensor per batch).
2. The same data behind a user-written Dataset whose __getitem__ indexes the tensors (the general
   path: one __getitem__ per sample, then default_collate); informational, no target.
"""
import numpy as np

from run import Workload

N, F, BATCH = 2000, 20, 16


def _data(lib):
    rng = np.random.default_rng(0)
    return (lib.from_numpy(rng.standard_normal((N, F)).astype(np.float32)),
            lib.from_numpy(rng.integers(0, 4, N).astype(np.int64)))


def _epoch(loader):
    def step():
        for xb, yb in loader:
            pass
    return step


def _tensor_dataset(lib):
    x, y = _data(lib)
    return _epoch(lib.utils.data.DataLoader(lib.utils.data.TensorDataset(x, y), batch_size=BATCH, shuffle=True))


def _custom_dataset(lib):
    x, y = _data(lib)

    class Rows(lib.utils.data.Dataset):
        def __len__(self):
            return N

        def __getitem__(self, i):
            return x[i], y[i]
    return _epoch(lib.utils.data.DataLoader(Rows(), batch_size=BATCH, shuffle=True))


def _lib(name):
    if name == "torch":
        import torch
        import torch.utils.data  # noqa: F401
        return torch
    import ember
    return ember


WORKLOADS = [
    Workload("DataLoader epoch TensorDataset 2000x20 b16 shuf", lambda: _tensor_dataset(_lib("ember")),
             lambda: _tensor_dataset(_lib("torch")), required=1.0),
    Workload("DataLoader epoch custom Dataset 2000x20 b16 shuf", lambda: _custom_dataset(_lib("ember")),
             lambda: _custom_dataset(_lib("torch"))),
]
