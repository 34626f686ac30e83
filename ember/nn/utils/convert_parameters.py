"""Flatten parameters into one vector and back."""
from ..._tensor import Tensor
from ...ops.join_split import cat
from ...ops.views import reshape

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """Concatenate the flattened ``parameters`` into one 1-D tensor (differentiable).

    Example:
        >>> vec = nn.utils.parameters_to_vector(model.parameters())
        >>> vec.shape
        ember.Size([...])
    """
    return cat([reshape(p, -1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy slices of the 1-D tensor ``vec`` into ``parameters`` (in order), as ``parameters_to_vector`` made it.

    Like PyTorch, each parameter's ``.data`` becomes a view of ``vec``'s memory.

    Example:
        >>> nn.utils.vector_to_parameters(vec * 0.5, model.parameters())
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__module__}.{type(vec).__qualname__}")
    flat = vec._data.reshape(-1) if vec._data.ndim != 1 else vec._data
    pointer = 0
    for p in parameters:
        n = p._data.size
        if pointer + n > flat.size:
            raise RuntimeError(f"vector_to_parameters: vec has {flat.size} elements, fewer than the parameters "
                               f"need (at least {pointer + n}); build it with parameters_to_vector(parameters)")
        p._data = flat[pointer:pointer + n].reshape(p._data.shape)
        pointer += n
