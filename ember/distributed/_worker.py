"""What each rank runs under ``ember.distributed.run``: set the launcher's environment, run the script.

``python -m ember.distributed._worker [--compat] [--quiet-others] [-m MODULE | SCRIPT] [ARGS...]`` (started by
``mpiexec``): asks MPI for this process's rank, sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``LOCAL_WORLD_SIZE``, ``GROUP_RANK`` as torchrun does, installs the abort-on-error excepthook,
then runs the script as ``__main__`` (``--compat``: with ``torch`` imports resolving to ember, as
``ember run``). A script that raises or exits with a non-zero status ends the whole job with
``MPI_Abort`` (so no other rank waits for it); status 0 ends this rank normally.
"""
import os
import runpy
import sys

from .. import compat
from ._mpi import abort_job, mpi
from .process_group import install_abort_on_error


def _local_rank(world):
    for name in ("MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK", "PMIX_LOCAL_RANK", "SLURM_LOCALID"):
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    MPI = mpi()
    node = world.Split_type(MPI.COMM_TYPE_SHARED)
    local = node.Get_rank()
    node.Free()
    return local


def _local_size(world):
    for name in ("MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE"):
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    MPI = mpi()
    node = world.Split_type(MPI.COMM_TYPE_SHARED)
    n = node.Get_size()
    node.Free()
    return n


def set_environment():
    """RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE from MPI (torchrun's names)."""
    world = mpi().COMM_WORLD
    rank, size = world.Get_rank(), world.Get_size()
    local, local_size = _local_rank(world), _local_size(world)
    os.environ.update({"RANK": str(rank), "WORLD_SIZE": str(size), "LOCAL_RANK": str(local),
                       "LOCAL_WORLD_SIZE": str(local_size), "GROUP_RANK": str(rank // max(local_size, 1)),
                       "ROLE_RANK": str(rank), "ROLE_WORLD_SIZE": str(size)})
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29500")
    os.environ.setdefault("TORCHELASTIC_RUN_ID", "ember")
    return rank


def _run_plain(target, args, module):
    sys.argv = [target, *args]
    try:
        if module:
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.path.insert(0, os.path.dirname(os.path.abspath(target)))
            runpy.run_path(target, run_name="__main__")
    except SystemExit as e:
        if e.code is None:
            return 0
        if isinstance(e.code, int):
            return e.code
        sys.stderr.write(f"{e.code}\n")
        return 1
    return 0


def main(argv):
    use_compat = argv[:1] == ["--compat"]
    argv = argv[1:] if use_compat else argv
    quiet = argv[:1] == ["--quiet-others"]
    argv = argv[1:] if quiet else argv
    module = argv[:1] == ["-m"]
    argv = argv[1:] if module else argv
    if not argv:
        sys.stderr.write("usage: python -m ember.distributed._worker [--compat] [--quiet-others] [-m MODULE | SCRIPT] [ARGS...]\n")
        return 2
    rank = set_environment()
    install_abort_on_error()
    if quiet and rank != 0:
        sys.stdout = open(os.devnull, "w")
    if use_compat and not module:
        status = compat.run_script(argv[0], argv[1:])     # prints the script's traceback itself
    else:
        status = _run_plain(argv[0], argv[1:], module)
    if status:
        sys.stderr.write(f"[rank {rank}] exited with status {status}: aborting the job so the other ranks stop\n")
        abort_job(status)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
