"""Second derivatives against PyTorch: the helper every op family's double-backward test uses.

``check_second_order(ember_fn, torch_fn, *arrays)`` runs, in both libraries on float64 copies:
  g = grad(f(x), x, v, create_graph=True)       (first derivatives, with a graph)
  h = grad(sum_i <g_i, w_i>, x, allow_unused)   (second derivatives: Hessian-vector products)
and compares g and h. It also runs ``ember.autograd.gradgradcheck`` on the ember function.
"""
import numpy as np
import torch

import ember

_RNG = np.random.default_rng(7)


def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _second(lib, fn, arrays, diff, vs, ws):
    make = (lambda a, rg: ember.tensor(a, dtype=ember.float64, requires_grad=rg)) if lib is ember else \
        (lambda a, rg: torch.tensor(a, dtype=torch.float64, requires_grad=rg))
    ins = [make(a, i in diff) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else
           (ember.tensor(a) if lib is ember else torch.tensor(a)) if isinstance(a, np.ndarray) else a
           for i, a in enumerate(arrays)]
    outs = [o for o in _outputs(fn(*ins)) if o.requires_grad]
    wrt = [ins[i] for i in diff]
    gs = lib.autograd.grad(outs, wrt, [make(v, False) for v in vs[:len(outs)]], create_graph=True,
                           allow_unused=True)
    total = None
    for g, w in zip(gs, ws):
        if g is not None and g.requires_grad:
            term = (g * make(w, False)).sum()
            total = term if total is None else total + term
    if total is None:
        return gs, [None] * len(wrt)
    hs = lib.autograd.grad(total, wrt, allow_unused=True)
    return gs, hs


def _same(e, t, atol, rtol, what):
    if t is None or e is None:
        ez = e is None or not np.any(e.detach().numpy())
        tz = t is None or not torch.any(t.detach() != 0).item()
        assert ez and tz, f"{what}: one library gave None, the other a non-zero gradient"
        return
    t = torch.zeros(t.shape, dtype=t.dtype).add(t.detach())   # materializes torch's ZeroTensor results
    np.testing.assert_allclose(e.detach().numpy(), t.numpy(), atol=atol, rtol=rtol, err_msg=what)


def dense(fn):
    """``fn`` (a torch function) with an exact zero ``0 * x^2`` added per float input that requires
    grad: torch's second derivative of a piecewise-linear function can be a ZeroTensor, which cannot
    be read as NumPy, and this makes it an ordinary zero tensor."""
    def f(*args):
        out = fn(*args)
        for a in args:
            if isinstance(a, torch.Tensor) and a.requires_grad:
                out = out + 0 * (a * a).sum()
        return out
    return f


def check_second_order(ember_fn, torch_fn, *arrays, diff=None, atol=1e-6, rtol=1e-5, gradgrad=True):
    """Compare first and second derivatives of ``ember_fn`` and ``torch_fn`` on ``arrays``.

    ``diff``: positions of the arrays to differentiate (default: every float array). Non-array
    arguments pass through unchanged; integer arrays become integer tensors.
    """
    arrays = [np.asarray(a, np.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in arrays]
    if diff is None:
        diff = [i for i, a in enumerate(arrays) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    probe = [torch.tensor(a, dtype=torch.float64) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else
             (torch.tensor(a) if isinstance(a, np.ndarray) else a) for a in arrays]
    shapes = [tuple(o.shape) for o in _outputs(torch_fn(*probe)) if o.dtype.is_floating_point]
    vs = [_RNG.standard_normal(s) for s in shapes]
    ws = [_RNG.standard_normal(np.shape(arrays[i])) for i in diff]
    eg, eh = _second(ember, ember_fn, arrays, diff, vs, ws)
    tg, th = _second(torch, torch_fn, arrays, diff, vs, ws)
    for k, (e, t) in enumerate(zip(eg, tg)):
        _same(e, t, atol, rtol, f"first derivative {k}")
    for k, (e, t) in enumerate(zip(eh, th)):
        _same(e, t, atol, rtol, f"second derivative {k}")
    if gradgrad:
        ins = [ember.tensor(a, dtype=ember.float64, requires_grad=i in diff) if isinstance(a, np.ndarray)
               and a.dtype.kind == "f" else (ember.tensor(a) if isinstance(a, np.ndarray) else a)
               for i, a in enumerate(arrays)]
        assert ember.autograd.gradgradcheck(ember_fn, ins, atol=1e-5, rtol=1e-3)
