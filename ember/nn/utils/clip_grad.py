"""Gradient clipping: scale all gradients to a maximum total norm, or clamp each entry.

``foreach`` chooses between two PyTorch kernels (one call per tensor list, or a loop) that give the
same numbers, and both run on the CPU; ember has one NumPy path, which serves every value of it.
"""
import math
import warnings

import numpy as np

from ..._tensor import Tensor, _wrap

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _as_list(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _grads(parameters):
    return [p.grad for p in _as_list(parameters) if p.grad is not None]


def _vector_norm(a, p):
    """The ``p``-norm of ``a`` flattened, in ``a``'s dtype (PyTorch's ``linalg.vector_norm``)."""
    if a.size == 0:
        return a.dtype.type(0)
    flat = a.reshape(-1)
    if p == 2.0:
        return np.sqrt(np.dot(flat, flat)) if a.dtype.kind == "f" else np.sqrt(np.sum(flat * flat))
    if p == math.inf:
        return np.max(np.abs(flat))
    if p == -math.inf:
        return np.min(np.abs(flat))
    if p == 0.0:
        return a.dtype.type(np.count_nonzero(flat))
    if p == 1.0:
        return np.sum(np.abs(flat))
    return np.sum(np.abs(flat) ** p) ** (1.0 / p)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type``-norm of all ``tensors`` together (as if concatenated), as a 0-d tensor.

    Example:
        >>> nn.utils.get_total_norm([p.grad for p in model.parameters() if p.grad is not None])
        tensor(1.7321)
    """
    arrays = [t._data for t in _as_list(tensors)]
    norm_type = float(norm_type)
    if not arrays:
        return _wrap(np.array(0.0, dtype=np.float32))
    dtype = np.result_type(*arrays)
    norms = np.array([_vector_norm(a, norm_type) for a in arrays], dtype=dtype)
    total = np.asarray(_vector_norm(norms, norm_type), dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`")
    return _wrap(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients of ``parameters`` in place by ``max_norm / (total_norm + 1e-6)`` when that is below 1."""
    grads = _grads(parameters)
    if not grads:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    dt = total.dtype if total.dtype.kind == "f" else np.dtype(np.float32)
    coef = dt.type(float(max_norm)) / (total.astype(dt) + dt.type(1e-6))
    coef = np.minimum(coef, dt.type(1.0))
    with np.errstate(invalid="ignore"):   # a non-finite norm gives NaN gradients, as in PyTorch
        for g in grads:
            if not g._data.flags.writeable:      # e.g. a gradient set from a read-only array
                g._data = g._data.copy()
            g._data *= coef.astype(g._data.dtype)
            g._vc[0] += 1


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Rescale gradients in place so their total ``norm_type``-norm is at most ``max_norm``.

    The norm is computed over all gradients together, as if concatenated into one vector; returns
    that total norm (before clipping) as a tensor. ``norm_type`` may be ``float('inf')``. With
    ``error_if_nonfinite=True`` a NaN/inf total norm raises ``RuntimeError`` instead of scaling.

    Example:
        >>> loss.backward()
        >>> nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        >>> opt.step()
    """
    params = _as_list(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(params, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated name of ``clip_grad_norm_``."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient entry in place to ``[-clip_value, clip_value]``.

    Example:
        >>> nn.utils.clip_grad_value_(model.parameters(), clip_value=0.5)
    """
    clip_value = float(clip_value)
    for g in _grads(parameters):
        if not g._data.flags.writeable:
            g._data = g._data.copy()
        np.clip(g._data, -clip_value, clip_value, out=g._data)
        g._vc[0] += 1
