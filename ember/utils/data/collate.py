"""Turning a list of samples into a batch (``default_collate``) and NumPy data into tensors
(``default_convert``)."""
import collections.abc
import numbers

import numpy as np

from ..._creation import as_tensor, tensor
from ..._tensor import Tensor, _wrap
from ...ops.join_split import stack

__all__ = ["default_collate", "default_convert"]

_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}")


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _stack_tensors(batch):
    first = batch[0]._data
    shape, dt = first.shape, first.dtype
    for t in batch:
        d = t._data
        if d.shape != shape or d.dtype != dt or t.requires_grad:
            return stack(batch, 0)  # mixed dtypes promote, bad shapes get ember.stack's error, grads flow
    return _wrap(np.stack([t._data for t in batch]))


def default_collate(batch):
    """Stack a list of samples into a batch, recursing into dicts, tuples and lists.

    Tensors and NumPy arrays are stacked along a new first dim; Python ints become an int64
    tensor, floats a float64 tensor, bools a bool tensor; strings stay a sequence; a list of
    tuples becomes a list of batched fields (namedtuples keep their type).

    Example:
        >>> default_collate([(ember.zeros(2), 0), (ember.ones(2), 1)])
        [tensor([[0., 0.], [1., 1.]]), tensor([0, 1])]
    """
    elem = batch[0]
    kind = type(elem)
    if kind is Tensor:
        return _stack_tensors(batch)
    if kind is tuple or kind is list:  # the common case first, skipping the slower ABC checks
        return _collate_sequence(elem, batch)
    if isinstance(elem, Tensor):
        return _stack_tensors(batch)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "SaUO":
            raise TypeError(_ERR.format(elem.dtype))
        return _stack_tensors([as_tensor(b) for b in batch])
    if isinstance(elem, np.generic) and not isinstance(elem, (np.str_, np.bytes_)):
        if elem.dtype.kind in "SaUO":
            raise TypeError(_ERR.format(elem.dtype))
        return as_tensor(np.array(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=np.float64)
    if isinstance(elem, numbers.Integral):
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        out = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(out) if type(elem) is not dict else out
        except TypeError:
            return out
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        return _collate_sequence(elem, batch)
    raise TypeError(_ERR.format(type(elem)))


def _collate_sequence(elem, batch):
    size = len(elem)
    for i, e in enumerate(batch):
        if len(e) != size:
            raise RuntimeError(f"each element in list of batch should be of equal size "
                               f"(element 0 has {size} fields, element {i} has {len(e)})")
    fields = [default_collate(s) for s in zip(*batch)]
    if isinstance(elem, tuple):
        return fields
    try:
        return type(elem)(fields)
    except TypeError:
        return fields


def default_convert(data):
    """Convert NumPy arrays (and numbers inside them) to tensors, recursing into containers.

    Used instead of ``default_collate`` when automatic batching is off (``batch_size=None``).

    Example:
        >>> default_convert({"x": np.zeros(2)})
        {'x': tensor([0., 0.], dtype=ember.float64)}
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if data.dtype.kind in "SaUO" else as_tensor(data)
    if isinstance(data, np.generic) and not isinstance(data, (np.str_, np.bytes_)):
        return as_tensor(np.asarray(data))
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        out = {k: default_convert(v) for k, v in data.items()}
        try:
            return type(data)(out) if type(data) is not dict else out
        except TypeError:
            return out
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
