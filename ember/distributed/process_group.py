"""The process group: who takes part (PyTorch's ``init_process_group``, ``new_group``, ranks).

ember's only backend is MPI (mpi4py). MPI already knows how many processes were started and which
one this is, so ``init_process_group`` needs no rendezvous (``MASTER_ADDR``/``MASTER_PORT`` are
not used): it checks that what the launcher put in the environment (``RANK``, ``WORLD_SIZE``,
``LOCAL_RANK``) and the arguments agree with MPI, duplicates ``MPI.COMM_WORLD`` for the default
group (so a user's own mpi4py messages never mix with ember's) and installs an excepthook: a rank
whose script raises prints the traceback and calls ``MPI.COMM_WORLD.Abort(1)``, so the other
ranks end too instead of waiting in a collective forever.

``backend="gloo"`` (what CPU PyTorch scripts pass) also runs on MPI; ``"nccl"`` needs GPUs.

Example (launched with ``python -m ember.distributed.run --nproc-per-node 2 script.py``):
    >>> import ember.distributed as dist
    >>> dist.init_process_group("mpi")
    >>> dist.get_rank(), dist.get_world_size()
    (0, 2)
"""
import datetime
import os
import sys
import time
import traceback

from ._mpi import is_available as _mpi4py_available
from ._mpi import abort_job, mpi

__all__ = ["ProcessGroup", "GroupMember", "init_process_group", "destroy_process_group", "is_initialized",
           "is_available", "is_mpi_available", "is_gloo_available", "is_nccl_available", "is_torchelastic_launched",
           "get_rank", "get_world_size", "get_backend", "new_group", "get_process_group_ranks",
           "get_global_rank", "get_group_rank", "default_pg_timeout", "get_node_local_rank", "is_backend_available",
           "get_default_backend_for_device"]

default_pg_timeout = datetime.timedelta(minutes=30)   # PyTorch's default

_NOT_INITIALIZED = "Default process group has not been initialized, please make sure to call init_process_group."


class ProcessGroup:
    """A set of ranks and the MPI communicator that connects them.

    ``ranks`` are global ranks (in ``COMM_WORLD``); ``comm`` is None on a rank outside the group.
    """

    def __init__(self, comm, ranks, timeout, backend="mpi"):
        self.comm = comm
        self.ranks = list(ranks)
        self.timeout = timeout
        self.backend = backend

    def rank(self):
        return self.comm.Get_rank() if self.comm is not None else -1

    def size(self):
        return len(self.ranks)

    def deadline(self):
        return time.monotonic() + self.timeout.total_seconds()

    def group_rank(self, global_rank, what):
        if global_rank not in self.ranks:
            raise ValueError(f"{what}: global rank {global_rank} is not part of the group (its ranks are "
                             f"{self.ranks}); pass a rank of the group")
        return self.ranks.index(global_rank)

    def __repr__(self):
        return f"ProcessGroup(backend={self.backend!r}, ranks={self.ranks}, rank={self.rank()})"


class GroupMember:
    """As PyTorch: ``WORLD`` is the default group (None before init), ``NON_GROUP_MEMBER`` what
    ``new_group`` returns on a rank outside the group."""
    WORLD = None
    NON_GROUP_MEMBER = -100


class _State:
    world = None          # the default ProcessGroup
    groups = []           # new_group's groups, freed by destroy_process_group
    excepthook = None     # the hook we replaced


def is_available():
    """True when the distributed package can run (mpi4py is installed)."""
    return _mpi4py_available()


def is_mpi_available():
    return _mpi4py_available()


def is_gloo_available():
    """True where ``init_process_group("gloo")`` runs: ember runs it on MPI (so: ``is_mpi_available()``),
    as CPU scripts that check for gloo before using it expect."""
    return is_mpi_available()


def is_nccl_available():
    return False


def is_backend_available(backend):
    """Whether ``init_process_group(backend)`` can run here, by ``is_<backend>_available()`` (``"cpu:gloo"``:
    every part).

    Example:
        >>> dist.is_backend_available("mpi")
        True
    """
    names = [part.split(":")[-1] for part in str(backend).lower().split(",")]
    checks = {"mpi": is_mpi_available, "gloo": is_gloo_available, "nccl": is_nccl_available}
    return all(n in checks and checks[n]() for n in names)


_DEFAULT_BACKEND = {"cpu": "gloo", "cuda": "nccl", "xpu": "xccl", "mps": "gloo"}    # PyTorch's map


def get_default_backend_for_device(device):
    """PyTorch's default backend for a device type: ``"gloo"`` for ``"cpu"`` (which ember runs on MPI).

    Example:
        >>> dist.init_process_group(dist.get_default_backend_for_device("cpu"))
    """
    if device is None or not isinstance(device, str) and not hasattr(device, "type"):
        raise TypeError(f"get_default_backend_for_device: expected a device or a device string such as 'cpu', got "
                        f"{type(device).__name__}")
    kind = device.split(":")[0] if isinstance(device, str) else device.type
    if kind not in _DEFAULT_BACKEND:
        raise ValueError(f"Default backend not registered for device : {device}")
    return _DEFAULT_BACKEND[kind]


def is_torchelastic_launched():
    """True inside a process started by ``ember.distributed.run`` (PyTorch: by torchrun)."""
    return os.environ.get("TORCHELASTIC_RUN_ID") is not None


def is_initialized():
    """True once ``init_process_group`` has run (and ``destroy_process_group`` has not)."""
    return _State.world is not None


def _default():
    if _State.world is None:
        raise ValueError(_NOT_INITIALIZED)
    return _State.world


def _resolve(group):
    """The ProcessGroup a collective runs on (None: the default group)."""
    if group is None or group is GroupMember.WORLD:
        return _default()
    if group == GroupMember.NON_GROUP_MEMBER:
        return None
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"group must be a ProcessGroup from new_group() or None, got {type(group).__name__}")
    _default()
    return group


def _env_int(name):
    value = os.environ.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"environment variable {name}={value!r} is not an integer") from None


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Join the default process group: every rank started by the MPI launcher takes part.

    Args:
        backend: ``"mpi"`` (or None, ``"gloo"``, ``"cpu:gloo"``: all run on MPI).
        init_method: None or ``"env://"``: the world is MPI's (``tcp://``/``file://`` rendezvous
            is not needed and not supported).
        timeout: a ``datetime.timedelta`` after which a collective that has not completed raises
            (default 30 minutes, as PyTorch).
        world_size, rank: -1 (MPI's) or values that must equal MPI's.

    Example:
        >>> dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=60))
    """
    if _State.world is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if backend is not None and str(backend).lower() not in ("mpi", "gloo", "cpu:gloo", "cpu:mpi"):
        if "nccl" in str(backend).lower():
            raise RuntimeError("ProcessGroupNCCL is only supported with GPUs, no GPUs found! ember runs on the CPU: "
                               "use backend='mpi' (or 'gloo')")
        raise ValueError(f"Invalid backend: {backend!r}; ember supports 'mpi' (and runs 'gloo' on MPI)")
    if init_method not in (None, "env://"):
        raise NotImplementedError(f"init_process_group(init_method={init_method!r}): ember's MPI backend takes the "
                                  "world from the MPI launcher; leave init_method=None (or 'env://')")
    for name, value in (("store", store), ("pg_options", pg_options), ("device_id", device_id)):
        if value is not None:
            raise NotImplementedError(f"init_process_group({name}=...) is not supported by ember's MPI backend")
    if timeout is None:
        timeout = default_pg_timeout
    if not isinstance(timeout, datetime.timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got {type(timeout).__name__}")
    MPI = mpi()
    world = MPI.COMM_WORLD
    mpi_rank, mpi_size = world.Get_rank(), world.Get_size()
    _check_agrees("WORLD_SIZE", mpi_size, world_size, _env_int("WORLD_SIZE"))
    _check_agrees("RANK", mpi_rank, rank, _env_int("RANK"))
    local = _env_int("LOCAL_RANK")
    if local is not None and not 0 <= local <= mpi_rank:
        raise ValueError(f"environment variable LOCAL_RANK={local} is inconsistent with MPI's rank {mpi_rank} "
                         f"(0 <= LOCAL_RANK <= RANK); start the job with python -m ember.distributed.run")
    _State.world = ProcessGroup(world.Dup(), range(mpi_size), timeout, "mpi")
    GroupMember.WORLD = _State.world
    install_abort_on_error()


def _check_agrees(name, mpi_value, arg, env):
    arg_name = name.lower()
    if arg not in (-1, None) and arg != mpi_value:
        raise ValueError(f"init_process_group({arg_name}={arg}) but MPI says this process has {arg_name} {mpi_value} "
                         f"(MPI decides: start N processes with python -m ember.distributed.run --nproc-per-node N "
                         f"or mpiexec -n N, and leave {arg_name}=-1)")
    if env is not None and env != mpi_value:
        hint = (" (the job was not started by an MPI launcher: use python -m ember.distributed.run --nproc-per-node N "
                "or ember run --nproc N)" if name == "WORLD_SIZE" and mpi_value == 1 else "")
        raise ValueError(f"environment variable {name}={env} disagrees with MPI's {arg_name} {mpi_value}{hint}")


def install_abort_on_error():
    """An excepthook that prints the uncaught exception, then ends the whole MPI job (``Abort``)."""
    if _State.excepthook is not None:
        return
    _State.excepthook = sys.excepthook

    def abort_on_error(exc_type, exc, tb):
        rank = mpi().COMM_WORLD.Get_rank()
        sys.stderr.write(f"[rank {rank}] ember.distributed: uncaught exception, aborting the job "
                         f"(MPI_Abort) so the other ranks do not wait for this one:\n")
        sys.stderr.write("".join(traceback.format_exception(exc_type, exc, tb)))
        abort_job(130 if issubclass(exc_type, KeyboardInterrupt) else 1)

    sys.excepthook = abort_on_error


def destroy_process_group(group=None):
    """Leave the default group (and free every group made by ``new_group``), or free ``group``."""
    if group is None or group is GroupMember.WORLD:
        pg = _default()
        for g in _State.groups:
            if g.comm is not None:
                g.comm.Free()
        _State.groups = []
        pg.comm.Free()
        _State.world = GroupMember.WORLD = None
        if _State.excepthook is not None:
            sys.excepthook, _State.excepthook = _State.excepthook, None
        return
    pg = _resolve(group)
    if pg is not None and pg in _State.groups:
        _State.groups.remove(pg)
        if pg.comm is not None:
            pg.comm.Free()


def get_rank(group=None):
    """This process's rank in ``group`` (default: the world); -1 on a rank outside ``group``."""
    pg = _resolve(group)
    return -1 if pg is None else pg.rank()


def get_world_size(group=None):
    """How many ranks ``group`` has (default: the world); -1 on a rank outside it."""
    pg = _resolve(group)
    return -1 if pg is None else pg.size()


def get_node_local_rank(fallback_rank=None):
    """This process's rank on its node: ``LOCAL_RANK`` (set by ``ember.distributed.run`` and torchrun),
    else ``fallback_rank``, else RuntimeError (as PyTorch).

    Example:
        >>> dist.get_node_local_rank(fallback_rank=0)
        0
    """
    if "LOCAL_RANK" in os.environ:
        return int(os.environ["LOCAL_RANK"])
    if fallback_rank is not None:
        return int(fallback_rank)
    raise RuntimeError("LOCAL_RANK is not in the environment. Consider passing fallback_rank to allow "
                       "`get_node_local_rank` to work, assuming you are not running in a multi-device context and "
                       "want the code to run locally instead. (ember.distributed.run sets LOCAL_RANK)")


def get_backend(group=None):
    pg = _resolve(group)
    if pg is None:
        raise ValueError("Invalid process group specified")
    return pg.backend


def get_process_group_ranks(group):
    """The global ranks of ``group``."""
    pg = _resolve(group)
    return list(pg.ranks)


def get_global_rank(group, group_rank):
    pg = _resolve(group)
    if not 0 <= group_rank < len(pg.ranks):
        raise ValueError(f"Group rank {group_rank} is not part of group {pg.ranks}")
    return pg.ranks[group_rank]


def get_group_rank(group, global_rank):
    pg = _resolve(group)
    return pg.group_rank(global_rank, "get_group_rank")


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """A group of some of the ranks (all by default). Every rank of the world must call it, with the
    same ``ranks``; on a rank outside the group it returns ``GroupMember.NON_GROUP_MEMBER``.

    Example:
        >>> g = dist.new_group([0, 1])
        >>> dist.all_reduce(t, group=g)
    """
    world = _default()
    if use_local_synchronization:
        raise NotImplementedError("new_group(use_local_synchronization=True) is not supported by ember")
    if pg_options is not None or device_id is not None:
        raise NotImplementedError("new_group(pg_options=..., device_id=...) is not supported by ember")
    ranks = sorted(range(world.size()) if ranks is None else {int(r) for r in ranks})
    for r in ranks:
        if not 0 <= r < world.size():
            raise ValueError(f"new_group: rank {r} is out of range: the world has ranks 0..{world.size() - 1}")
    mpi_group = world.comm.Get_group().Incl(ranks)
    comm = world.comm.Create(mpi_group)        # collective over the world; COMM_NULL outside the group
    mpi_group.Free()
    if comm == mpi().COMM_NULL:
        return GroupMember.NON_GROUP_MEMBER
    pg = ProcessGroup(comm, ranks, timeout or world.timeout, world.backend)
    _State.groups.append(pg)
    return pg
