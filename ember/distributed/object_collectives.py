"""Collectives on picklable Python objects, as PyTorch's ``all_gather_object``, ``gather_object``,
``broadcast_object_list`` and ``scatter_object_list``.

Each object is pickled (``pickle``'s default protocol, as PyTorch) into bytes; the ranks first
exchange a 12-integer header (the sizes, and the check that every rank calls the same collective:
``_agree.py``), then the bytes move in one variable-size MPI call (``Iallgatherv``, ``Igatherv``,
``Ibcast``, ``Iscatterv``) waited on with the group's timeout, and are unpickled on the receiving
ranks. ember Tensors inside the objects arrive as ember Tensors (values, dtype, shape and
``requires_grad``; not their autograd history). These calls block (no ``async_op``), as PyTorch's.

Security: unpickling runs whatever code the bytes name. As PyTorch warns, use these functions only
between trusted peers (the ranks of your own job); never feed them data from elsewhere.

Example:
    >>> out = [None] * dist.get_world_size()
    >>> dist.all_gather_object(out, {"rank": dist.get_rank()})
    >>> out                                          # on 2 ranks
    [{'rank': 0}, {'rank': 1}]
"""
import pickle

import numpy as np

from .._tensor import device as _device
from ._agree import SIZES, exchange
from ._mpi import mpi
from .collectives import _mpi_call, _peer, _root
from .process_group import _resolve
from .work import wait_requests

__all__ = ["all_gather_object", "gather_object", "broadcast_object_list", "scatter_object_list", "send_object_list",
           "recv_object_list"]

_TAG = 32001          # send/recv_object_list's messages: a tag of their own, so they never match a tensor recv


# -- helpers ----------------------------------------------------------------------------------------
def _pickle(obj, what):
    """(bytes as a uint8 array, None) or (None, the error pickling raised)."""
    try:
        return np.frombuffer(pickle.dumps(obj), np.uint8), None
    except Exception as e:                # pickling runs user code (__reduce__): any error is possible
        e.args = (f"{what}: the object cannot be pickled ({type(e).__name__}: {e}); only picklable objects can be "
                  f"sent between ranks",)
        return None, e


def _unpickle(buf):
    return pickle.loads(buf.tobytes())


def _pickle_list(objects, what):
    """(payload, None): the objects' sizes (int64) then their pickles; or (None, the pickling error)."""
    pieces = []
    for obj in objects:
        data, error = _pickle(obj, what)
        if error is not None:
            return None, error
        pieces.append(data)
    sizes = np.array([p.size for p in pieces], np.int64)
    return np.concatenate([sizes.view(np.uint8)] + pieces), None


def _unpickle_list(payload, n, out):
    sizes = payload[:8 * n].view(np.int64)
    counts, displs = _offsets(sizes)
    for i, (c, d) in enumerate(zip(counts, displs)):
        out[i] = _unpickle(payload[8 * n + d:8 * n + d + c])


def _offsets(counts):
    counts = [int(c) for c in counts]
    return counts, [int(d) for d in np.concatenate([[0], np.cumsum(counts)[:-1]])]


def _wait(pg, req, what):
    wait_requests([req], pg.deadline(), what)


def _check_output_list(out, n, what, name):
    """PyTorch's error (type) for an output list that cannot take n objects; None when it can."""
    if not hasattr(out, "__setitem__") or isinstance(out, (tuple, str, bytes)):
        return TypeError(f"{what}: {name} must be a list (the results are written into it), got "
                         f"{type(out).__name__}")
    if len(out) < n:
        return IndexError(f"{what}: {name} has {len(out)} entries but the group has {n} ranks; pass a list of "
                          f"group size, e.g. [None] * dist.get_world_size(group)")
    return None


# -- the collectives ----------------------------------------------------------------------------------
def all_gather_object(object_list, obj, group=None):
    """Every rank's picklable ``obj`` into ``object_list`` (one entry per rank, in rank order).

    ``object_list`` must have at least group-size entries. Uses pickle: only between trusted peers.

    Example:
        >>> out = [None] * dist.get_world_size()
        >>> dist.all_gather_object(out, ("rank", dist.get_rank()))     # 2 ranks: [('rank', 0), ('rank', 1)]
    """
    what = "all_gather_object"
    pg = _resolve(group)
    if pg is None:
        return None
    late_error = _check_output_list(object_list, pg.size(), what, "object_list")   # raised after, as PyTorch
    data, error = _pickle(obj, what)
    every = exchange(pg, what, what, sizes=(0 if data is None else data.size,), error=error)
    counts, displs = _offsets(every[:, SIZES])
    recv = np.empty(sum(counts), np.uint8)
    MPI = mpi()
    _wait(pg, _mpi_call(pg.comm.Iallgatherv, what, [data, MPI.BYTE], [recv, (counts, displs), MPI.BYTE]), what)
    if late_error is not None:
        raise late_error
    for i, (c, d) in enumerate(zip(counts, displs)):
        object_list[i] = _unpickle(recv[d:d + c])
    return None


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """Every rank's picklable ``obj`` into ``object_gather_list`` on rank ``dst`` (default 0).

    Pass the list (group-size entries) on ``dst`` only; None on the other ranks. Uses pickle:
    only between trusted peers.

    Example:
        >>> out = [None] * dist.get_world_size() if dist.get_rank() == 0 else None
        >>> dist.gather_object({"loss": 0.5}, out, dst=0)
    """
    what = "gather_object"
    pg = _resolve(group)
    if pg is None:
        return None
    root = _root(pg, dst, group_dst, "dst", what)
    me = pg.rank()
    error = late_error = None
    if me == root and not object_gather_list:
        error = ValueError("Argument ``gather_list`` must be specified on destination rank. (gather_object: pass a "
                           "list of group size as object_gather_list on rank dst)")
    elif me != root and object_gather_list:
        error = ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks. "
                           "(gather_object: pass object_gather_list=None on ranks other than dst)")
    elif me == root:
        late_error = _check_output_list(object_gather_list, pg.size(), what, "object_gather_list")
    data, pickle_error = _pickle(obj, what)
    every = exchange(pg, what, what, root=root, sizes=(0 if data is None else data.size,),
                     error=error or pickle_error)
    counts, displs = _offsets(every[:, SIZES])
    MPI = mpi()
    if me == root:
        recv = np.empty(sum(counts), np.uint8)
        recv_spec = [recv, (counts, displs), MPI.BYTE]
        _wait(pg, _mpi_call(pg.comm.Igatherv, what, [data, MPI.BYTE], recv_spec, root), what)
        if late_error is not None:
            raise late_error
        for i, (c, d) in enumerate(zip(counts, displs)):
            object_gather_list[i] = _unpickle(recv[d:d + c])
    else:
        _wait(pg, _mpi_call(pg.comm.Igatherv, what, [data, MPI.BYTE], None, root), what)
    return None


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """Rank ``src``'s (default 0) picklable objects in ``object_list`` into every rank's ``object_list``.

    Every rank passes a list of the same length; the other ranks' entries are replaced. Uses
    pickle: only between trusted peers.

    Example:
        >>> objs = [{"epoch": 3}, "ckpt.pt"] if dist.get_rank() == 0 else [None, None]
        >>> dist.broadcast_object_list(objs, src=0)          # every rank: [{'epoch': 3}, 'ckpt.pt']
    """
    what = "broadcast_object_list"
    pg = _resolve(group)
    if pg is None:
        return None
    if device is not None:
        _device(device)                 # ember runs on the CPU: RuntimeError for any other device
    root = _root(pg, src, group_src, "src", what)
    me = pg.rank()
    error, payload, n = None, None, -1
    if not isinstance(object_list, list):
        error = TypeError(f"{what}: object_list must be a list (every rank passes one of the same length), got "
                          f"{type(object_list).__name__}")
    elif not object_list:
        error = ValueError(f"{what}: object_list is empty; pass a list of the objects to broadcast (on rank src) "
                           f"or of placeholders of the same length (on the other ranks)")
    else:
        n = len(object_list)
    if error is None and me == root:
        payload, error = _pickle_list(object_list, what)
    every = exchange(pg, what, what, root=root, sizes=(n, -1 if payload is None else payload.size), error=error,
                     same=(0,))
    if me == root:
        _wait(pg, _mpi_call(pg.comm.Ibcast, what, payload, root), what)
        return None
    payload = np.empty(int(every[root, SIZES + 1]), np.uint8)
    _wait(pg, _mpi_call(pg.comm.Ibcast, what, payload, root), what)
    _unpickle_list(payload, n, object_list)
    return None


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None, group=None,
                        group_src=None):
    """Rank ``src``'s (default 0) ``scatter_object_input_list[i]`` into rank i's ``scatter_object_output_list[0]``.

    The input list (on ``src`` only) has one picklable object per rank. Uses pickle: only between
    trusted peers.

    Example:
        >>> out = [None]
        >>> dist.scatter_object_list(out, ["a", "b"] if dist.get_rank() == 0 else None, src=0)
        >>> out                                          # rank 1 of 2: ['b']
    """
    what = "scatter_object_list"
    pg = _resolve(group)
    if pg is None:
        return None
    root = _root(pg, src, group_src, "src", what)
    me, n = pg.rank(), pg.size()
    error, payload, counts = None, None, None
    if not isinstance(scatter_object_output_list, list) or len(scatter_object_output_list) < 1:
        error = ValueError("Expected argument scatter_object_output_list to be a list of size at least 1.")
    elif me == root and scatter_object_input_list is None:
        error = ValueError("source rank must provide non-None scatter_object_input_list")
    elif me == root and not hasattr(scatter_object_input_list, "__len__"):
        error = TypeError(f"{what}: scatter_object_input_list must be a list (one object per rank), got "
                          f"{type(scatter_object_input_list).__name__}")
    elif me == root and len(scatter_object_input_list) != n:
        error = RuntimeError(f"{what}: Incorrect input list size {len(scatter_object_input_list)}. Input list size "
                             f"should be {n}, same as size of the process group.")
    elif me == root:
        pieces = []
        for obj in scatter_object_input_list:
            data, error = _pickle(obj, what)
            if error is not None:
                break
            pieces.append(data)
        if error is None:
            counts = np.array([p.size for p in pieces], np.int64)
            payload = np.concatenate(pieces)
    exchange(pg, what, what, root=root, error=error)
    MPI = mpi()
    size = np.zeros(1, np.int64)
    _wait(pg, _mpi_call(pg.comm.Iscatter, what, counts, size, root), what)
    recv = np.empty(int(size[0]), np.uint8)
    send = [payload, _offsets(counts), MPI.BYTE] if me == root else None
    _wait(pg, _mpi_call(pg.comm.Iscatterv, what, send, [recv, MPI.BYTE], root), what)
    scatter_object_output_list[0] = _unpickle(recv)
    return None


# -- point to point ---------------------------------------------------------------------------------------
def send_object_list(object_list, dst=None, group=None, device=None, group_dst=None, use_batch=False):
    """Send the picklable objects of ``object_list`` to rank ``dst``, which calls ``recv_object_list``
    with a list of the same length. Blocks until sent. Uses pickle: only between trusted peers.

    Two messages on a tag of their own: (count, bytes), then the sizes and pickles. ``use_batch``
    changes nothing on MPI (PyTorch: which NCCL communicator carries the messages).

    Example:
        >>> if dist.get_rank() == 0:
        ...     dist.send_object_list([{"step": 10}, "ok"], dst=1)
    """
    what = "send_object_list"
    pg = _resolve(group)
    if device is not None:
        _device(device)
    if pg is None:
        return None
    peer = _peer(pg, dst, group_dst, "dst", "send")
    payload, error = _pickle_list(object_list, what)
    if error is not None:
        raise error
    head = np.array([len(object_list), payload.size], np.int64)
    MPI = mpi()
    reqs = [_mpi_call(pg.comm.Isend, what, head, peer, _TAG),
            _mpi_call(pg.comm.Isend, what, [payload, MPI.BYTE], peer, _TAG)]
    wait_requests(reqs, pg.deadline(), f"{what} to rank {pg.ranks[peer]} (it must call recv_object_list)")
    return None


def recv_object_list(object_list, src=None, group=None, device=None, group_src=None, use_batch=False):
    """Receive the objects rank ``src`` sends with ``send_object_list`` into ``object_list`` (a list of
    the same length as the sender's); returns the sender's global rank. Uses pickle: only between
    trusted peers.

    Example:
        >>> if dist.get_rank() == 1:
        ...     objs = [None, None]
        ...     dist.recv_object_list(objs, src=0)            # objs == [{'step': 10}, 'ok']
        0
    """
    what = "recv_object_list"
    pg = _resolve(group)
    if device is not None:
        _device(device)
    if pg is None:
        return -1
    peer = _peer(pg, src, group_src, "src", "recv")
    head = np.zeros(2, np.int64)
    wait = f"{what} from rank {pg.ranks[peer]} (it must call send_object_list)"
    wait_requests([_mpi_call(pg.comm.Irecv, what, head, peer, _TAG)], pg.deadline(), wait)
    payload = np.empty(int(head[1]), np.uint8)
    wait_requests([_mpi_call(pg.comm.Irecv, what, [payload, mpi().BYTE], peer, _TAG)], pg.deadline(), wait)
    n = int(head[0])
    if not isinstance(object_list, list) or len(object_list) != n:
        got = len(object_list) if isinstance(object_list, list) else type(object_list).__name__
        raise ValueError(f"{what}: rank {pg.ranks[peer]} sent {n} objects but object_list has {got} entries; pass "
                         f"a list of the same length as the sender's (e.g. [None] * {n})")
    _unpickle_list(payload, n, object_list)
    return pg.ranks[peer]
