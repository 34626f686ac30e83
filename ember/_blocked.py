"""Large elementwise ops and full sums, split into blocks on ember's threads.

Opt-in: ``EMBER_SPLIT_ELEMENTWISE=1`` in the environment before importing ember (fast mode only).
Measured on this 2-core machine it does not pay in the benchmarks' chain (see "What it costs"
below), so it is off by default; the machinery and its tests stay so that a machine where it does
pay (more cores, cheaper thread wake-ups) can switch it on.

A speed-up, not math. An op class that declares ``elementwise = True`` promises that its forward
and backward compute each element from the same element of its same-shape array arguments (and
from Python numbers), and that they use ``ctx`` only through ``save_for_backward``,
``saved_tensors``, ``needs_input_grad`` and plain attributes that do not depend on the data.
For such an op on a large array (``MIN_ELEMENTS``), ``forward`` and ``backward`` below run the
op's *own* forward or backward on blocks of the flattened arrays (two per thread), handed out to
ember's threads (``_parallel.run_chunks``; NumPy releases the GIL inside ufuncs), each block's
result copied into one preallocated array. The same ufuncs run on the same elements, so the
result is bitwise the plain call's on any number of threads. The graph is the plain path's: the
real node gets full arrays as its saved values (each block's saved input or output mapped back to
the full array it is a block of; a fresh intermediate, e.g. GELU's cdf, gathered into one full
array), so versions, hooks and ``create_graph`` see nothing new. An op whose formula depends on
the whole array (``_math.sigmoid`` picks one of two by the minimum) declares that decision as
``elementwise_branch``; the blocks are kept only if they all decide alike.

Anything else runs the plain call: arrays of different shapes (broadcasting) or dtypes, a
non-contiguous array, a non-float dtype, a NumPy scalar or 0-d array of another dtype, an
argument that is not a number, anomaly mode, one thread; and, checked on every block, an op that
saves something else, sets an array attribute, or returns something other than a fresh
block-shaped array of the input's dtype (the blocks' work is dropped and the plain call runs).

What it costs and when it pays (measured on this 2-core machine, 1024x1024 float32): waking a
worker thread takes ~30 us and copying the blocks' results into the output ~0.1 ms per 4 MiB
array, so only ops that are costly per element are marked (transcendental functions, GELU, SiLU,
ELU, leaky ReLU, hardswish, abs: fwd+bwd 0.6-0.9x the one-thread time at 2 threads, idle
machine); one cheap pass (``+ - * /``, relu, sqrt, log) is 1.3-1.6x slower split, and is not
marked. Even so the benchmarks' 10-op chain is no faster split (most of its time is cheap,
memory-bound passes and the engine's gradient sums), and with other processes on the cores every
split op is slower (the main thread waits for a worker that waits for a core). Even an ideal
split without the copy (NumPy's ``out=`` on halves) reached only 1.5x for tanh's backward, and a
multiply by a number got slower (92 -> 129 us). On one thread the plain call runs: cache-sized blocks do not pay here (the
arrays stay in the 32 MiB L3, and the copy costs more than the temporaries kept in L2 save).

``sum_all``/``mean_all`` (full ``sum``/``mean`` of a float32/float64 array): NumPy sums a
contiguous array by pairwise summation, halving the range (rounded down to a multiple of 8) down
to 128-element leaves. The top levels of that recursion are followed here down to pieces of at
most ``SUM_BLOCK`` elements, the pieces summed on the threads (each by NumPy's own pairwise sum)
and combined up the same tree: bitwise NumPy's ``a.sum()`` / ``a.mean()``, whatever the thread
count (the pieces depend on the size only).

Example:
    >>> ember.set_num_threads(2)
    >>> x = ember.randn(1024, 1024, requires_grad=True)
    >>> y = x.tanh()          # Tanh is elementwise: 4 blocks of 262144 on 2 threads
"""
import contextvars
import threading

import numpy as np

from . import _parallel

__all__ = []

# Smallest array split (elements): below it the hand-off to a thread costs more than it saves.
MIN_ELEMENTS = 1 << 18
# Elementwise ops: two blocks per thread (a thread that starts late takes fewer), of at least
# MIN_BLOCK elements. The partition does not change results (each element comes from the same
# ufunc loop on contiguous data whichever block holds it).
MIN_BLOCK = 1 << 16
# Full sums: the pieces of NumPy's pairwise recursion, at most SUM_BLOCK elements (fixed by the
# size alone, so the sum is the same on any thread count: bitwise NumPy's).
SUM_BLOCK = 1 << 18

ENABLED = [False]      # set by _fast.install() from EMBER_SPLIT_ELEMENTWISE; EMBER_FAST=0 never splits
FORCE = [False]        # tests: split even on one thread (blocks run one after the other)

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class _Mismatch(Exception):
    """A block did not behave as ``elementwise`` promises: run the plain call instead."""


class _BlockContext:
    """The ``ctx`` an op's forward or backward sees for one block: its own saved values; anything
    else it reads comes from the real node, anything else it sets is collected
    (forward) and must be the same for every block."""

    def __init__(self, needs, node=None, saved=()):
        self.needs_input_grad = needs
        self._saved = saved
        self._node = node

    def save_for_backward(self, *values):
        self._saved = values

    @property
    def saved_tensors(self):
        return self._saved

    def __getattr__(self, name):           # only for names not set on the block's ctx
        if name.startswith("__") or self._node is None:
            raise AttributeError(name)
        return getattr(self._node, name)

    def attributes(self):
        """What forward set besides its saved values, as a sorted tuple of (name, value)."""
        return tuple(sorted((k, v) for k, v in self.__dict__.items()
                            if k not in ("needs_input_grad", "_saved", "_node")))


def _threads():
    """How many threads split the blocks (0: run the plain call)."""
    if not ENABLED[0]:
        return 0
    n = _parallel.workers()
    return n if n > 1 or FORCE[0] else 0


def _blocks(n, nw):
    """(index, start, stop) of each block of ``n`` elements for ``nw`` threads."""
    size = max(MIN_BLOCK, -(-n // (2 * nw)))
    return [(k, s, min(n, s + size)) for k, s in enumerate(range(0, n, size))]


def _run(chunks, nw, work):
    """``work(*chunk)`` for every chunk, on ``nw`` threads; each thread runs in a copy of the
    caller's context (NumPy's ``errstate`` is a context variable: ``np.seterr`` holds in the
    blocks as in the plain call)."""
    contexts = [contextvars.copy_context() for _ in range(min(nw, len(chunks)))]
    _parallel.run_chunks(chunks, nw, contexts.pop, lambda cv, *c: cv.run(work, *c))


def _layout(values, masks=False):
    """(shape, dtype) when the arrays among ``values`` can be cut into the same blocks: one shape,
    one float dtype (``masks``: or bool, for a backward's saved masks), C-contiguous, at least
    ``MIN_ELEMENTS``; 0-d arrays and NumPy scalars of that dtype and Python numbers pass through.
    None otherwise."""
    shape = dtype = None
    for v in values:
        if type(v) is np.ndarray and v.ndim:
            if shape is None:
                if v.size < MIN_ELEMENTS or v.dtype.kind != "f":
                    return None
                shape, dtype = v.shape, v.dtype
            elif v.shape != shape or (v.dtype != dtype and not (masks and v.dtype == np.bool_)):
                return None
            if not v.flags.c_contiguous:
                return None
    if shape is None:
        return None
    for v in values:
        if isinstance(v, np.generic) or type(v) is np.ndarray and not v.ndim:
            if v.dtype != dtype:
                return None
        elif type(v) is np.ndarray:
            continue
        elif v is not None and type(v) not in (int, float, bool):
            return None
    return shape, dtype


def _cutter(values):
    """A function giving block (s, e) of every value: a slice of each flattened array, the others
    as they are."""
    flat = [v.reshape(-1) if type(v) is np.ndarray and v.ndim else None for v in values]

    def cut(s, e):
        return [v if f is None else f[s:e] for v, f in zip(values, flat)]
    return cut


def _role(value, args, result):
    """What a block's saved value is: None, "out" (its result), the index of its argument, or
    "temp" (a fresh intermediate array of the block's size: saved as one full array)."""
    if value is None:
        return None
    if value is result:
        return "out"
    for i, a in enumerate(args):
        if value is a:
            return i
    if type(value) is np.ndarray and value.shape == result.shape and value.base is None:
        return "temp"
    raise _Mismatch


def _same(a, b):
    """Two blocks' non-array ctx attributes agree (arrays would differ from block to block)."""
    if len(a) != len(b):
        return False
    for (ka, va), (kb, vb) in zip(a, b):
        if ka != kb or isinstance(va, np.ndarray) or isinstance(vb, np.ndarray):
            return False
        if va is not vb:
            try:
                if not (type(va) is type(vb) and bool(va == vb)):
                    return False
            except (TypeError, ValueError):      # e.g. tuples holding arrays
                return False
    return True


def forward(cls, ctx, raw):
    """``cls.forward(ctx, *raw)`` on blocks, or None when the plain call must run."""
    first = raw[0] if raw else None
    if type(first) is np.ndarray and first.size < MIN_ELEMENTS:    # the common case, decided first
        return None
    nw = _threads()
    if not nw:
        return None
    layout = _layout(raw)
    if layout is None:
        return None
    shape, dtype = layout
    out = np.empty(shape, dtype)
    dest = out.reshape(-1)
    n = dest.size
    cut = _cutter(raw)
    needs = ctx.needs_input_grad
    branch = getattr(cls, "elementwise_branch", None)
    lock = threading.Lock()
    temps = {}                    # position among saved values -> (full array, flat view)
    records = {}

    def work(k, s, e):
        args = cut(s, e)
        bctx = _BlockContext(needs, ctx)
        key = branch(*args) if branch is not None else None
        r = cls.forward(bctx, *args)
        if type(r) is not np.ndarray or r.dtype != dtype or r.shape != (e - s,) or any(r is a for a in args):
            raise _Mismatch
        dest[s:e] = r
        roles = []
        for pos, v in enumerate(bctx._saved):
            role = _role(v, args, r)
            if role == "temp":
                with lock:
                    if pos not in temps:
                        full = np.empty(shape, v.dtype)
                        temps[pos] = (full, full.reshape(-1))
                full, flat = temps[pos]
                if full.dtype != v.dtype:
                    raise _Mismatch
                flat[s:e] = v
            roles.append(role)
        records[k] = (key, tuple(roles), bctx.attributes())

    try:
        _run(_blocks(n, nw), nw, work)
    except _Mismatch:
        return None
    key, roles, attrs = records[0]
    for other in records.values():
        if other[0] != key or other[1] != roles or not _same(other[2], attrs):
            return None
    if roles:
        ctx.save_for_backward(*[None if r is None else out if r == "out" else temps[pos][0] if r == "temp"
                                else raw[r] for pos, r in enumerate(roles)])
    for name, value in attrs:
        setattr(ctx, name, value)
    return out


def backward(node, grad):
    """``node.fn.backward(node, grad)`` on blocks (a tuple of gradients), or None when the plain
    call must run."""
    if type(grad) is not np.ndarray or grad.size < MIN_ELEMENTS:
        return None
    nw = _threads()
    if not nw:
        return None
    saved = node.saved_tensors              # raises here, as the plain call would (freed, modified)
    if _layout((grad,) + tuple(saved), masks=True) is None:
        return None
    shape, dtype = grad.shape, grad.dtype
    needs = node.needs_input_grad
    outs = [np.empty(shape, dtype) if need else None for need in needs]
    dests = [None if o is None else o.reshape(-1) for o in outs]
    cut_saved = _cutter(saved)
    flat_grad = grad.reshape(-1)
    fn = node.fn
    kinds = {}

    def work(k, s, e):
        g = flat_grad[s:e]
        r = fn.backward(_BlockContext(needs, node, tuple(cut_saved(s, e))), g)
        if type(r) is not tuple:
            r = (r,)
        if len(r) != len(dests):
            raise _Mismatch
        kind = []
        for i, x in enumerate(r):
            if x is None:
                kind.append(None)
            elif x is g:
                kind.append("grad")      # the gradient passed through (Add): no copy, as plain
            elif (type(x) is np.ndarray and dests[i] is not None and x.dtype == dtype
                  and x.shape == (e - s,)):
                dests[i][s:e] = x
                kind.append("new")
            else:
                raise _Mismatch
        kinds[k] = tuple(kind)

    try:
        _run(_blocks(grad.size, nw), nw, work)
    except _Mismatch:
        return None
    first = kinds[0]
    if any(k != first for k in kinds.values()):
        return None
    return tuple(None if kind is None else grad if kind == "grad" else o for kind, o in zip(first, outs))


# -- full sums ------------------------------------------------------------------------------------
def _pairwise_tree(start, n):
    """NumPy's pairwise split of ``n`` elements from ``start``, down to pieces of at most
    ``SUM_BLOCK``: a piece is (start, stop), an inner node [left, right]."""
    if n <= SUM_BLOCK:
        return (start, start + n)
    half = n // 2
    half -= half % 8
    return [_pairwise_tree(start, half), _pairwise_tree(start + half, n - half)]


def _leaves(tree, into):
    if type(tree) is tuple:
        into.append(tree)
    else:
        _leaves(tree[0], into)
        _leaves(tree[1], into)
    return into


def _combine(tree, sums):
    if type(tree) is tuple:
        return sums[tree]
    return _combine(tree[0], sums) + _combine(tree[1], sums)


def _splittable_sum(a):
    return (a.dtype in _FLOATS and a.size >= MIN_ELEMENTS and a.flags.c_contiguous)


def sum_all(a):
    """``a.sum()`` (``np.add.reduce(a, None)``) of an array: bitwise NumPy's; split across the
    threads when large (float32 or float64, C-contiguous)."""
    nw = _threads() if a.size >= MIN_ELEMENTS and _splittable_sum(a) else 0
    if not nw:
        return np.add.reduce(a, axis=None)
    flat = a.reshape(-1)
    tree = _pairwise_tree(0, flat.size)
    pieces = _leaves(tree, [])
    sums = {}

    def work(s, e):
        sums[(s, e)] = np.add.reduce(flat[s:e])
    _run(pieces, nw, work)
    return _combine(tree, sums)


def mean_all(a):
    """``a.mean()`` of a float array: bitwise NumPy's (its sum, then divided as NumPy divides)."""
    if a.size < MIN_ELEMENTS or not _splittable_sum(a) or not _threads():
        return a.mean()
    total = sum_all(a)
    return total.dtype.type(total / np.intp(a.size))
