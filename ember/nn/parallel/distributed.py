"""``DistributedDataParallel``: one model replica per process, gradients averaged over MPI.

What it does, as PyTorch's:

- **at wrap**: checks that every rank has the same parameters (count, shapes, dtypes), then
  broadcasts parameters and buffers from rank 0, so all replicas start equal;
- **buckets**: the parameters that require grad, in *reverse* order of ``module.parameters()``
  (roughly the order backward produces their gradients), are grouped into buckets of at most
  ``bucket_cap_mb`` MiB (25 by default; the first bucket 1 MiB, as PyTorch, so communication starts
  early), one dtype per bucket;
- **during backward**: each parameter's post-accumulate-grad hook marks it ready; when every
  parameter of a bucket is ready, its gradients are copied into the bucket's flat buffer, divided
  by the world size and a non-blocking ``Iallreduce`` (sum) starts, while backward goes on with
  the layers below. Buckets start in index order on every rank (MPI needs the same order
  everywhere). MPICH advances a non-blocking collective only inside MPI calls, so a light thread
  (``ember.distributed.progress``) polls the requests in flight every 0.2 ms until backward ends;
- **at the end of backward** (``Variable._execution_engine.queue_callback``): wait for every
  bucket and copy the averaged gradients back into ``.grad``;
- ``no_sync()``: gradients only accumulate locally; the first backward outside it all-reduces the
  accumulated sum;
- ``find_unused_parameters=True``: after forward, the parameters the output's graph does not reach
  count as ready (zero gradient locally); a parameter used on another rank gets the average, one
  unused everywhere keeps its ``.grad``. Without it, a parameter that gets no gradient makes the
  *next* forward raise PyTorch's "Expected to have finished reduction" error, naming it;
- ``broadcast_buffers=True`` (default): before each forward whose previous forward ran with grad
  on and outside ``no_sync`` (the first one too), buffers (BatchNorm's running statistics) are
  broadcast from rank 0;
- ``.module`` is the wrapped model; ``state_dict`` keys are prefixed ``module.``.

Example (one process per rank, started by ``python -m ember.distributed.run --nproc-per-node 2``):
    >>> dist.init_process_group("mpi")
    >>> model = DistributedDataParallel(Net())
    >>> loss_fn(model(x), y).backward()       # .grad is the average over the ranks
    >>> optimizer.step()
"""
import contextlib
import os
import time
import warnings
import zlib

import numpy as np

from ..._tensor import Tensor, _wrap
from ...autograd.engine import queue_callback
from ...autograd.function import AccumulateGrad
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...distributed._mpi import mpi
from ...distributed.process_group import _resolve
from ...distributed.progress import ProgressThread
from ...distributed.work import wait_requests
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

_MB = 1024 * 1024
_DEFAULT_FIRST_BUCKET_BYTES = 1024 * 1024     # PyTorch's dist._DEFAULT_FIRST_BUCKET_BYTES
# a thread polls the buckets' requests during backward (EMBER_DDP_PROGRESS_THREAD=0: the hooks poll instead)
PROGRESS_THREAD = os.environ.get("EMBER_DDP_PROGRESS_THREAD", "1") != "0"


class _Bucket:
    """Parameters whose gradients travel in one all-reduce, and their flat buffer."""
    __slots__ = ("params", "slices", "buffer", "pending", "request", "launched_at")

    def __init__(self, params):
        self.params = params
        offsets = np.cumsum([0] + [p._data.size for p in params])
        self.slices = [slice(int(a), int(b)) for a, b in zip(offsets[:-1], offsets[1:])]
        self.buffer = np.zeros(int(offsets[-1]), params[0]._data.dtype)
        self.pending = len(params)
        self.request = None
        self.launched_at = None


def _assign_buckets(params, first_cap, cap):
    """Buckets of ``params`` (already in reverse order): one dtype each, at most ``cap`` bytes (the first
    one ``first_cap``); a parameter bigger than the cap gets a bucket of its own."""
    buckets, current, size, dtype = [], [], 0, None
    for p in params:
        limit = first_cap if not buckets else cap
        nbytes = p._data.nbytes
        if current and (p._data.dtype != dtype or size + nbytes > limit):
            buckets.append(current)
            current, size = [], 0
        current.append(p)
        size += nbytes
        dtype = p._data.dtype
    if current:
        buckets.append(current)
    return [_Bucket(b) for b in buckets]


def _find_tensors(obj):
    """The Tensors inside a forward's output (nested lists, tuples, dicts)."""
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [t for o in obj for t in _find_tensors(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _find_tensors(o)]
    return []


def _reachable_leaves(outputs):
    """ids of the leaf tensors whose gradients backward from ``outputs`` would accumulate."""
    seen, leaves = set(), set()
    stack = [t.grad_fn for t in outputs if t.grad_fn is not None]
    stack += [t._acc for t in outputs if t.grad_fn is None and t.requires_grad and getattr(t, "_acc", None)]
    leaves.update(id(t) for t in outputs if t.grad_fn is None and t.requires_grad)
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if type(node) is AccumulateGrad:
            leaves.add(id(node.variable))
            continue
        stack.extend(e[0] for e in node.next_edges if e is not None)
    return leaves


class DistributedDataParallel(Module):
    """Data parallelism over processes: wraps ``module`` and averages its gradients across ranks.

    Args:
        module: the model (the same architecture on every rank).
        device_ids, output_device: must be None (CPU modules), as PyTorch for CPU.
        broadcast_buffers: broadcast buffers from rank 0 before forward (default True).
        process_group: the group to average over (default: the world).
        bucket_cap_mb: bucket size in MiB (default 25; the first bucket is 1 MiB unless given).
        find_unused_parameters: allow parameters that take no part in some forward passes.

    Example:
        >>> ddp = DistributedDataParallel(model)
        >>> with ddp.no_sync():                   # accumulate without communicating
        ...     loss_fn(ddp(x1), y1).backward()
        >>> loss_fn(ddp(x2), y2).backward()       # all-reduces the accumulated gradients
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=None, init_sync=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, delay_all_reduce_named_params=None,
                 param_to_hook_all_reduce=None, mixed_precision=None, device_mesh=None,
                 skip_all_reduce_unused_params=False, bucket_cap_mb_list=None, batched_grad_copy=False,
                 forward_sync_buffers=None):
        super().__init__()
        unsupported = {"gradient_as_bucket_view": gradient_as_bucket_view, "static_graph": static_graph,
                       "delay_all_reduce_named_params": delay_all_reduce_named_params,
                       "param_to_hook_all_reduce": param_to_hook_all_reduce, "mixed_precision": mixed_precision,
                       "device_mesh": device_mesh, "skip_all_reduce_unused_params": skip_all_reduce_unused_params,
                       "bucket_cap_mb_list": bucket_cap_mb_list, "batched_grad_copy": batched_grad_copy}
        for name, value in unsupported.items():
            if value not in (None, False):
                raise NotImplementedError(f"DistributedDataParallel({name}=...) is not supported by ember")
        if device_ids not in (None, []) or output_device is not None:
            raise ValueError(f"DistributedDataParallel device_ids and output_device arguments only work with "
                             f"single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                             f"{device_ids}, output_device {output_device}, and module parameters "
                             f"{{device(type='cpu')}}. ember runs on the CPU: leave device_ids=None.")
        pg = _resolve(process_group)
        if pg is None:
            raise ValueError("DistributedDataParallel: this rank is not a member of process_group")
        if broadcast_buffers is not None:
            warnings.warn("`broadcast_buffers` is deprecated. Use `forward_sync_buffers` instead. IMPORTANT: unlike "
                          "`broadcast_buffers=False`, `forward_sync_buffers=False` still syncs buffers at init.",
                          FutureWarning, stacklevel=2)
        if forward_sync_buffers is not None:
            self.forward_sync_buffers, init_sync_buffers = bool(forward_sync_buffers), True
        else:
            self.forward_sync_buffers = init_sync_buffers = broadcast_buffers is not False
        self.module = module
        self.process_group = pg
        self.dim = dim
        self.device_ids = None
        self.output_device = None
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self.gradient_as_bucket_view = False
        self.static_graph = False
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * _MB)
        first_cap = _DEFAULT_FIRST_BUCKET_BYTES if bucket_cap_mb is None else self.bucket_bytes_cap
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        self._param_names = {id(p): n for n, p in named}
        self._params = [p for _, p in named]
        if init_sync:
            self._verify_same_parameters(named)
            self._broadcast_states([p for _, p in module.named_parameters()]
                                   + ([b for _, b in module.named_buffers()] if init_sync_buffers else []))
        self._buckets = _assign_buckets(self._params[::-1], first_cap, self.bucket_bytes_cap)
        self._bucket_of = {}
        for b in self._buckets:
            for p in b.params:
                self._bucket_of[id(p)] = b
        self._expect_hooks = False
        self._callback_queued = False
        self._ready = set()
        self._unused = set()
        self._next_bucket = 0
        self._unfinished = None
        self.comm_wait_seconds = 0.0       # time the last backward waited for all-reduces at its end
        self.comm_bytes = 0                 # bytes all-reduced by the last backward ...
        self.comm_bytes_done_in_backward = 0   # ... and how many of them had arrived before its end
        self._progress = ProgressThread() if PROGRESS_THREAD else None
        self._handles = [p.register_post_accumulate_grad_hook(self._grad_ready) for p in self._params]

    # -- wrap time ---------------------------------------------------------------------------------
    def _comm(self):
        return self.process_group.comm

    def _verify_same_parameters(self, named):
        pg = self.process_group
        if pg.size() == 1:
            return
        sig = ";".join(f"{tuple(p._data.shape)}:{p._data.dtype}" for _, p in named)
        mine = np.array([len(named), zlib.crc32(sig.encode())], np.int64)
        every = np.empty((pg.size(), 2), np.int64)
        wait_requests([self._comm().Iallgather(mine, every)], pg.deadline(), "DistributedDataParallel's model check")
        bad = [pg.ranks[i] for i, row in enumerate(every) if (row != every[0]).any()]
        if bad:
            raise RuntimeError(
                f"DistributedDataParallel: the model differs across ranks: rank {bad[0]} has {every[pg.ranks.index(bad[0])][0]} "
                f"parameters that require grad (or other shapes/dtypes), rank {pg.ranks[0]} has {every[0][0]}. Every rank "
                f"must wrap the same architecture (this rank: {len(named)} parameters, shapes "
                f"{[tuple(p._data.shape) for _, p in named][:6]}{'...' if len(named) > 6 else ''}).")

    def _broadcast_states(self, tensors):
        """Rank 0's values into ``tensors`` on every rank: one Bcast per dtype (coalesced)."""
        pg = self.process_group
        if pg.size() == 1 or not tensors:
            return
        by_dtype = {}
        for t in tensors:
            by_dtype.setdefault(t._data.dtype, []).append(t)
        for dtype, group in by_dtype.items():
            flat = np.concatenate([t._data.ravel() for t in group]) if pg.rank() == 0 else \
                np.empty(sum(t._data.size for t in group), dtype)
            req = self._comm().Ibcast(flat, 0)
            wait_requests([req], pg.deadline(), "DistributedDataParallel's broadcast of parameters and buffers")
            if pg.rank() != 0:
                at = 0
                for t in group:
                    n = t._data.size
                    t._data[...] = flat[at:at + n].reshape(t._data.shape)   # in place; version kept, as PyTorch
                    at += n

    # -- forward ----------------------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        if self._unfinished:
            names, self._unfinished = self._unfinished, None
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a new one. This error "
                "indicates that your module has parameters that were not used in producing loss. You can enable unused "
                "parameter detection by passing the keyword argument `find_unused_parameters=True` to "
                "`torch.nn.parallel.DistributedDataParallel`, and by making sure all `forward` function outputs "
                f"participate in calculating loss. Parameters that did not receive grad: {', '.join(names)}")
        buffers = [b for _, b in self.module.named_buffers()]
        if self.require_forward_param_sync and self.forward_sync_buffers and buffers:
            with no_grad():
                self._broadcast_states(buffers)
        out = self.module(*inputs, **kwargs)
        if is_grad_enabled() and self.require_backward_grad_sync:
            self.require_forward_param_sync = True
            self._prepare_for_backward(out)
        else:
            self.require_forward_param_sync = False
        return out

    def _prepare_for_backward(self, out):
        if self._progress is not None:
            self._progress.stop()          # (a previous backward that raised may have left it running)
        self._expect_hooks = True
        self._callback_queued = False
        self._ready = set()
        self._next_bucket = 0
        self._unused = set()
        if self.find_unused_parameters:
            reached = _reachable_leaves(_find_tensors(out))
            self._unused = {id(p) for p in self._params if id(p) not in reached}
        for b in self._buckets:
            b.pending = sum(1 for p in b.params if id(p) not in self._unused)
            b.request = None
            b.launched_at = None

    # -- backward ----------------------------------------------------------------------------------------
    def _grad_ready(self, param):
        """A parameter's gradient has been accumulated (post-accumulate-grad hook)."""
        if not self._expect_hooks or not self.require_backward_grad_sync:
            return
        if not self._callback_queued:
            queue_callback(self._finalize)
            self._callback_queued = True
        key = id(param)
        if key in self._ready or key in self._unused:
            raise RuntimeError(f"Expected to mark a variable ready only once: parameter "
                               f"{self._param_names.get(key, '?')} got a gradient twice in one iteration (a second "
                               f"backward through the same forward, or a parameter marked unused that was used).")
        self._ready.add(key)
        self._bucket_of[key].pending -= 1
        self._launch_ready_buckets()
        self._poll()

    def _launch_ready_buckets(self):
        """Start the all-reduce of every ready bucket, in bucket order (the same order on every rank)."""
        while self._next_bucket < len(self._buckets) and self._buckets[self._next_bucket].pending == 0:
            self._launch(self._buckets[self._next_bucket])
            self._next_bucket += 1

    def _launch(self, bucket):
        buf = bucket.buffer
        for p, s in zip(bucket.params, bucket.slices):
            g = p._grad
            if g is None or id(p) in self._unused:
                buf[s] = 0
            else:
                buf[s] = g._data.reshape(-1)
        world = self.process_group.size()
        if world > 1:
            np.divide(buf, world, out=buf, casting="unsafe")
            bucket.request = self._comm().Iallreduce(mpi().IN_PLACE, buf, mpi().SUM)
            if self._progress is not None:
                self._progress.add(bucket.request)
        bucket.launched_at = time.perf_counter()

    def _poll(self):
        if self._progress is not None:
            return
        reqs = [b.request for b in self._buckets[:self._next_bucket] if b.request is not None]
        if reqs:
            mpi().Request.Testall(reqs)

    def _finalize(self):
        """End of backward: wait for every bucket, write the averages into ``.grad``."""
        self._expect_hooks = False
        if self.find_unused_parameters:
            for b in self._buckets:         # graph-reachable parameters that got no gradient
                b.pending = 0
            self._launch_ready_buckets()
        missing = [self._param_names[id(p)] for b in self._buckets[self._next_bucket:] for p in b.params
                   if id(p) not in self._ready]
        used_flags = used_request = None
        if self.find_unused_parameters and self.process_group.size() > 1:
            used_flags = np.array([id(p) not in self._unused for p in self._params], np.int32)
            used_request = self._comm().Iallreduce(mpi().IN_PLACE, used_flags, mpi().MAX)
        if self._progress is not None:
            self._progress.stop()
        launched = self._buckets[:self._next_bucket]
        self.comm_bytes_done_in_backward = sum(b.buffer.nbytes for b in launched
                                               if b.request is not None and b.request.Test())
        self.comm_bytes = sum(b.buffer.nbytes for b in launched if b.request is not None)
        t0 = time.perf_counter()
        wait_requests([b.request for b in self._buckets[:self._next_bucket]] + [used_request],
                      self.process_group.deadline(), "DistributedDataParallel's gradient all-reduce")
        self.comm_wait_seconds = time.perf_counter() - t0
        globally_used = None
        if used_flags is not None:
            globally_used = {id(p) for p, f in zip(self._params, used_flags) if f}
        for b in self._buckets[:self._next_bucket]:
            for p, s in zip(b.params, b.slices):
                locally_used = id(p) not in self._unused
                if not locally_used and (globally_used is None or id(p) not in globally_used):
                    continue                 # unused everywhere: .grad stays as it is
                avg = b.buffer[s].reshape(p._data.shape)
                g = p._grad
                if g is None:
                    p._grad = _wrap(avg.copy())
                elif g._data.flags.writeable and g._data.shape == avg.shape:
                    np.copyto(g._data, avg, casting="unsafe")
                    g._vc[0] += 1
                else:
                    g._data = avg.astype(g._data.dtype)
        if missing:
            self._unfinished = missing

    @contextlib.contextmanager
    def no_sync(self):
        """Gradients accumulate locally inside the block (forward and backward); the first backward after
        it all-reduces the accumulated sum.

        Example:
            >>> with ddp.no_sync():
            ...     ddp(x1).sum().backward()
            >>> ddp(x2).sum().backward()
        """
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    @property
    def broadcast_buffers(self):
        return self.forward_sync_buffers

    def will_sync_module_buffers(self):
        return self.require_forward_param_sync and self.forward_sync_buffers and any(True for _ in self.module.buffers())

    def register_comm_hook(self, state, hook):
        raise NotImplementedError("DistributedDataParallel.register_comm_hook is not supported by ember")

    def extra_repr(self):
        return ""
