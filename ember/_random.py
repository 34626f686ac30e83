"""Random number generation: a global default Generator and explicit Generators (NumPy PCG64).

ember's streams are reproducible for a given seed but are not bit-identical to PyTorch's.
"""
import json

import numpy as np

from ._tensor import _CPU, _wrap


class Generator:
    """A seeded source of random numbers, as ``torch.Generator``.

    Example:
        >>> g = ember.Generator().manual_seed(0)
        >>> ember.rand(2, generator=g)
    """

    def __init__(self, device="cpu"):
        self._seed = 67280421310721
        self._np = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed):
        seed = int(seed)
        if seed < 0:
            seed += 1 << 64
        self._seed = seed
        self._np = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self):
        s = int(np.random.SeedSequence().entropy) & ((1 << 63) - 1)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        state = json.dumps(self._np.bit_generator.state)
        return _wrap(np.frombuffer(state.encode(), dtype=np.uint8).copy())

    def set_state(self, state):
        raw = state._data if hasattr(state, "_data") else np.asarray(state)
        self._np.bit_generator.state = json.loads(bytes(raw.astype(np.uint8)).decode())
        return self

    @property
    def device(self):
        return _CPU


default_generator = Generator()


def manual_seed(seed):
    """Seed ember's global random stream (and return the default Generator)."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)


def _rng(generator=None):
    """The NumPy Generator behind ``generator`` (or the global one)."""
    return (generator or default_generator)._np
