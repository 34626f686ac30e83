"""``P2POp`` and ``batch_isend_irecv``: a list of sends and receives started together, as PyTorch's.

Each ``P2POp`` names ``dist.isend`` or ``dist.irecv``, a tensor and a peer; ``batch_isend_irecv``
starts them all as non-blocking MPI messages and returns one ``Work`` per operation. MPI matches
messages by (peer, tag) in the order they were posted, so the order of sends and receives in the
list cannot deadlock; several messages between the same pair in the same direction match in order.

Example (a ring: each rank sends to the next and receives from the previous one):
    >>> r, n = dist.get_rank(), dist.get_world_size()
    >>> got = ember.zeros(2)
    >>> ops = [dist.P2POp(dist.isend, ember.ones(2) * r, (r + 1) % n),
    ...        dist.P2POp(dist.irecv, got, (r - 1) % n)]
    >>> for work in dist.batch_isend_irecv(ops):
    ...     work.wait()
"""
from .._tensor import Tensor
from .collectives import irecv, isend
from .process_group import _resolve

__all__ = ["P2POp", "batch_isend_irecv"]


def _group_rank(pg, peer, group_peer):
    if peer is not None and group_peer is not None:
        raise ValueError("Can't specify both group_rank and global_rank (P2POp: give peer or group_peer, not both)")
    if peer is None and group_peer is None:
        raise ValueError("Must specify global_rank or group_rank (P2POp: give the peer's rank, peer=...)")
    if group_peer is not None:
        if not 0 <= group_peer < pg.size():
            raise ValueError(f"P2POp: group_peer={group_peer} is out of range 0..{pg.size() - 1}")
        return group_peer
    return pg.group_rank(peer, "P2POp")


class P2POp:
    """One point-to-point operation for ``batch_isend_irecv``: ``op`` (``dist.isend`` or ``dist.irecv``),
    ``tensor``, ``peer`` (a global rank; or ``group_peer``, a rank of ``group``) and ``tag``.

    Example:
        >>> op = dist.P2POp(dist.isend, ember.ones(3), peer=1)
    """

    def __init__(self, op, tensor, peer=None, group=None, tag=0, group_peer=None):
        if op is not isend and op is not irecv:
            raise ValueError("Invalid ``op``. Expected ``op`` to be of type ``torch.distributed.isend`` or "
                             f"``torch.distributed.irecv``. (got {getattr(op, '__name__', op)!r})")
        if not isinstance(tensor, Tensor):
            raise TypeError(f"Invalid function argument. Expected parameter `tensor` of type ember Tensor but got "
                            f"{type(tensor)} instead.")
        self.op = op
        self.tensor = tensor
        self.group = group
        pg = _resolve(group)
        self.group_peer = _group_rank(pg, peer, group_peer) if pg is not None else group_peer
        self.peer = pg.ranks[self.group_peer] if pg is not None else peer
        self.tag = tag

    def __repr__(self):
        pg = _resolve(self.group)
        me = pg.rank() if pg is not None else -1
        src, dst = (me, self.group_peer) if self.op is isend else (self.group_peer, me)
        return (f"P2POp({self.op.__name__} group_src={src}, group_dst={dst}, {tuple(self.tensor.shape)}, "
                f"{self.tensor.dtype})")


def batch_isend_irecv(p2p_op_list):
    """Start every ``P2POp`` of the list; returns their ``Work``s (call ``wait()`` on each).

    Example:
        >>> works = dist.batch_isend_irecv([dist.P2POp(dist.irecv, buf, 0)])
        >>> [w.wait() for w in works]
        [True]
    """
    if not isinstance(p2p_op_list, list) or not all(isinstance(p, P2POp) for p in p2p_op_list):
        raise ValueError("Invalid ``p2p_op_list``. Each op is expected to to be of type "
                         "``torch.distributed.P2POp``.")
    if not p2p_op_list:
        raise IndexError("batch_isend_irecv: p2p_op_list is empty; pass at least one P2POp")
    group = p2p_op_list[0].group
    if not all(_resolve(p.group) is _resolve(group) for p in p2p_op_list):
        raise ValueError("All ops need to use the same group.")
    works = []
    for p in p2p_op_list:
        key = "group_dst" if p.op is isend else "group_src"
        work = p.op(p.tensor, group=p.group, tag=p.tag, **{key: p.group_peer})
        if work is not None:
            works.append(work)
    return works
