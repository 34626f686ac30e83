"""``torch.func.functionalize`` and ``debug_unwrap``: identities in eager ember.

PyTorch's ``functionalize`` rewrites a function's in-place ops as out-of-place ones *inside its
tracer* (for compilers); what the function computes, including mutations of its inputs, is
unchanged. ember has no such intermediate representation, so the function is returned as it is,
which gives the same results. ``debug_unwrap`` strips functorch's wrapper tensors; ember has none.

Example:
    >>> f = functionalize(lambda x: x.add_(1))
    >>> f(ember.zeros(2))
    tensor([1., 1.])
"""
import functools

_REMOVE = ("mutations", "mutations_and_views")


def functionalize(func, *, remove="mutations"):
    """``func`` itself, wrapped (same results); ``remove`` is checked as PyTorch does.

    Example:
        >>> functionalize(ember.sin)(ember.zeros(1))
        tensor([0.])
    """
    if remove not in _REMOVE:
        raise RuntimeError(
            f"functionalize(f, remove='mutations'): received invalid argument for remove={remove}. Valid options "
            "are:\n     remove='mutations': all inplace and out= operators will be removed from the program, and "
            "replaced with their out-of-place equivalents.\n     remove='mutations_and_views': In addition to the "
            "above, all aliasing operators {view} will be replaced with their non-aliasing counterparts, "
            "{view}_copy.\n")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)
    return wrapper


def debug_unwrap(tensor, *, recurse=True):
    """The tensor itself (ember's transforms do not wrap tensors).

    Example:
        >>> x = ember.ones(2)
        >>> debug_unwrap(x) is x
        True
    """
    return tensor
