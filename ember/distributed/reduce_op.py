"""``ReduceOp``: how ``all_reduce``/``reduce``/``reduce_scatter_tensor`` combine the ranks' values.

As PyTorch: ``ReduceOp.SUM``, ``AVG``, ``PRODUCT``, ``MIN``, ``MAX`` (and the bitwise ``BAND``,
``BOR``, ``BXOR`` for integers) are members of ``ReduceOp.RedOpType`` with PyTorch's values.

Example:
    >>> dist.all_reduce(t, op=dist.ReduceOp.MAX)
"""
import enum

__all__ = ["ReduceOp"]


class RedOpType(enum.IntEnum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8


class ReduceOp:
    """The reduction operations (``ReduceOp.SUM`` is ``ReduceOp.RedOpType.SUM``)."""
    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM


def as_op(op, what):
    """``op`` as a RedOpType, or a clear error."""
    try:
        op = RedOpType(op)
    except (ValueError, TypeError):
        raise ValueError(f"{what}: op must be a dist.ReduceOp (SUM, AVG, PRODUCT, MIN, MAX, BAND, BOR, BXOR), "
                         f"got {op!r}") from None
    if op is RedOpType.PREMUL_SUM:
        raise NotImplementedError(f"{what}: ReduceOp.PREMUL_SUM is not supported by ember's MPI backend")
    return op
