"""Run the same function on ember and on torch: inputs converted both ways, results compared."""
import numpy as np
import torch

import ember
from ember.func._pytree import tree_flatten


def tree_map(fn, tree):
    if isinstance(tree, dict):
        return type(tree)((k, tree_map(fn, v)) for k, v in tree.items())
    if isinstance(tree, (tuple, list)):
        return type(tree)(tree_map(fn, v) for v in tree)
    return fn(tree)


def to_ember(tree):
    return tree_map(lambda x: ember.tensor(x.detach().numpy()) if isinstance(x, torch.Tensor) else x, tree)


def to_torch(tree):
    return tree_map(lambda x: torch.from_numpy(x.detach().numpy().copy()) if isinstance(x, ember.Tensor) else x,
                    tree)


def assert_close(e, t, rtol=1e-5, atol=1e-5):
    """Same structure, shapes, dtypes and values (ember tree vs torch tree)."""
    e_leaves, e_spec = tree_flatten(e)
    t_leaves, t_spec = tree_flatten(tree_map(lambda x: x, t))
    assert len(e_leaves) == len(t_leaves), (e_spec, t_spec)
    assert repr(e_spec) == repr(t_spec), (e_spec, t_spec)
    for a, b in zip(e_leaves, t_leaves):
        if isinstance(b, torch.Tensor):
            assert isinstance(a, ember.Tensor), type(a)
            assert tuple(a.shape) == tuple(b.shape)
            assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol)
        else:
            assert a == b


def both(name, *args, **kwargs):
    """``ember.func.<name>`` and ``torch.func.<name>``."""
    return getattr(ember.func, name), getattr(torch.func, name)


def raises_like(e_call, t_call):
    """Both raise the same exception type; returns (ember message, torch message)."""
    try:
        t_call()
    except Exception as t_exc:  # noqa: BLE001 - the oracle's type is what we compare
        t_type, t_msg = type(t_exc), str(t_exc)
    else:
        raise AssertionError("torch did not raise")
    try:
        e_call()
    except Exception as e_exc:  # noqa: BLE001
        assert isinstance(e_exc, t_type), f"ember raised {type(e_exc).__name__}: {e_exc}; torch {t_type.__name__}"
        return str(e_exc), t_msg
    raise AssertionError(f"ember did not raise (torch raised {t_type.__name__}: {t_msg})")
