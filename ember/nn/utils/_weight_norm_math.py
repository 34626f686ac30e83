"""The norm weight normalisation divides by (PyTorch's ``norm_except_dim`` and ``_weight_norm``)."""
from ...linalg import vector_norm


def norm_except_dim(v, pow=2, dim=0):
    """The ``pow``-norm of ``v`` over every dimension but ``dim``, shaped to broadcast against ``v``
    (size ``v.shape[dim]`` at ``dim``, 1 elsewhere); ``dim=-1`` is the norm of the whole tensor (0-d)."""
    if dim == -1:
        return vector_norm(v, pow)
    if not -v.ndim <= dim < v.ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-v.ndim}, {v.ndim - 1}], "
                         f"but got {dim})")
    dim = dim % v.ndim
    others = tuple(d for d in range(v.ndim) if d != dim)
    return vector_norm(v, pow, dim=others, keepdim=True) if others else v.abs() if pow else v


def weight_norm(v, g, dim=0):
    """``v * (g / ||v||)`` with the norm over every dimension but ``dim`` (PyTorch's ``torch._weight_norm``)."""
    return v * (g / norm_except_dim(v, 2, dim))
