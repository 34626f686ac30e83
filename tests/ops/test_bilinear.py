"""bilinear (ember.ops.bilinear) against PyTorch: values and gradients of all four inputs."""
import numpy as np
import torch

import ember.nn.functional as F
from tests.oracle import check


def test_functional_bilinear():
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 2)).astype(np.float32)
    w, b = rng.standard_normal((5, 3, 2)).astype(np.float32), rng.standard_normal(5).astype(np.float32)
    check(F.bilinear, torch.nn.functional.bilinear, x1, x2, w, b, atol=1e-5)
