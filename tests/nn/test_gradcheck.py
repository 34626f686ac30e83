"""Central-difference gradient checks (float64) of the fused nn ops' closed-form backwards."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.autograd import gradcheck


def _t(*shape, seed=0, scale=1.0, shift=0.0):
    a = np.random.default_rng(seed).standard_normal(shape) * scale + shift
    return ember.tensor(a, dtype=ember.float64, requires_grad=True)


CASES = {
    "batch_norm_train": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                         lambda: (_t(4, 3, 2), _t(3, seed=1), _t(3, seed=2))),
    "batch_norm_eval": (lambda x, w, b: F.batch_norm(x, ember.tensor(np.array([0.1, -0.2, 0.3])),
                                                     ember.tensor(np.array([0.5, 1.5, 2.0])), w, b),
                        lambda: (_t(4, 3, 2), _t(3, seed=1), _t(3, seed=2))),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (2, 3), w, b),
                   lambda: (_t(4, 2, 3), _t(2, 3, seed=1), _t(2, 3, seed=2))),
    "group_norm": (lambda x, w, b: F.group_norm(x, 2, w, b), lambda: (_t(3, 4, 5), _t(4, seed=1), _t(4, seed=2))),
    "instance_norm": (lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
                      lambda: (_t(2, 3, 4), _t(3, seed=1), _t(3, seed=2))),
    "bilinear": (F.bilinear, lambda: (_t(3, 2), _t(3, 4, seed=1), _t(5, 2, 4, seed=2), _t(5, seed=3))),
    # (padding_idx and scale_grad_by_freq change the gradient on purpose; they are checked against torch)
    "embedding": (lambda w: F.embedding(ember.tensor([[0, 2, 2], [3, 0, 1]]), w), lambda: (_t(4, 3),)),
    "pad_reflect": (lambda x: F.pad(x, (2, 1, 1, 2), mode="reflect"), lambda: (_t(1, 2, 3, 4),)),
    "pad_replicate": (lambda x: F.pad(x, (2, 1), mode="replicate"), lambda: (_t(2, 3, 4),)),
    "pad_circular": (lambda x: F.pad(x, (2, 1), mode="circular"), lambda: (_t(2, 3, 4),)),
    "pad_constant_crop": (lambda x: F.pad(x, (-1, 2, 1, 0), value=0.5), lambda: (_t(2, 3, 4),)),
    "prelu": (F.prelu, lambda: (_t(3, 4, 2), _t(4, seed=1, scale=0.3))),
    "rms_norm": (lambda x, w: F.rms_norm(x, (4,), w), lambda: (_t(3, 4), _t(4, seed=1))),
    "normalize": (lambda x: F.normalize(x, dim=1), lambda: (_t(3, 4),)),
    "glu": (lambda x: F.glu(x, 1), lambda: (_t(3, 4),)),
    "softplus_beta": (lambda x: F.softplus(x, 2.0, 3.0), lambda: (_t(5, 4, scale=2.0),)),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), lambda: (_t(5, 4, scale=2.0),)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck(name):
    fn, make = CASES[name]
    assert gradcheck(fn, make())


def test_dropout_gradcheck_with_fixed_mask():
    x = _t(4, 5)

    def fn(a):
        ember.manual_seed(11)  # the same mask on every evaluation
        return F.dropout(a, 0.4)
    assert gradcheck(fn, (x,))
