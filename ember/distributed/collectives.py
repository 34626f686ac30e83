"""Collectives and point-to-point messages on Tensors, as PyTorch's ``torch.distributed``.

Every function works in place on the tensors it is given (their NumPy arrays are MPI buffers:
mpi4py's uppercase, buffer-based calls, no pickling) and returns None, or a ``Work`` with
``async_op=True``. Each runs as a non-blocking MPI call waited on with the group's timeout.

Mismatch check: before a collective's payload, the ranks exchange a 12-integer header (which
collective, the reduction, dtype, shape) with one small ``Allgather``; if they differ, every rank
raises the same RuntimeError listing each rank's call, instead of MPI reading garbage or hanging.
It costs one extra small-message latency per call (measured in docs/SCALING.md); DDP's gradient
buckets skip it (their shapes are checked once, when the model is wrapped). ``EMBER_DISTRIBUTED_CHECKS=0``
turns it off.

Example:
    >>> t = ember.tensor([float(dist.get_rank())])
    >>> dist.all_reduce(t)                         # on 2 ranks: t == [1.]
"""
import os
import time

import numpy as np

from .._tensor import Tensor, _wrap
from ._mpi import mpi
from .process_group import _resolve
from .reduce_op import RedOpType, as_op
from .work import Work, wait_requests

__all__ = ["all_reduce", "reduce", "broadcast", "all_gather", "all_gather_into_tensor", "reduce_scatter_tensor",
           "reduce_scatter",
           "gather", "scatter", "send", "recv", "isend", "irecv", "barrier", "monitored_barrier"]

_CHECKS = os.environ.get("EMBER_DISTRIBUTED_CHECKS", "1") != "0"
_KINDS = ("all_reduce", "reduce", "broadcast", "all_gather", "all_gather_into_tensor", "reduce_scatter_tensor",
          "gather", "scatter", "barrier", "all_gather_object", "gather_object", "broadcast_object_list",
          "scatter_object_list", "all_to_all_single", "all_to_all")
_DTYPES = ("float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool")
_MAX_DIMS = 8


# -- helpers ----------------------------------------------------------------------------------------
def _tensor(t, what, name="tensor"):
    if not isinstance(t, Tensor):
        raise TypeError(f"{what}: {name} must be an ember Tensor, got {type(t).__name__}")
    return t


def _header(kind, op, arr, root):
    h = np.full(4 + _MAX_DIMS, -1, np.int64)
    h[0], h[1], h[3] = _KINDS.index(kind), int(op), root
    h[2] = _DTYPES.index(arr.dtype.name) if arr.dtype.name in _DTYPES else 99
    shape = arr.shape if arr.ndim <= _MAX_DIMS - 1 else (-2,) + arr.shape[:_MAX_DIMS - 1]
    h[4] = arr.ndim
    h[5:5 + len(shape)] = shape[:_MAX_DIMS - 1]
    return h


def _describe(h):
    kind = _KINDS[h[0]] if 0 <= h[0] < len(_KINDS) else "?"
    dtype = _DTYPES[h[2]] if 0 <= h[2] < len(_DTYPES) else "?"
    shape = tuple(int(d) for d in h[5:5 + min(int(h[4]), _MAX_DIMS - 1)])
    op = f", op={RedOpType(int(h[1])).name}" if h[0] in (0, 1, 5) else ""
    root = f", root={int(h[3])}" if h[0] in (1, 2, 6, 7) else ""
    return f"{kind}(shape={shape}, dtype={dtype}{op}{root})"


def _check_same(pg, kind, arr, op=0, root=-1):
    """Every rank of ``pg`` must call the same collective on the same shape and dtype."""
    if not _CHECKS or pg.size() == 1:
        return
    mine = _header(kind, op, arr, root)
    every = np.empty((pg.size(), mine.size), np.int64)
    req = pg.comm.Iallgather(mine, every)
    wait_requests([req], pg.deadline(), f"{kind} (checking that all ranks call the same collective)")
    if (every == mine).all():
        return
    calls = "; ".join(f"rank {pg.ranks[i]}: {_describe(h)}" for i, h in enumerate(every))
    raise RuntimeError(f"ember.distributed: mismatched collective across ranks ({calls}). Every rank must call the "
                       f"same collective, in the same order, with tensors of the same shape and dtype.")


def _buffer(t, op=None):
    """A C-contiguous array MPI can reduce with ``op``, and whether it must be copied back into ``t``."""
    a = t._data
    if op is not None and a.dtype == np.float16:
        return a.astype(np.float32), True
    if op is not None and a.dtype == np.bool_:
        return a.astype(np.uint8), True
    if a.flags.c_contiguous and a.flags.writeable:
        return a, False
    return np.ascontiguousarray(a), True


def _writer(t, buf, copy_back, divide=None):
    """The finishing step: (divide,) copy into ``t``'s array if needed, bump its version."""
    def finish():
        if divide is not None:
            np.divide(buf, divide, out=buf, casting="unsafe")
        if copy_back:
            np.copyto(t._data, buf, casting="unsafe")
        t._vc[0] += 1
    return finish


def _mpi_op(op, dtype, what):
    MPI = mpi()
    if dtype == np.bool_:      # as PyTorch: SUM/MAX are logical or, PRODUCT/MIN logical and
        return {RedOpType.SUM: MPI.MAX, RedOpType.MAX: MPI.MAX, RedOpType.MIN: MPI.MIN,
                RedOpType.PRODUCT: MPI.MIN, RedOpType.BOR: MPI.MAX, RedOpType.BAND: MPI.MIN,
                RedOpType.BXOR: MPI.BXOR}[op]
    if op in (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR) and dtype.kind not in "iub":
        raise RuntimeError(f"{what}: ReduceOp.{op.name} needs an integer or bool tensor, got {dtype}")
    if op is RedOpType.AVG and dtype.kind not in "fc":
        raise RuntimeError(f"{what}: ReduceOp.AVG needs a floating-point tensor, got {dtype} (reduce with SUM "
                           f"and divide, or convert the tensor to float)")
    return {RedOpType.SUM: MPI.SUM, RedOpType.AVG: MPI.SUM, RedOpType.PRODUCT: MPI.PROD,
            RedOpType.MIN: MPI.MIN, RedOpType.MAX: MPI.MAX, RedOpType.BAND: MPI.BAND,
            RedOpType.BOR: MPI.BOR, RedOpType.BXOR: MPI.BXOR}[op]


def _run(pg, requests, what, finish, async_op, result=None):
    work = Work(requests, pg.deadline(), what, finish, result)
    if async_op:
        return work
    work.wait()
    return None


def _root(pg, rank, group_rank, name, what):
    if rank is not None and group_rank is not None:
        raise ValueError(f"{what}: give {name} or group_{name}, not both")
    if group_rank is not None:
        if not 0 <= group_rank < pg.size():
            raise ValueError(f"{what}: group_{name}={group_rank} is out of range 0..{pg.size() - 1}")
        return group_rank
    if rank is None:
        rank = 0
    return pg.group_rank(rank, what)


def _mpi_call(fn, what, *args):
    try:
        return fn(*args)
    except mpi().Exception as e:
        raise RuntimeError(f"{what}: MPI error: {e.Get_error_string()}") from None


# -- collectives ------------------------------------------------------------------------------------
def all_reduce(tensor, op=RedOpType.SUM, group=None, async_op=False):
    """Combine ``tensor`` over all ranks with ``op``; every rank gets the result, in place.

    Example:
        >>> t = ember.ones(3) * (dist.get_rank() + 1)
        >>> dist.all_reduce(t, op=dist.ReduceOp.SUM)      # 2 ranks: tensor([3., 3., 3.])
    """
    what = "all_reduce"
    pg = _resolve(group)
    _tensor(tensor, what)
    op = as_op(op, what)
    if pg is None:
        return None
    mop = _mpi_op(op, tensor._data.dtype, what)
    _check_same(pg, what, tensor._data, op)
    buf, back = _buffer(tensor, op)
    req = _mpi_call(pg.comm.Iallreduce, what, mpi().IN_PLACE, buf, mop)
    divide = pg.size() if op is RedOpType.AVG else None
    return _run(pg, [req], what, _writer(tensor, buf, back, divide), async_op, [tensor])


def reduce(tensor, dst=None, op=RedOpType.SUM, group=None, async_op=False, group_dst=None):
    """Combine ``tensor`` over all ranks with ``op`` into rank ``dst``'s tensor (the others keep theirs)."""
    what = "reduce"
    pg = _resolve(group)
    _tensor(tensor, what)
    op = as_op(op, what)
    if pg is None:
        return None
    root = _root(pg, dst, group_dst, "dst", what)
    mop = _mpi_op(op, tensor._data.dtype, what)
    _check_same(pg, what, tensor._data, op, root)
    buf, back = _buffer(tensor, op)
    MPI = mpi()
    if pg.rank() == root:
        req = _mpi_call(pg.comm.Ireduce, what, MPI.IN_PLACE, buf, mop, root)
        finish = _writer(tensor, buf, back, pg.size() if op is RedOpType.AVG else None)
    else:
        req = _mpi_call(pg.comm.Ireduce, what, buf, None, mop, root)
        finish = None
    return _run(pg, [req], what, finish, async_op, [tensor])


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy rank ``src``'s ``tensor`` into every rank's ``tensor``.

    Example:
        >>> dist.broadcast(t, src=0)
    """
    what = "broadcast"
    pg = _resolve(group)
    _tensor(tensor, what)
    if pg is None:
        return None
    root = _root(pg, src, group_src, "src", what)
    _check_same(pg, what, tensor._data, 0, root)
    buf, back = _buffer(tensor)
    req = _mpi_call(pg.comm.Ibcast, what, buf, root)
    finish = _writer(tensor, buf, back) if pg.rank() != root else None
    return _run(pg, [req], what, finish, async_op, [tensor])


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Every rank's ``tensor`` into ``tensor_list`` (one tensor per rank, in rank order).

    Example:
        >>> out = [ember.zeros(2) for _ in range(dist.get_world_size())]
        >>> dist.all_gather(out, ember.ones(2) * dist.get_rank())
    """
    what = "all_gather"
    pg = _resolve(group)
    _tensor(tensor, what)
    if pg is None:
        return None
    _check_list(tensor_list, pg.size(), tensor, what, "tensor_list")
    _check_same(pg, what, tensor._data)
    send = np.ascontiguousarray(tensor._data)
    out = np.empty((pg.size(),) + send.shape, send.dtype)
    req = _mpi_call(pg.comm.Iallgather, what, send, out)
    return _run(pg, [req], what, _scatter_rows(tensor_list, out), async_op, tensor_list)


def _check_list(tensors, n, like, what, name):
    if not isinstance(tensors, (list, tuple)) or len(tensors) != n:
        got = len(tensors) if isinstance(tensors, (list, tuple)) else type(tensors).__name__
        raise ValueError(f"{what}: {name} must be a list of {n} tensors (one per rank of the group), got {got}")
    for i, t in enumerate(tensors):
        _tensor(t, what, f"{name}[{i}]")
        if t._data.shape != like._data.shape or t._data.dtype != like._data.dtype:
            raise ValueError(f"{what}: {name}[{i}] has shape {tuple(t._data.shape)} and dtype {t._data.dtype}, but "
                             f"the tensor has shape {tuple(like._data.shape)} and dtype {like._data.dtype}; "
                             f"they must match")


def _scatter_rows(tensors, out):
    def finish():
        for t, row in zip(tensors, out):
            np.copyto(t._data, row)
            t._vc[0] += 1
    return finish


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's ``input_tensor`` concatenated (rank order, along dim 0 or stacked) into ``output_tensor``.

    Example:
        >>> out = ember.zeros(2 * dist.get_world_size())
        >>> dist.all_gather_into_tensor(out, ember.ones(2) * dist.get_rank())
    """
    what = "all_gather_into_tensor"
    pg = _resolve(group)
    _tensor(output_tensor, what, "output_tensor")
    _tensor(input_tensor, what, "input_tensor")
    if pg is None:
        return None
    _check_sizes(output_tensor, input_tensor, pg.size(), what, "output tensor", "input tensor")
    _check_same(pg, what, input_tensor._data)
    buf, back = _buffer(output_tensor)
    req = _mpi_call(pg.comm.Iallgather, what, np.ascontiguousarray(input_tensor._data), buf)
    return _run(pg, [req], what, _writer(output_tensor, buf, back), async_op, [output_tensor])


def _check_sizes(big, small, n, what, big_name, small_name):
    if big._data.dtype != small._data.dtype:
        raise TypeError(f"{what}: {big_name} and {small_name} must have the same dtype, got {big._data.dtype} "
                        f"and {small._data.dtype}")
    if big._data.size != n * small._data.size:
        raise ValueError(f"{what}: {big_name} must have world_size * {small_name} elements: {n} x "
                         f"{small._data.size} = {n * small._data.size}, got {big._data.size} "
                         f"(shapes {tuple(big._data.shape)} and {tuple(small._data.shape)})")


def reduce_scatter_tensor(output, input, op=RedOpType.SUM, group=None, async_op=False):
    """Reduce ``input`` over the ranks with ``op``; rank i keeps the i-th of world_size equal parts.

    Example:
        >>> out = ember.zeros(2)
        >>> dist.reduce_scatter_tensor(out, ember.arange(2.0 * dist.get_world_size()))
    """
    what = "reduce_scatter_tensor"
    pg = _resolve(group)
    _tensor(output, what, "output")
    _tensor(input, what, "input")
    op = as_op(op, what)
    if pg is None:
        return None
    _check_sizes(input, output, pg.size(), what, "input tensor", "output tensor")
    mop = _mpi_op(op, input._data.dtype, what)
    _check_same(pg, what, input._data, op)
    send, _ = _buffer(input, op)
    send = np.ascontiguousarray(send)
    buf, back = _buffer(output, op)
    req = _mpi_call(pg.comm.Ireduce_scatter_block, what, send, buf, mop)
    divide = pg.size() if op is RedOpType.AVG else None
    return _run(pg, [req], what, _writer(output, buf, back, divide), async_op, [output])


def reduce_scatter(output, input_list, op=RedOpType.SUM, group=None, async_op=False):
    """Reduce ``input_list`` (one tensor per rank, each shaped as ``output``) over the ranks with
    ``op``; rank i's ``output`` gets the reduction of every rank's ``input_list[i]``.

    Example:
        >>> out = ember.zeros(2)
        >>> dist.reduce_scatter(out, [ember.ones(2) * j for j in range(dist.get_world_size())])   # rank i: [n*i, n*i]
    """
    what = "reduce_scatter"
    _tensor(output, what, "output")
    if not isinstance(input_list, list) or not all(isinstance(t, Tensor) for t in input_list):
        raise TypeError(f"{what}: input_list must be a list of ember Tensors (one per rank), got "
                        f"{type(input_list).__name__}")
    dtypes = {t._data.dtype for t in [output, *input_list]}
    if len(dtypes) > 1:
        raise ValueError(f"Invalid usage of tensors with different dtypes: {what} found "
                         f"{', '.join(sorted(map(str, dtypes)))}; output and input_list must have one dtype")
    pg = _resolve(group)
    if pg is None:
        return None
    _check_list(input_list, pg.size(), output, what, "input_list")
    stacked = _wrap(np.stack([t._data for t in input_list]))
    return reduce_scatter_tensor(output, stacked, op, group, async_op)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """Every rank's ``tensor`` into ``gather_list`` on rank ``dst`` (None on the other ranks)."""
    what = "gather"
    pg = _resolve(group)
    _tensor(tensor, what)
    if pg is None:
        return None
    root = _root(pg, dst, group_dst, "dst", what)
    if pg.rank() == root:
        _check_list(gather_list, pg.size(), tensor, what, "gather_list")
    elif gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    _check_same(pg, what, tensor._data, 0, root)
    send = np.ascontiguousarray(tensor._data)
    if pg.rank() == root:
        out = np.empty((pg.size(),) + send.shape, send.dtype)
        req = _mpi_call(pg.comm.Igather, what, send, out, root)
        return _run(pg, [req], what, _scatter_rows(gather_list, out), async_op, gather_list)
    req = _mpi_call(pg.comm.Igather, what, send, None, root)
    return _run(pg, [req], what, None, async_op, [])


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """Rank ``src``'s ``scatter_list[i]`` into rank i's ``tensor``."""
    what = "scatter"
    pg = _resolve(group)
    _tensor(tensor, what)
    if pg is None:
        return None
    root = _root(pg, src, group_src, "src", what)
    if pg.rank() == root:
        _check_list(scatter_list, pg.size(), tensor, what, "scatter_list")
        send = np.ascontiguousarray(np.stack([t._data for t in scatter_list]))
    else:
        if scatter_list:
            raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
        send = None
    _check_same(pg, what, tensor._data, 0, root)
    buf, back = _buffer(tensor)
    req = _mpi_call(pg.comm.Iscatter, what, send, buf, root)
    return _run(pg, [req], what, _writer(tensor, buf, back), async_op, [tensor])


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank of ``group`` has reached this call."""
    pg = _resolve(group)
    if pg is None:
        return None
    req = _mpi_call(pg.comm.Ibarrier, "barrier")
    return _run(pg, [req], "barrier", None, async_op)


def monitored_barrier(group=None, timeout=None, wait_all_ranks=False):
    """``barrier`` with its own ``timeout`` (a ``datetime.timedelta``)."""
    pg = _resolve(group)
    if pg is None:
        return None
    req = _mpi_call(pg.comm.Ibarrier, "monitored_barrier")
    work = Work([req], pg.deadline(), "monitored_barrier")
    work.wait(timeout)
    return None


# -- point to point ---------------------------------------------------------------------------------
def _peer(pg, rank, group_rank, name, what):
    if rank is None and group_rank is None:
        raise ValueError(f"{what}: give the peer's rank ({name}=...)")
    peer = _root(pg, rank, group_rank, name, what)
    if peer == pg.rank():
        raise ValueError(f"Invalid {name} rank: {rank if rank is not None else group_rank} is this process's own "
                         f"rank; a process cannot {what} to itself")
    return peer


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` without waiting; returns a Work (``work.wait()``)."""
    pg = _resolve(group)
    _tensor(tensor, "isend")
    if pg is None:
        return None
    peer = _peer(pg, dst, group_dst, "dst", "send")
    buf = np.ascontiguousarray(tensor._data)
    req = _mpi_call(pg.comm.Isend, "isend", buf, peer, tag)
    return Work([req], pg.deadline(), f"send to rank {dst}", result=[tensor])


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send ``tensor`` to rank ``dst`` (which calls ``recv``)."""
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from rank ``src`` (any rank when None) without waiting; returns a Work."""
    what = "irecv"
    pg = _resolve(group)
    _tensor(tensor, what)
    if pg is None:
        return None
    MPI = mpi()
    peer = MPI.ANY_SOURCE if src is None and group_src is None else _peer(pg, src, group_src, "src", "recv")
    buf, back = _buffer(tensor)
    req = _mpi_call(pg.comm.Irecv, what, buf, peer, tag)
    return Work([req], pg.deadline(), f"recv from rank {'any' if src is None else src}",
                _writer(tensor, buf, back), [tensor])


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into ``tensor`` from rank ``src`` (any when None); returns the sender's rank."""
    what = "recv"
    pg = _resolve(group)
    _tensor(tensor, what)
    if pg is None:
        return -1
    MPI = mpi()
    peer = MPI.ANY_SOURCE if src is None and group_src is None else _peer(pg, src, group_src, "src", "recv")
    buf, back = _buffer(tensor)
    req = _mpi_call(pg.comm.Irecv, what, buf, peer, tag)
    deadline = pg.deadline()
    status = MPI.Status()
    try:
        while not req.Test(status):
            if time.monotonic() > deadline:
                req.Cancel()
                raise RuntimeError(f"ember.distributed: recv from rank {src if src is not None else 'any'} timed out "
                                   f"after the process group's timeout: the sender died or never called send")
            time.sleep(2e-5)
    except MPI.Exception as e:
        raise RuntimeError(f"recv: MPI error: {e.Get_error_string()} (the sender's tensor must have the same number "
                           f"of elements and dtype as this one, {tuple(tensor._data.shape)} {tensor._data.dtype})") from None
    if status.Get_count(MPI.BYTE) != buf.nbytes:
        raise RuntimeError(f"recv: received {status.Get_count(MPI.BYTE)} bytes but the tensor holds {buf.nbytes} "
                           f"({tuple(tensor._data.shape)} {tensor._data.dtype}); send and recv tensors must match")
    _writer(tensor, buf, back)()
    return pg.ranks[status.Get_source()]
