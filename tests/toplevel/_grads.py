"""Run a function on torch and on ember with the same inputs; compare outputs and gradients."""
import numpy as np
import torch

import ember


def _lib_inputs(lib, arrays, grad):
    out = []
    for a in arrays:
        if isinstance(a, np.ndarray):
            t = lib.tensor(a)
            if grad and a.dtype.kind == "f":
                t.requires_grad_(True)
            out.append(t)
        else:
            out.append(a)
    return out


def _np(x):
    return x.detach().numpy()


def check(fn, *arrays, tol=1e-5, grad=True, seed=None):
    """fn(lib, *inputs) on both libraries: same outputs (a tensor or a tuple of them) and, when
    ``grad``, same gradients of sum(out * w) for every float input."""
    results = []
    for lib in (torch, ember):
        inputs = _lib_inputs(lib, arrays, grad)
        if seed is not None:
            lib.manual_seed(seed)
        out = fn(lib, *inputs)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        grads = []
        if grad:
            rng = np.random.default_rng(0)
            total = None
            for o in outs:
                if o.requires_grad:
                    w = lib.tensor(rng.standard_normal(tuple(o.shape)).astype(_np(o).dtype))
                    term = (o * w).sum()
                    total = term if total is None else total + term
            if total is not None:
                total.backward()
            grads = [None if not isinstance(x, lib.Tensor) or x.grad is None else _np(x.grad) for x in inputs]
        results.append(([_np(o) for o in outs], [str(o.dtype).split(".")[-1] for o in outs], grads))
    (t_out, t_dt, t_g), (e_out, e_dt, e_g) = results
    assert t_dt == e_dt, (t_dt, e_dt)
    for a, b in zip(t_out, e_out):
        assert a.shape == b.shape, (a.shape, b.shape)
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol)
    for a, b in zip(t_g, e_g):
        assert (a is None) == (b is None), (a, b)
        if a is not None:
            np.testing.assert_allclose(b, a, rtol=tol, atol=tol)
