"""The embedding op (ember.ops.embedding) against PyTorch: lookup, padding row, gradients."""
import numpy as np
import torch

import ember
import ember.nn.functional as F


def _idx(*shape, n=10, seed=0):
    return np.random.default_rng(seed).integers(0, n, shape).astype(np.int64)


def test_functional_embedding():
    w = np.random.default_rng(0).standard_normal((7, 3)).astype(np.float32)
    idx = _idx(2, 4, n=7)
    e_w = ember.tensor(w, requires_grad=True)
    t_w = torch.tensor(w, requires_grad=True)
    out_e = F.embedding(ember.tensor(idx), e_w, padding_idx=2)
    out_t = torch.nn.functional.embedding(torch.tensor(idx), t_w, padding_idx=2)
    np.testing.assert_allclose(out_e._data, out_t.detach().numpy())
    out_e.sum().backward()
    out_t.sum().backward()
    np.testing.assert_allclose(e_w.grad._data, t_w.grad.numpy())
