"""``all_to_all_single`` and ``all_to_all``: every rank sends a piece to every rank, as PyTorch's.

Rank i's j-th piece lands as rank j's i-th piece. ``all_to_all_single`` cuts one tensor along dim 0
(equal parts, or ``input_split_sizes`` rows per rank) and concatenates what arrives along dim 0
(``output_split_sizes``); ``all_to_all`` takes one tensor per rank in a list. Both are one MPI
``Ialltoallv`` on the tensors' bytes, waited on with the group's timeout (``async_op=True``
returns a ``Work``).

The checks are PyTorch's: tensors (TypeError), one dtype (ValueError), split lists of group size
summing to dim 0 (RuntimeError). Then, unless ``EMBER_DISTRIBUTED_CHECKS=0``, the ranks exchange a
header and their split sizes (two small ``Allgather``s): every rank raises the same RuntimeError
when they call different collectives, use different dtypes or row sizes, or when what rank i
sends to rank j is not what rank j expects from rank i (PyTorch's backends read garbage or hang).

Example (2 ranks):
    >>> inp = ember.arange(4.0) + 4 * dist.get_rank()   # rank 0: [0, 1, 2, 3], rank 1: [4, 5, 6, 7]
    >>> out = ember.empty(4)
    >>> dist.all_to_all_single(out, inp)               # rank 0: [0, 1, 4, 5], rank 1: [2, 3, 6, 7]
"""
import math

import numpy as np

from .._tensor import Tensor
from ._agree import exchange
from ._mpi import mpi
from .collectives import _CHECKS, _buffer, _mpi_call, _run, _writer
from .process_group import _resolve
from .work import wait_requests

__all__ = ["all_to_all_single", "all_to_all"]


def _single(t, name):
    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type ember Tensor but got "
                        f"{type(t)} instead.")


def _tensor_list(ts, name):
    if not isinstance(ts, list) or not all(isinstance(t, Tensor) for t in ts):
        got = type(ts) if not isinstance(ts, list) else [type(t).__name__ for t in ts]
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type List[Tensor] but got "
                        f"{got} instead.")


def _same_dtype(what, tensors):
    dtypes = {t._data.dtype for t in tensors}
    if len(dtypes) > 1:
        raise ValueError(f"Invalid usage of tensors with different dtypes: {what} found "
                         f"{', '.join(sorted(str(d) for d in dtypes))}; every input and output tensor must have "
                         f"the same dtype")


def _splits(sizes, t, n, what, name):
    """The rows per rank along dim 0 (PyTorch's checks, RuntimeError)."""
    if t._data.ndim == 0:
        raise ValueError(f"{what}: the {name.split('_')[0]} tensor is 0-dimensional; it is split along dim 0, so it "
                         f"needs at least one dimension (reshape it to (1,))")
    rows = t._data.shape[0]
    if isinstance(sizes, Tensor):
        sizes = sizes.tolist()
    if sizes is None or len(sizes) == 0:
        if rows % n:
            raise RuntimeError(f"Tensor's dim 0 does not divide equally across group size: {what}: {name.split('_')[0]}"
                               f" has {rows} rows along dim 0 for {n} ranks; pass {name} (rows per rank)")
        return [rows // n] * n
    sizes = [int(s) for s in sizes]
    if len(sizes) != n:
        raise RuntimeError(f"Number of tensor splits not equal to group size: {what}: {name} has {len(sizes)} "
                           f"entries for {n} ranks ({sizes})")
    if min(sizes) < 0 or sum(sizes) != rows:
        raise RuntimeError(f"Split sizes doesn't match total dim 0 size: {what}: {name}={sizes} sums to "
                           f"{sum(sizes)}, but dim 0 has {rows} rows (shape {tuple(t._data.shape)})")
    return sizes


def _check_agreement(pg, what, dtype, row, send, recv, error):
    """Header (kind, dtype, row size) then everyone's split sizes; every rank raises the same error."""
    exchange(pg, what, what, dtype=dtype, sizes=(row,), same=(0,), error=error)
    n = pg.size()
    mine = np.array(list(send) + list(recv), np.int64)
    every = np.empty((n, 2 * n), np.int64)
    wait_requests([pg.comm.Iallgather(mine, every)], pg.deadline(), f"{what} (exchanging split sizes)")
    sends, recvs = every[:, :n], every[:, n:]
    bad = [(i, j) for i in range(n) for j in range(n) if sends[i, j] != recvs[j, i]]
    if bad:
        pairs = "; ".join(f"rank {pg.ranks[i]} sends {sends[i, j]} to rank {pg.ranks[j]}, which expects "
                          f"{recvs[j, i]}" for i, j in bad)
        raise RuntimeError(f"{what}: the split sizes of the ranks do not match ({pairs}). Rank j's output split i "
                           f"must equal rank i's input split j.")


def _alltoallv(pg, what, send, recv, send_counts, recv_counts):
    """One Ialltoallv of ``send``'s bytes into ``recv``'s (both contiguous), counts in elements."""
    MPI = mpi()
    size = send.dtype.itemsize
    scounts, rcounts = [int(c) * size for c in send_counts], [int(c) * size for c in recv_counts]
    sdispls = [int(d) for d in np.concatenate([[0], np.cumsum(scounts)[:-1]])]
    rdispls = [int(d) for d in np.concatenate([[0], np.cumsum(rcounts)[:-1]])]
    sbytes, rbytes = send.reshape(-1).view(np.uint8), recv.reshape(-1).view(np.uint8)
    return _mpi_call(pg.comm.Ialltoallv, what, [sbytes, (scounts, sdispls), MPI.BYTE],
                     [rbytes, (rcounts, rdispls), MPI.BYTE])


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None, group=None, async_op=False):
    """Split ``input`` along dim 0, send the j-th part to rank j, concatenate what arrives into ``output``.

    Without split sizes dim 0 is cut into group-size equal parts; ``input_split_sizes[j]`` rows go
    to rank j, ``output_split_sizes[i]`` rows come from rank i.

    Example (2 ranks, uneven):
        >>> inp = ember.arange(3.0) if dist.get_rank() == 0 else ember.arange(10.0, 12.0)
        >>> ins, outs = ([1, 2], [1, 1]) if dist.get_rank() == 0 else ([1, 1], [2, 1])
        >>> out = ember.empty(sum(outs))
        >>> dist.all_to_all_single(out, inp, outs, ins)   # rank 0: [0., 10.]; rank 1: [1., 2., 11.]
    """
    what = "all_to_all_single"
    pg = _resolve(group)
    if pg is None:
        return None
    _single(output, "output")
    _single(input, "input")
    _same_dtype(what, [output, input])
    n = pg.size()
    error, send, recv, row = None, [0] * n, [0] * n, -1
    try:
        send = _splits(input_split_sizes, input, n, what, "input_split_sizes")
        recv = _splits(output_split_sizes, output, n, what, "output_split_sizes")
        row, out_row = math.prod(input._data.shape[1:]), math.prod(output._data.shape[1:])
        if row != out_row:
            raise RuntimeError(f"{what}: a row (dim 0 slice) of input has {row} elements (shape "
                               f"{tuple(input._data.shape)}) but one of output has {out_row} (shape "
                               f"{tuple(output._data.shape)}); they must match")
    except (RuntimeError, ValueError) as e:
        if not _CHECKS:
            raise
        error = e
    if _CHECKS:
        _check_agreement(pg, what, input._data.dtype, row, send, recv, error)
    buf, back = _buffer(output)
    src = np.ascontiguousarray(input._data)
    if np.shares_memory(src, buf):               # in place (output is input): send a copy
        src = src.copy()
    req = _alltoallv(pg, what, src, buf, [s * row for s in send], [r * row for r in recv])
    return _run(pg, [req], what, _writer(output, buf, back), async_op, [output])


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """Send ``input_tensor_list[j]`` to rank j; ``output_tensor_list[i]`` receives rank i's piece.

    Each list has one tensor per rank; the tensors may differ in shape (rank i's j-th input has as
    many elements as rank j's i-th output), and all have one dtype.

    Example (2 ranks):
        >>> r = dist.get_rank()
        >>> inputs = [ember.tensor([10.0 * r + j]) for j in range(2)]
        >>> outputs = [ember.empty(1) for _ in range(2)]
        >>> dist.all_to_all(outputs, inputs)          # rank 1: [tensor([1.]), tensor([11.])]
    """
    what = "all_to_all"
    pg = _resolve(group)
    if pg is None:
        return None
    _tensor_list(output_tensor_list, "output_tensor_list")
    _tensor_list(input_tensor_list, "input_tensor_list")
    _same_dtype(what, output_tensor_list + input_tensor_list)
    n = pg.size()
    error = None
    for name, ts in (("output", output_tensor_list), ("input", input_tensor_list)):
        if len(ts) != n and error is None:
            error = RuntimeError(f"{what}: {name} tensor list size {len(ts)} does not match world size {n} (one "
                                 f"tensor per rank of the group)")
    if error is not None and not _CHECKS:
        raise error
    send = [t._data.size for t in input_tensor_list] if error is None else [0] * n
    recv = [t._data.size for t in output_tensor_list] if error is None else [0] * n
    everything = output_tensor_list + input_tensor_list
    dtype = everything[0]._data.dtype if everything else np.dtype(np.float32)
    if _CHECKS:
        _check_agreement(pg, what, dtype, 1, send, recv, error)
    sbuf = np.concatenate([t._data.reshape(-1) for t in input_tensor_list]).astype(dtype, copy=False)
    rbuf = np.empty(sum(recv), dtype)
    req = _alltoallv(pg, what, sbuf, rbuf, send, recv)
    return _run(pg, [req], what, _fill(output_tensor_list, rbuf, recv), async_op, output_tensor_list)


def _fill(tensors, flat, counts):
    def finish():
        start = 0
        for t, c in zip(tensors, counts):
            np.copyto(t._data, flat[start:start + c].reshape(t._data.shape))
            t._vc[0] += 1
            start += c
    return finish
