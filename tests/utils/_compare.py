"""Compare nested batches from ember and torch (or two ember batches) exactly."""
import numpy as np

import ember


def as_plain(x):
    """Nested containers with tensors replaced by (dtype name, ndarray)."""
    if isinstance(x, ember.Tensor):
        return ("tensor", str(x.dtype).split(".")[-1], x._data.copy())
    if type(x).__module__.startswith("torch") and hasattr(x, "numpy"):
        return ("tensor", str(x.dtype).split(".")[-1], x.numpy().copy())
    if isinstance(x, dict):
        return {k: as_plain(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__,) + tuple(as_plain(v) for v in x)
    if isinstance(x, tuple):
        return ("tuple",) + tuple(as_plain(v) for v in x)
    if isinstance(x, list):
        return ["list"] + [as_plain(v) for v in x]
    return x


def assert_same(a, b, path="batch"):
    a, b = as_plain(a), as_plain(b)
    _same(a, b, path)


def _same(a, b, path):
    if isinstance(a, tuple) and a and a[0] == "tensor":
        assert isinstance(b, tuple) and b[0] == "tensor", f"{path}: tensor vs {b!r:.80}"
        assert a[1] == b[1], f"{path}: dtype {a[1]} vs {b[1]}"
        assert a[2].shape == b[2].shape, f"{path}: shape {a[2].shape} vs {b[2].shape}"
        np.testing.assert_array_equal(a[2], b[2], err_msg=path)
        return
    assert type(a) is type(b), f"{path}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, dict):
        assert list(a) == list(b), f"{path}: keys {list(a)} vs {list(b)}"
        for k in a:
            _same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{path}: length {len(a)} vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
    else:
        assert a == b, f"{path}: {a!r} vs {b!r}"
