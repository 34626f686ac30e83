"""``torch.vmap`` / ``torch.func.vmap``: map a function over a dimension of its inputs.

ember's vmap is honest rather than fast: it runs ``func`` once per batch element (each input cut
with ``select`` along its ``in_dim``) and stacks the results along ``out_dims``. That gives vmap's
results and gradients (``select`` and ``stack`` are differentiable, so ``vmap(grad(f))`` and
gradients through vmap work, nested vmaps too), not its speed: the cost is the batch size times a
call. Inputs and outputs may be nested tuples, lists and dicts of tensors, as in PyTorch.

Differences from PyTorch: an in-place write into an input passed with ``in_dims=None``
raises (PyTorch allows it when the written values are unbatched); with ``out_dims=None`` an output
tensor is accepted when it is identical for every element (PyTorch rejects any output that
depends on a batched input, even if its values do not vary); ``.item()``, data-dependent control
flow and boolean-mask indexing work per element (PyTorch refuses them inside vmap).

Example:
    >>> x = ember.randn(5, 3)
    >>> ember.vmap(ember.dot)(x, x).shape         # one dot product per row
    ember.Size([5])
"""
import functools

import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.grad_mode import no_grad
from ..ops.join_split import stack
from ..ops.views import select
from ._levels import Level, active
from ._pytree import broadcast_prefix, tree_flatten, tree_unflatten

_RANDOMNESS = ("error", "different", "same")


def check_randomness(randomness):
    if randomness not in _RANDOMNESS:
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")


def _name(func):
    return getattr(func, "__name__", repr(func))


def _is_int(d):
    return isinstance(d, (int, np.integer)) and not isinstance(d, bool)


def _mapped_leaves(func, in_dims, args):
    """One in_dim per leaf of ``args`` (checked as PyTorch), and the batch size."""
    head = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"
    if not args:
        raise ValueError(f"vmap({_name(func)})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you "
                         "are trying to vmap over a function with no inputs. The latter is unsupported.")
    if not (in_dims is None or _is_int(in_dims) or isinstance(in_dims, tuple)):
        raise ValueError(f"{head}: expected `in_dims` to be int or a (potentially nested) tuple matching the "
                         f"structure of inputs, got: {type(in_dims)}.")
    leaves, spec = tree_flatten(args)
    dims = broadcast_prefix(in_dims, spec, lambda p, s: (
        f"{head}: in_dims is not compatible with the structure of `inputs`. in_dims has structure {p} but "
        f"inputs has structure {s}."))
    sizes = []
    for x, d in zip(leaves, dims):
        if d is None:
            continue
        if not _is_int(d):
            raise ValueError(f"{head}: Got in_dim={d} for an input but in_dim must be either an integer dimension "
                             "or None.")
        if not isinstance(x, Tensor):
            raise ValueError(f"{head}: Got in_dim={d} for an input but the input is of type {type(x)}. We cannot "
                             "vmap over non-Tensor arguments, please use None as the respective in_dim")
        n = x.dim()
        if not -n <= d < n:
            raise ValueError(f"{head}: Got in_dim={d} for some input, but that input is a Tensor of dimensionality "
                             f"{n} so expected in_dim to satisfy -{n} <= in_dim < {n}.")
        sizes.append(x.shape[d])
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sizes} for the mapped dimension")
    dims = [None if d is None else int(d) % x.dim() for x, d in zip(leaves, dims)]
    return leaves, spec, dims, sizes[0]


def _zeros(shape, like):
    return _wrap(np.zeros(shape, like._data.dtype))


def _out_dims(func, out_dims, spec):
    tail = f"vmap({_name(func)}, ..., out_dims={out_dims})"
    leaves, _ = tree_flatten(out_dims)
    if not all(d is None or _is_int(d) for d in leaves):
        raise ValueError(f"{tail}: `out_dims` must be an int, None or a python collection of ints representing "
                         "where in the outputs the vmapped dimension should appear.")
    return broadcast_prefix(out_dims, spec, lambda p, s: (
        f"{tail}(<inputs>): out_dims is not compatible with the structure of `outputs`. out_dims has structure "
        f"{p} but outputs has structure {s}."))


def _same_everywhere(values):
    first = values[0]
    return all(v is first or (v.shape == first.shape and np.array_equal(v._data, first._data, equal_nan=True))
               for v in values[1:])


def _join(func, per_element, out_dims):
    flat = [tree_flatten(out) for out in per_element]
    spec = flat[0][1]
    for _, s in flat[1:]:
        if s != spec:
            raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` returned outputs of different structures for "
                             f"different batch elements ({spec} and {s}); vmap needs one structure")
    dims = _out_dims(func, out_dims, spec)
    joined = []
    for j, d in enumerate(dims):
        values = [leaves[j] for leaves, _ in flat]
        if d is None:
            if isinstance(values[0], Tensor) and not _same_everywhere(values):
                raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` can not return a BatchedTensor when "
                                 "out_dim is None")
            joined.append(values[0])
            continue
        for v in values:
            if not isinstance(v, Tensor):
                raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}` must only return Tensors, got type "
                                 f"{type(v)}. Did you mean to set out_dims= to None for output?")
        n = values[0].dim() + 1
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
        joined.append(stack(values, d))
    return tree_unflatten(joined, spec)


def _empty_batch(func, leaves, spec, dims, kwargs, out_dims):
    """Batch size 0: call ``func`` once (without gradients) on zeros to learn the output shapes, and
    return empty outputs of those shapes."""
    with no_grad():
        probe = [x if d is None else _zeros(tuple(x.shape[:d]) + tuple(x.shape[d + 1:]), x)
                 for x, d in zip(leaves, dims)]
        out = func(*tree_unflatten(probe, spec), **kwargs)
    out_leaves, out_spec = tree_flatten(out)
    result = []
    for v, d in zip(out_leaves, _out_dims(func, out_dims, out_spec)):
        if d is None or not isinstance(v, Tensor):
            result.append(v)
            continue
        shape = list(v.shape)
        shape.insert(d % (len(shape) + 1), 0)
        result.append(_zeros(tuple(shape), v))
    return tree_unflatten(result, out_spec)


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``func`` mapped over dimension ``in_dims`` of its inputs; results stacked along ``out_dims``.

    ``in_dims`` is an int (every input), None (not mapped), or a tuple with one entry per positional
    argument (each an int, None, or a nested structure matching that argument). ``out_dims`` works the
    same way on the outputs. ``randomness``: ``'error'`` (a random op inside raises), ``'different'``
    (each element draws its own numbers) or ``'same'`` (every element draws the same numbers).
    ``chunk_size`` bounds how many elements PyTorch runs at once; ember runs them one at a time.
    Keyword arguments are passed unmapped.

    Example:
        >>> w = ember.randn(3, 4)
        >>> ember.vmap(lambda x: w @ x, in_dims=1, out_dims=1)(ember.randn(4, 7)).shape
        ember.Size([3, 7])
    """
    check_randomness(randomness)
    if chunk_size is not None and (not _is_int(chunk_size) or chunk_size <= 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        leaves, spec, dims, size = _mapped_leaves(func, in_dims, args)
        unbatched = [x for x, d in zip(leaves, dims) if d is None and isinstance(x, Tensor)]
        batched = [x for x, d in zip(leaves, dims) if d is not None]
        if size == 0:
            with active(Level(randomness, unbatched, batched)):
                return _empty_batch(func, leaves, spec, dims, kwargs, out_dims)
        per_element = []
        with active(Level(randomness, unbatched, batched)) as level:
            for b in range(size):
                if b and randomness == "same":
                    level.restore_generators()
                element = [x if d is None else select(x, d, b) for x, d in zip(leaves, dims)]
                per_element.append(func(*tree_unflatten(element, spec), **kwargs))
        return _join(func, per_element, out_dims)

    return wrapped
