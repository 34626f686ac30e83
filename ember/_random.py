"""Random number generators with PyTorch's CPU streams: a global default Generator and explicit ones.

PyTorch's CPU generator is a 32-bit Mersenne Twister (MT19937) seeded with the low 32 bits of
the seed, plus a cached second normal sample for the one-at-a-time normal path. ember keeps
exactly that state (the twister itself runs in NumPy's ``MT19937`` bit generator), so
``ember.manual_seed(s)`` followed by the same calls gives the numbers PyTorch gives. How each
distribution turns the 32-bit words into samples is in ``ember/_sampling.py``.

``get_state()`` returns PyTorch's 5056-byte state layout, so ``torch.get_rng_state()`` saved by
PyTorch restores in ember and the other way round.
"""
import struct

import numpy as np

from ._tensor import _CPU, _wrap

_N = 624  # words of MT19937 state
_DEFAULT_SEED = 67280421310721
# PyTorch's CPUGeneratorImplState: seed u64, left i32, seeded i32, next u64, state u64[624],
# normal_x/normal_y/normal_rho f64, normal_is_valid i32 (+4 padding), next float f32, valid bool (+3).
_STATE = struct.Struct(f"<QiiQ{_N}QdddI4xf?3x")


def _mt_key(seed):
    """MT19937's initial 624 words for a 32-bit seed (Matsumoto and Nishimura's init_genrand)."""
    key = [seed & 0xFFFFFFFF]
    for i in range(1, _N):
        prev = key[-1]
        key.append((1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFFFFFF)
    return np.array(key, dtype=np.uint32)


class Generator:
    """A seeded source of random numbers, as ``torch.Generator`` (PyTorch's CPU stream).

    Example:
        >>> g = ember.Generator().manual_seed(0)
        >>> ember.rand(2, generator=g)      # tensor([0.4963, 0.7682]), as torch.rand(2, generator=g)
    """

    def __init__(self, device="cpu"):
        self._bits = np.random.MT19937(0)
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        seed = int(seed)
        if not -(1 << 63) <= seed < (1 << 64):
            raise RuntimeError(f"Overflow when unpacking long long: manual_seed expects a seed in "
                               f"[-2**63, 2**64), got {seed}")
        self._seed = seed % (1 << 64)
        self._bits.state = {"bit_generator": "MT19937", "state": {"key": _mt_key(self._seed), "pos": _N}}
        self._fresh = True             # seeded, not yet twisted (PyTorch reports next = 0)
        self._next_double_normal = None
        self._next_float_normal = None
        return self

    def seed(self):
        """Seed from the operating system's entropy and return the seed."""
        s = int(np.random.SeedSequence().entropy) & ((1 << 63) - 1)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    # ---- the raw stream ------------------------------------------------------------------------
    def _u32(self, n):
        """The next ``n`` 32-bit words, as uint64."""
        self._fresh = False
        return self._bits.random_raw(n)

    def _u64(self, n):
        """The next ``n`` 64-bit words: two 32-bit words each, the first one high."""
        words = self._u32(2 * n)
        return (words[0::2] << np.uint64(32)) | words[1::2]

    # ---- state ---------------------------------------------------------------------------------
    def get_state(self):
        """The generator's state as PyTorch's 5056-byte ``ByteTensor``."""
        st = self._bits.state["state"]
        pos = int(st["pos"])
        nxt, left = (0, 1) if self._fresh else (pos, _N + 1 - pos)
        dn, fn = self._next_double_normal, self._next_float_normal
        raw = _STATE.pack(self._seed, left, 1, nxt, *st["key"].astype(np.uint64).tolist(),
                          0.0, 0.0 if dn is None else dn, 0.0, dn is not None,
                          0.0 if fn is None else fn, fn is not None)
        return _wrap(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state):
        raw = new_state._data if hasattr(new_state, "_data") else np.asarray(new_state)
        if raw.dtype != np.uint8:
            raise TypeError(f"set_state expects a torch.ByteTensor (uint8), got dtype {raw.dtype}")
        raw = raw.tobytes()
        if len(raw) != _STATE.size:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE.size} but found the input "
                               f"RNG state size to be {len(raw)}: pass a state returned by get_rng_state() "
                               f"or Generator.get_state()")
        seed, left, _seeded, nxt, *rest = _STATE.unpack(raw)
        key, (_x, normal_y, _rho, normal_valid, float_normal, float_valid) = rest[:_N], rest[_N:]
        if not 1 <= left <= _N + 1 - nxt or nxt > _N:
            raise RuntimeError(f"set_state: corrupted generator state (left={left}, next={nxt})")
        self._seed = seed
        self._bits.state = {"bit_generator": "MT19937",
                            "state": {"key": np.array(key, dtype=np.uint64).astype(np.uint32),
                                      "pos": _N + 1 - left}}
        self._fresh = nxt == 0
        self._next_double_normal = normal_y if normal_valid else None
        self._next_float_normal = float_normal if float_valid else None
        return self

    @property
    def device(self):
        return _CPU


default_generator = Generator()


def manual_seed(seed):
    """Seed ember's global random stream (PyTorch's CPU stream) and return the default Generator.

    Example:
        >>> ember.manual_seed(0); ember.rand(2)     # tensor([0.4963, 0.7682]), as PyTorch
    """
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


def _gen(generator=None):
    """``generator`` or the global default one."""
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be an ember.Generator (torch.Generator), got {type(generator).__name__}")
    return generator


def _rng(generator=None):
    """A NumPy Generator drawing from ``generator``'s stream, for samplers PyTorch has no CPU
    algorithm of its own for: reproducible after ``manual_seed``, but not PyTorch's numbers."""
    g = _gen(generator)
    g._fresh = False
    return np.random.Generator(g._bits)
