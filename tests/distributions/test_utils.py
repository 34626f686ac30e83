"""ember.distributions.utils against torch.distributions.utils."""
import numpy as np
import pytest
import torch
import torch.distributions.utils as TU

import ember
import ember.distributions.utils as EU


@pytest.mark.parametrize("is_binary", [False, True])
def test_probs_logits_round_trip_matches_torch(is_binary):
    p = np.array([[0.0, 0.2, 0.8], [0.5, 0.25, 0.25]])
    np.testing.assert_allclose(EU.probs_to_logits(ember.tensor(p), is_binary).numpy(),
                               TU.probs_to_logits(torch.tensor(p), is_binary).numpy(), rtol=1e-12)
    z = np.array([[-3.0, 0.0, 2.5], [1.0, 1.0, -1.0]])
    np.testing.assert_allclose(EU.logits_to_probs(ember.tensor(z), is_binary).numpy(),
                               TU.logits_to_probs(torch.tensor(z), is_binary).numpy(), rtol=1e-12)
    np.testing.assert_array_equal(EU.clamp_probs(ember.tensor(p, dtype=ember.float32)).numpy(),
                                  TU.clamp_probs(torch.tensor(p, dtype=torch.float32)).numpy())


def test_broadcast_all_and_constants_match_torch():
    for lib, U in ((ember, EU), (torch, TU)):
        a, b = U.broadcast_all(1.0, lib.tensor([1.0, 2.0], dtype=lib.float64))
        assert tuple(a.shape) == (2,) and a.dtype == lib.float64 and a.tolist() == [1.0, 1.0]
        with pytest.raises(ValueError):
            U.broadcast_all("x", lib.zeros(2))
    assert EU.euler_constant == TU.euler_constant


def test_lazy_property_is_computed_once():
    calls = []

    class Thing:
        @EU.lazy_property
        def value(self):
            calls.append(1)
            return 3

    t = Thing()
    assert t.value == 3 and t.value == 3 and calls == [1]
