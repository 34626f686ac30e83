"""Check analytic gradients against central finite differences (use float64 inputs)."""
import warnings

import numpy as np

from .._tensor import Tensor, _wrap
from .api import grad as _grad
from .engine import run_backward


class GradcheckError(RuntimeError):
    pass


def _outputs(fn, inputs):
    out = fn(*inputs)
    return out if isinstance(out, (tuple, list)) else (out,)


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """True if every input's analytic Jacobian matches the numerical one.

    ``fast_mode`` runs the full check (it is exact, only slower); ember's backward is
    deterministic, so ``nondet_tol`` is met by every op; ``check_undefined_grad`` holds because
    the engine gives zeros for outputs that received no gradient. Forward-mode and batched
    checks are not supported.

    Example:
        >>> x = ember.randn(3, dtype=ember.float64, requires_grad=True)
        >>> ember.autograd.gradcheck(ember.tanh, (x,))
        True
    """
    for name, value in [("check_batched_grad", check_batched_grad), ("check_forward_ad", check_forward_ad),
                        ("check_batched_forward_grad", check_batched_forward_grad), ("masked", masked)]:
        if value:
            raise NotImplementedError(f"gradcheck: {name}={value!r} is not supported by ember")
    if not check_backward_ad:
        return True
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    inputs = tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    for i in diff:
        if inputs[i]._data.dtype != np.float64:
            warnings.warn(f"gradcheck: input {i} is {inputs[i].dtype}, not float64; the check will likely "
                          f"fail from round-off. Use .double().", UserWarning, stacklevel=2)
    outs = [o for o in _outputs(func, inputs) if isinstance(o, Tensor) and o.requires_grad]
    for oi, out in enumerate(outs):
        n_out = out._data.size
        analytic = {i: np.zeros((inputs[i]._data.size, n_out)) for i in diff}
        for j in range(n_out):
            g = np.zeros(out._data.shape, out._data.dtype)
            g.reshape(-1)[j] = 1
            outs_j = [o for o in _outputs(func, inputs) if isinstance(o, Tensor) and o.requires_grad]
            res = run_backward((outs_j[oi],), (g,), inputs=[inputs[i] for i in diff], accumulate=False)
            for k, i in enumerate(diff):
                if res[k] is not None:
                    if check_grad_dtypes and res[k].dtype != inputs[i]._data.dtype:
                        return _fail(raise_exception, f"Gradient has dtype mismatch: input {i} is "
                                     f"{inputs[i].dtype} but its gradient is {res[k].dtype}")
                    analytic[i][:, j] = np.broadcast_to(res[k], inputs[i]._data.shape).reshape(-1)
        for i in diff:
            x = inputs[i]._data
            numeric = np.zeros((x.size, n_out))
            for k in range(x.size):
                pos = np.unravel_index(k, x.shape)  # works for non-contiguous inputs too
                orig = x[pos]
                x[pos] = orig + eps
                plus = _outputs(func, inputs)[oi]._data.astype(np.float64).reshape(-1)
                x[pos] = orig - eps
                minus = _outputs(func, inputs)[oi]._data.astype(np.float64).reshape(-1)
                x[pos] = orig
                numeric[k] = (plus - minus) / (2 * eps)
            if not np.allclose(analytic[i], numeric, atol=atol, rtol=rtol):
                worst = np.unravel_index(np.argmax(np.abs(analytic[i] - numeric)), numeric.shape)
                return _fail(raise_exception,
                             f"Jacobian mismatch for output {oi} with respect to input {i}: numerical "
                             f"{numeric[worst]:.6g} vs analytical {analytic[i][worst]:.6g} at {worst}\n"
                             f"numerical:\n{numeric}\nanalytical:\n{analytic[i]}")
    return True


def _fail(raise_exception, message):
    if raise_exception:
        raise GradcheckError(message)
    return False


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False, masked=False):
    """True if the second derivatives of ``func`` match finite differences of its first
    derivatives: ``gradcheck`` of ``(inputs, v) -> autograd.grad(func(inputs), inputs, v,
    create_graph=True)`` with random ``v`` (``grad_outputs``) that also require grad.

    Example:
        >>> x = ember.randn(3, dtype=ember.float64, requires_grad=True)
        >>> ember.autograd.gradgradcheck(ember.tanh, (x,))
        True
    """
    for name, value in [("check_batched_grad", check_batched_grad), ("check_fwd_over_rev", check_fwd_over_rev),
                        ("masked", masked)]:
        if value:
            raise NotImplementedError(f"gradgradcheck: {name}={value!r} is not supported by ember")
    if not check_rev_over_rev:
        return True
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    n = len(inputs)
    diff = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        outs = [o for o in _outputs(func, inputs) if isinstance(o, Tensor) and o.requires_grad]
        grad_outputs = [_wrap(rng.standard_normal(o._data.shape).astype(o._data.dtype), True) for o in outs]
    grad_outputs = (grad_outputs,) if isinstance(grad_outputs, Tensor) else tuple(grad_outputs)

    def first_derivatives(*args):
        ins, vs = args[:n], args[n:]
        outs = [o for o in _outputs(func, ins) if isinstance(o, Tensor) and o.requires_grad]
        wrt = [x for x in ins if isinstance(x, Tensor) and x.requires_grad]
        grads = _grad(outs, wrt, vs, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None and g.requires_grad)

    if not diff:
        return True
    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, check_grad_dtypes=check_grad_dtypes)
