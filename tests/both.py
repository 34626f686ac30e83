"""Run one expression on torch and on ember and compare: same value (dtype, shape, numbers to
round-off, nan equal) or the same kind of error. The expression takes the library as ``t``, so
``lambda t: t.sort(t.tensor([1, 3]))`` runs as both ``torch.sort`` and ``ember.sort``."""
import numpy as np
import torch

import ember

# the error types ember may raise where PyTorch raises (NumPy's own errors are not among them)
DOCUMENTED = (RuntimeError, IndexError, TypeError, ValueError, NotImplementedError)


def _flat(x):
    """A result as a list of (dtype name, shape, float64 array) or plain values."""
    if isinstance(x, (torch.Tensor, ember.Tensor)):
        a = x.detach().numpy() if isinstance(x, torch.Tensor) else x.detach().numpy()
        dt = str(x.dtype).split(".")[-1]
        return [(dt, tuple(a.shape), np.asarray(a))]
    if isinstance(x, (tuple, list)):
        return [v for item in x for v in _flat(item)] + [("len", len(x))]
    return [x]


def _tol(dtype):
    return {"float16": 2e-3, "bfloat16": 1e-2, "float32": 2e-6}.get(dtype, 1e-12)


def run_both(fn):
    """(torch outcome, ember outcome): each a list of results or an exception."""
    out = []
    for lib in (torch, ember):
        try:
            out.append(_flat(fn(lib)))
        except Exception as e:                            # noqa: BLE001 - compared below
            out.append(e)
    return out


def same(t_res, e_res, tol=None):
    """Whether ember's outcome matches torch's; returns (ok, why)."""
    if isinstance(t_res, Exception):
        if isinstance(e_res, Exception):
            if type(e_res).__module__.startswith("numpy") or not isinstance(e_res, DOCUMENTED):
                return False, f"internal error {type(e_res).__module__}.{type(e_res).__name__}: {e_res}"
            return True, ""
        return False, f"torch raises {type(t_res).__name__}: {t_res}; ember returns {e_res}"
    if isinstance(e_res, Exception):
        return False, f"torch returns; ember raises {type(e_res).__name__}: {e_res}"
    if len(t_res) != len(e_res):
        return False, f"{len(t_res)} results from torch, {len(e_res)} from ember"
    for a, b in zip(t_res, e_res):
        if isinstance(a, tuple) and len(a) == 3 and isinstance(b, tuple) and len(b) == 3:
            if a[0] != b[0] or a[1] != b[1]:
                return False, f"dtype/shape torch {a[:2]} ember {b[:2]}"
            x, y = a[2], b[2]
            if x.dtype.kind in "biu" or x.dtype == bool:
                if not np.array_equal(x, y):
                    return False, f"values torch {x} ember {y}"
            else:
                r = tol if tol is not None else _tol(a[0])
                if not np.allclose(x.astype(np.float64), y.astype(np.float64), rtol=r, atol=r, equal_nan=True):
                    return False, f"values torch {x} ember {y}"
        elif a != b and not (isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b)):
            return False, f"torch {a!r} ember {b!r}"
    return True, ""


def assert_same(fn, tol=None, error=None):
    """ember matches torch on ``fn``; with ``error`` both must raise it (ember: that type)."""
    t_res, e_res = run_both(fn)
    if error is not None:
        assert isinstance(t_res, error), f"torch did not raise {error.__name__}: {t_res}"
        assert isinstance(e_res, error), f"ember did not raise {error.__name__}: {e_res!r}"
        return e_res
    ok, why = same(t_res, e_res, tol)
    assert ok, why
    return e_res
