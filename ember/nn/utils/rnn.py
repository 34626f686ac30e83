"""Variable-length sequences for recurrent layers (``torch.nn.utils.rnn``): ``PackedSequence`` and
packing, padding and unpadding.

A packed batch stores, for each time step ``t`` in turn, the rows of the ``batch_sizes[t]``
sequences still running at ``t``, sequences sorted by decreasing length. ``sorted_indices[k]`` is
the original position of the k-th longest sequence; ``unsorted_indices`` is its inverse.

Every function here is a gather (one indexing op, plus a concatenation where padding is added),
so gradients flow from the packed or padded result to the inputs.

Example:
    >>> from ember.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    >>> x = ember.randn(5, 3, 8)                              # (time, batch, features)
    >>> packed = pack_padded_sequence(x, [5, 2, 3], enforce_sorted=False)
    >>> packed.batch_sizes
    tensor([3, 3, 2, 1, 1])
    >>> out, lengths = pad_packed_sequence(packed)             # (5, 3, 8), tensor([5, 2, 3])
"""
from collections import namedtuple

import numpy as np

from ... import _creation, _dtype
from ..._tensor import Tensor, _wrap
from ...ops.index import getitem
from ...ops.join_split import cat
from ...ops.views import transpose

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


def _long(values):
    return _wrap(np.asarray(values, dtype=np.int64))


def invert_permutation(permutation):
    """The inverse of a permutation tensor (None stays None)."""
    if permutation is None:
        return None
    p = permutation._data
    out = np.empty_like(p)
    out[p] = np.arange(p.size, dtype=p.dtype)
    return _wrap(out)


class PackedSequence(namedtuple("PackedSequence_", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """A batch of variable-length sequences packed for a recurrent layer (see the module docstring).

    Build it with ``pack_padded_sequence`` or ``pack_sequence``, not by hand.

    Example:
        >>> p = pack_sequence([ember.ones(3, 2), ember.ones(1, 2)])
        >>> p.data.shape, p.batch_sizes
        (ember.Size([4, 2]), tensor([2, 1, 1]))
    """
    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            raise TypeError("PackedSequence(data, batch_sizes, ...): batch_sizes is required; build one with "
                            "pack_padded_sequence or pack_sequence")
        if not isinstance(batch_sizes, Tensor):
            batch_sizes = _long(batch_sizes)
        if batch_sizes._data.ndim != 1:
            raise ValueError(f"PackedSequence: batch_sizes must be 1-D, got shape {tuple(batch_sizes.shape)}")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data):
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs):
        """The same packing with ``data`` converted by ``Tensor.to`` (indices stay int64 on the CPU)."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._with_data(data)

    def cpu(self, *args, **kwargs):
        return self._with_data(self.data.cpu(*args, **kwargs))

    def cuda(self, *args, **kwargs):
        return self._with_data(self.data.cuda(*args, **kwargs))

    def pin_memory(self):
        """Pinned memory is a CUDA notion; on ember's CPU tensors this returns ``self``."""
        return self

    def double(self):
        return self._with_data(self.data.to(_dtype.float64))

    def float(self):
        return self._with_data(self.data.to(_dtype.float32))

    def half(self):
        return self._with_data(self.data.to(_dtype.float16))

    def long(self):
        return self._with_data(self.data.to(_dtype.int64))

    def int(self):
        return self._with_data(self.data.to(_dtype.int32))

    def short(self):
        return self._with_data(self.data.to(_dtype.int16))

    def char(self):
        return self._with_data(self.data.to(_dtype.int8))

    def byte(self):
        return self._with_data(self.data.to(_dtype.uint8))

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        """Always False: ember has no pinned (page-locked) memory."""
        return False


def _lengths_array(lengths):
    if isinstance(lengths, Tensor):
        arr = lengths._data
    else:
        arr = np.asarray(lengths)
    if arr.ndim != 1:
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {arr.ndim}D tensor")
    if arr.size and arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and np.all(arr == np.trunc(arr)):
            arr = arr.astype(np.int64)
        else:
            raise RuntimeError(f"'lengths' must hold integers, got dtype {arr.dtype}")
    return arr.astype(np.int64)


def _batch_sizes(sorted_lengths):
    """batch_sizes[t] = number of sequences longer than t (lengths sorted decreasingly)."""
    steps = np.arange(int(sorted_lengths[0]))
    return (sorted_lengths[None, :] > steps[:, None]).sum(axis=1).astype(np.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` if ``batch_first``) of sequences with the given
    ``lengths``. With ``enforce_sorted=True`` the lengths must be decreasing; otherwise they are
    sorted here and the order is kept in ``sorted_indices``.

    Example:
        >>> pack_padded_sequence(ember.randn(4, 2, 3), [4, 2]).batch_sizes
        tensor([2, 2, 1, 1])
    """
    lengths = _lengths_array(lengths)
    b_dim = 0 if batch_first else 1
    if input.dim() < 2:
        raise ValueError(f"pack_padded_sequence: input must have a time and a batch dimension, got shape "
                         f"{tuple(input.shape)}")
    B, T = input.shape[b_dim], input.shape[1 - b_dim]
    if enforce_sorted:
        if np.any(lengths[1:] > lengths[:-1]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                               "to sidestep this requirement if you do not need ONNX exportability.")
        order, sorted_indices = np.arange(lengths.size), None
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = _long(order)
    if lengths.size != B:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.size} "
                           f"(batch_size={B})")
    if B == 0 or np.any(lengths <= 0):
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if lengths.max() > T:
        raise RuntimeError(f"pack_padded_sequence: a length ({int(lengths.max())}) exceeds the padded sequence "
                           f"length {T} (input shape {tuple(input.shape)}, batch_first={batch_first})")
    sorted_lengths = lengths[order]
    batch_sizes = _batch_sizes(sorted_lengths)
    # row of (time t, sorted position k) in the input flattened time-major
    rows = np.concatenate([t * B + order[:bs] for t, bs in enumerate(batch_sizes)])
    if batch_first:
        rows = (rows % B) * T + rows // B
    flat = input.reshape(B * T, *input.shape[2:])
    data = getitem(flat, rows)
    return PackedSequence(data, _long(batch_sizes), sorted_indices, invert_permutation(sorted_indices))


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo ``pack_padded_sequence``: returns the padded batch ``(T, B, *)`` (``(B, T, *)`` if
    ``batch_first``) in the original order, and the lengths (int64) of its sequences.

    Example:
        >>> p = pack_sequence([ember.ones(3), ember.ones(1)])
        >>> pad_packed_sequence(p, batch_first=True)
        (tensor([[1., 1., 1.],
                [1., 0., 0.]]), tensor([3, 1]))
    """
    data, bs = sequence.data, sequence.batch_sizes._data.astype(np.int64)
    T_max, B = len(bs), int(bs[0])
    T = T_max
    if total_length is not None:
        if total_length < T_max:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {T_max}")
        T = int(total_length)
    offsets = np.concatenate([[0], np.cumsum(bs)[:-1]])
    pos = np.arange(B) if sequence.unsorted_indices is None else sequence.unsorted_indices._data
    n = data.shape[0]
    t = np.arange(T)[:, None]
    alive = t < T_max
    bs_t = np.where(alive, bs[np.minimum(t, T_max - 1)], 0)
    idx = np.where(pos[None, :] < bs_t, offsets[np.minimum(t, T_max - 1)] + pos[None, :], n)   # (T, B)
    if batch_first:
        idx = idx.T
    pad = _creation.full((1, *data.shape[1:]), padding_value, dtype=data.dtype)
    padded = getitem(cat([data, pad]), idx)
    sorted_lengths = (np.arange(B)[:, None] < bs[None, :]).sum(axis=1)
    return padded, _long(sorted_lengths[pos])


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences of shapes ``(L_i, *)`` into ``(max L, B, *)`` (``(B, max L, *)`` if
    ``batch_first``), filling with ``padding_value`` on the ``padding_side`` ('right' or 'left').

    Example:
        >>> pad_sequence([ember.ones(2), ember.ones(3)], batch_first=True)
        tensor([[1., 1., 0.],
                [1., 1., 1.]])
    """
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    trailing = tuple(sequences[0].shape[1:])
    for i, s in enumerate(sequences):
        if tuple(s.shape[1:]) != trailing:
            raise RuntimeError(f"pad_sequence: sequence {i} has shape {tuple(s.shape)} but sequence 0 has "
                               f"{tuple(sequences[0].shape)}; all must agree after the first (time) dimension")
    lengths = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    T = int(lengths.max())
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    n = int(lengths.sum())
    t = np.arange(T)[:, None]
    shift = (T - lengths)[None, :] if padding_side == "left" else 0
    local = t - shift                                                            # (T, B) index in each sequence
    idx = np.where((local >= 0) & (local < lengths[None, :]), starts[None, :] + local, n)
    if batch_first:
        idx = idx.T
    pad = _creation.full((1, *trailing), padding_value, dtype=sequences[0].dtype)
    return getitem(cat(sequences + [pad]), idx)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences of a padded batch, each cut to its length.

    Example:
        >>> [s.shape for s in unpad_sequence(ember.zeros(3, 2, 4), ember.tensor([3, 1]))]
        [ember.Size([3, 4]), ember.Size([1, 4])]
    """
    if not batch_first:
        padded_sequences = transpose(padded_sequences, 0, 1)
    lengths = _lengths_array(lengths)
    return [padded_sequences[i][:int(n)] for i, n in enumerate(lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of sequences ``(L_i, *)`` (decreasing lengths unless ``enforce_sorted=False``).

    Example:
        >>> pack_sequence([ember.tensor([1, 2, 3]), ember.tensor([4, 5])]).data
        tensor([1, 4, 2, 5, 3])
    """
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences of a ``PackedSequence``, in their original order.

    Example:
        >>> [s.tolist() for s in unpack_sequence(pack_sequence([ember.tensor([1, 2]), ember.tensor([3])]))]
        [[1, 2], [3]]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
