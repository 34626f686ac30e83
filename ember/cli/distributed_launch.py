"""``--nproc N`` for the ember command: ``ember run --nproc N SCRIPT`` and ``ember train TASK --nproc N``.

Both start N processes through :mod:`ember.distributed.run` (``mpiexec`` from the same venv).

- ``ember run --nproc N SCRIPT ARGS``: every rank runs the unmodified PyTorch script with ``torch``
  imports resolving to ember (the script calls ``torch.distributed.init_process_group`` itself).
- ``ember train TASK ... --nproc N``: every rank runs ``ember train TASK ...`` with
  ``EMBER_TRAIN_NPROC=N`` set; ``fit`` then (through ``distributed_training.TrainingWorld``) initialises the
  process group, wraps the model in ``DistributedDataParallel``, splits each epoch's shuffled
  training set with ``DistributedSampler`` (seeded with ``--seed``, ``set_epoch`` per epoch),
  sums the epoch's loss/accuracy over the ranks, and lets rank 0 alone print and write the outputs
  (checkpoints hold the unwrapped model, so a run resumes with or without ``--nproc``).
  ``--batch-size`` stays the *global* batch (each rank takes ``batch_size / N`` rows), so the
  recipe's learning rate keeps its meaning.
"""
import os

from ..distributed import run as dist_run
from .trainer import CLIError

__all__ = ["split_nproc", "run_command", "train_command"]

from .distributed_training import ENV as _ENV


def _positive(value):
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise CLIError(f"--nproc: expected a positive integer (the number of processes), got {value!r}")
    return n


def split_nproc(argv):
    """``(N or None, argv without --nproc N)``; CLIError for a bad value."""
    out, n, i = [], None, 0
    while i < len(argv):
        a = argv[i]
        if a == "--nproc":
            if i + 1 >= len(argv):
                raise CLIError("--nproc needs a value: the number of processes, e.g. --nproc 2")
            n, i = _positive(argv[i + 1]), i + 2
        elif a.startswith("--nproc="):
            n, i = _positive(a.split("=", 1)[1]), i + 1
        else:
            out.append(a)
            i += 1
    return n, out


def run_command(argv):
    """``ember run --nproc N SCRIPT [ARGS...]`` (``argv`` starts after ``run``); the exit status."""
    if argv[0] == "--nproc":
        if len(argv) < 2:
            raise CLIError("--nproc needs a value: ember run --nproc N SCRIPT [ARGS...]")
        n, rest = _positive(argv[1]), argv[2:]
    else:
        n, rest = _positive(argv[0].split("=", 1)[1]), argv[1:]
    if not rest:
        raise CLIError("ember run --nproc N needs a SCRIPT to run")
    return dist_run.launch(n, rest[0], rest[1:], compat=True)


def train_command(argv, nproc):
    """``ember train ... --nproc N``: the same command on N ranks; the exit status."""
    if any(a == "--tensorboard" or a.startswith("--tensorboard=") for a in argv):
        raise CLIError("--tensorboard cannot be combined with --nproc yet (every rank would write the logs)")
    env = dict(os.environ)
    env[_ENV] = str(nproc)
    return dist_run.launch(nproc, "ember.cli.main", argv, module=True, env=env, quiet_others=True)
