"""``torch.random``: the global generator's seeding and state, and ``fork_rng``.

Example:
    >>> with ember.random.fork_rng():
    ...     ember.manual_seed(0)
    ...     noise = ember.randn(3)        # the stream outside the block is left as it was
"""
import contextlib

from ._random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state

__all__ = ["Generator", "default_generator", "fork_rng", "get_rng_state", "initial_seed", "manual_seed", "seed",
           "set_rng_state"]


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type=None):
    """Run the block with the global random state saved and restored afterwards.

    ``devices`` lists accelerator devices to fork too; ember has none, so only an empty list (or
    None) is accepted."""
    if devices:
        raise RuntimeError(f"{_caller}: ember runs on the CPU only and has no {device_type or 'cuda'} devices "
                           f"to fork (got {_devices_kw}={devices!r}); pass {_devices_kw}=[] or leave it out")
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)
