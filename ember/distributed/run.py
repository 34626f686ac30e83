"""``python -m ember.distributed.run``: start a script on N processes (in the spirit of ``torchrun``).

    python -m ember.distributed.run --nproc-per-node N [--mpiexec PATH] [--mpiexec-args "..."]
                                    [-m] SCRIPT_OR_MODULE [ARGS...]

It runs ``mpiexec -n N python -m ember.distributed._worker SCRIPT ARGS`` with the same Python
(the venv's ``mpiexec``, from the mpich wheel, else the one on PATH). Each rank gets ``RANK``,
``WORLD_SIZE``, ``LOCAL_RANK``, ``LOCAL_WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT`` (as torchrun
sets them; ember itself takes the world from MPI), and ``OMP_NUM_THREADS=1`` unless set (torchrun's
default for N > 1, so N processes do not fight over the cores with BLAS threads). If a rank dies or
raises, MPI ends the whole job and this command exits with a non-zero status.

Example:
    $ python -m ember.distributed.run --nproc-per-node 2 train.py --epochs 3
"""
import argparse
import os
import pathlib
import shutil
import signal
import subprocess
import sys

__all__ = ["find_mpiexec", "launch", "main"]


def find_mpiexec(explicit=None):
    """The ``mpiexec`` beside this Python (the mpich wheel's), else the one on PATH; None if neither."""
    if explicit:
        return explicit
    here = pathlib.Path(sys.executable).parent / "mpiexec"
    if here.exists():
        return str(here)
    return shutil.which("mpiexec")


def launch(nproc, target, args=(), module=False, compat=False, mpiexec=None, mpiexec_args=(), env=None, log=None,
           quiet_others=False):
    """Run ``target`` on ``nproc`` MPI processes; return the job's exit status.

    ``quiet_others``: only rank 0's standard output is shown (errors of every rank still are)."""
    log = log or (lambda m: sys.stderr.write(m + "\n"))
    exe = find_mpiexec(mpiexec)
    if exe is None:
        log("ember.distributed.run: error: no mpiexec found. Install the MPI extra: pip install 'ember[distributed]' "
            "(it brings the mpich wheel and its mpiexec), or pass --mpiexec PATH")
        return 2
    if nproc < 1:
        log(f"ember.distributed.run: error: --nproc-per-node must be >= 1, got {nproc}")
        return 2
    env = dict(os.environ if env is None else env)
    if nproc > 1 and "OMP_NUM_THREADS" not in env:
        env["OMP_NUM_THREADS"] = "1"
    env.setdefault("MASTER_ADDR", "127.0.0.1")
    env.setdefault("MASTER_PORT", "29500")
    worker = [sys.executable, "-m", "ember.distributed._worker"] + (["--compat"] if compat else []) + \
        (["--quiet-others"] if quiet_others else []) + (["-m"] if module else [])
    cmd = [exe, *mpiexec_args, "-n", str(nproc), *worker, target, *args]
    proc = subprocess.Popen(cmd, env=env)
    while True:
        try:
            status = proc.wait()
            break
        except KeyboardInterrupt:               # mpiexec got the SIGINT too and stops the ranks
            try:
                proc.send_signal(signal.SIGINT)
            except OSError:
                pass
    if status != 0:
        how = f"signal {-status}" if status < 0 else f"status {status}"
        log(f"ember.distributed.run: the job on {nproc} processes failed ({how}); the failing rank's error is above")
    return status if status >= 0 else 128 - status


def build_parser():
    p = argparse.ArgumentParser(prog="python -m ember.distributed.run",
                                description="Start a script on N processes with mpiexec (torchrun's role for ember).")
    p.add_argument("--nproc-per-node", "--nproc_per_node", "--nproc", dest="nproc", type=int, default=1, metavar="N",
                   help="number of processes to start (default 1)")
    p.add_argument("--nnodes", type=str, default="1",
                   help="only 1 here; on a cluster, start ranks with the cluster's MPI launcher (docs/SCALING.md)")
    p.add_argument("--mpiexec", default=None, metavar="PATH", help="the mpiexec to use (default: the venv's)")
    p.add_argument("--mpiexec-args", default="", metavar="ARGS", help="extra arguments for mpiexec, quoted")
    p.add_argument("-m", "--module", action="store_true", help="run a module (python -m) instead of a script")
    p.add_argument("script", help="the script (or module with -m)")
    p.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    return p


def main(argv=None):
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.nnodes not in ("1", "1:1"):
        sys.stderr.write("ember.distributed.run: error: --nnodes > 1 is not handled here: start the ranks with your "
                         "cluster's MPI launcher (mpiexec/srun -n N python -m ember.distributed._worker SCRIPT)\n")
        return 2
    return launch(args.nproc, args.script, args.args, module=args.module, mpiexec=args.mpiexec,
                  mpiexec_args=args.mpiexec_args.split())


if __name__ == "__main__":
    sys.exit(main())
