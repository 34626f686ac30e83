"""CPU-time cost of ``ember.utils.diagnostics.Diagnostics`` on the phone-price training loop (ember train's
recipe, real data when ../shared/data/phone_price/train.csv exists, else synthetic).

Method: each run builds the model, optimizer and loader outside the timed region, then times the
training loop (forward, loss, backward, step, ``loss.item()``, and ``Diagnostics.end_epoch`` when
diagnosing) in CPU time (``time.process_time``), with one BLAS thread. Runs without diagnostics and
with each ``every`` alternate, in a rotated order, ``--reps`` times after one warm-up run. The
overhead is reported three ways: from the medians, from the minimums (the least disturbed runs),
and the median of the ratios of runs made side by side. On a busy machine trust the minimum and
the paired median more than the plain median; the load average is printed at the start and the end.

    python benchmarks/diagnostics_overhead.py [--epochs 4] [--reps 10] [--every 8,16]

For a steadier figure on a shared machine, pin it to one core: ``taskset -c 1 python ...``.
``--instructions`` counts instructions instead (valgrind's cachegrind, when installed): one run of
each setting for ``--epochs`` and for three times as many, the difference divided by the extra
epochs, so start-up cancels (hash seed fixed). The count does not depend on the machine's load (it misses what
cache misses cost, so the CPU-time overhead is larger); it takes minutes.
"""
import argparse
import inspect
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
import ember  # noqa: E402
from ember import _parallel, nn  # noqa: E402
from ember.cli import phone_price  # noqa: E402
from ember.cli.trainer import make_optimizer  # noqa: E402
from ember.utils.data import DataLoader  # noqa: E402
from ember.utils.diagnostics import Diagnostics  # noqa: E402

DATA = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "phone_price" / "train.csv"
DEFAULT_EVERY = inspect.signature(Diagnostics).parameters["every"].default


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--every", default="8,16", help="comma-separated sampling intervals to measure")
    ap.add_argument("--instructions", action="store_true", help="count instructions under valgrind instead")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)   # one run, for --instructions
    a = ap.parse_args()
    if a.instructions and a.child is None:
        return count_instructions(a)
    cfg = dict(phone_price.DEFAULTS, data=str(DATA) if os.path.isfile(DATA) else None)
    task, source = phone_price.build_task(cfg)
    steps = -(-len(task.train_set) // cfg["batch_size"])

    def run(every):
        ember.manual_seed(0)
        model = task.build_model(cfg)
        opt = make_optimizer(cfg, model.parameters())
        loader = DataLoader(task.train_set, batch_size=cfg["batch_size"], shuffle=True,
                            generator=ember.Generator().manual_seed(0))
        loss_fn = nn.CrossEntropyLoss()
        diag = None if every is None else Diagnostics(model, opt, every=every)
        t0 = time.process_time()
        for _ in range(a.epochs):
            model.train()
            for xb, yb in loader:
                out = model(xb)
                loss = loss_fn(out, yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                loss.item()
            if diag is not None:
                diag.end_epoch(train_loss=1.0)
        return time.process_time() - t0

    if a.child is not None:
        with _parallel.blas_threads(1):
            run(None if a.child == "none" else int(a.child))
        return None
    modes = [None] + [int(e) for e in a.every.split(",")]
    times = {m: [] for m in modes}
    load0 = os.getloadavg()[0]
    with _parallel.blas_threads(1):
        run(None)
        for rep in range(a.reps):
            k = rep % len(modes)
            for m in modes[k:] + modes[:k]:
                times[m].append(run(m))
    load1 = os.getloadavg()[0]
    base = np.asarray(times[None])
    print(f"diagnostics overhead on the phone-price loop ({source}): {a.epochs} epochs x {steps} steps "
          f"(batch {cfg['batch_size']}, hidden {cfg['hidden']}, {cfg['optimizer']}), 1 BLAS thread")
    print(f"method: CPU time (time.process_time) of the training loop incl. end_epoch, {a.reps} interleaved runs "
          f"per setting after a warm-up; load average {load0:.2f} at start, {load1:.2f} at end")
    print(f"{'':22s} {'median':>9s} {'min':>9s}   overhead: {'median':>7s} {'min':>7s} {'paired':>7s}  per step")
    for m in modes:
        t = np.asarray(times[m])
        label = "no diagnostics" if m is None else f"every={m}" + (" (default)" if m == DEFAULT_EVERY else "")
        med, lo = np.median(t), t.min()
        paired = np.median(t / base)
        print(f"{label:22s} {med * 1e3:7.1f}ms {lo * 1e3:7.1f}ms   {'':9s} {100 * (med / np.median(base) - 1):+6.1f}% "
              f"{100 * (lo / base.min() - 1):+6.1f}% {100 * (paired - 1):+6.1f}%  "
              f"{(med - np.median(base)) / (a.epochs * steps) * 1e6:+5.1f} us")


def count_instructions(a):
    """Instructions per epoch with and without diagnostics, under valgrind (see the docstring)."""
    if shutil.which("valgrind") is None:
        sys.exit("--instructions needs valgrind (apt-get install valgrind)")
    modes = ["none"] + a.every.split(",")

    def count(mode, epochs):
        cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
               sys.executable, __file__, "--child", mode, "--epochs", str(epochs)]
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONHASHSEED="0")
        err = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stderr
        return int(re.search(r"I\s+refs:\s+([\d,]+)", err).group(1).replace(",", ""))

    per_epoch = {m: (count(m, 3 * a.epochs) - count(m, a.epochs)) / (2 * a.epochs) for m in modes}
    print(f"diagnostics overhead on the phone-price loop, instructions per epoch (valgrind cachegrind, "
          f"runs of {a.epochs} and {3 * a.epochs} epochs, 1 BLAS thread)")
    for m in modes:
        label = "no diagnostics" if m == "none" else f"every={m}" + (" (default)" if int(m) == DEFAULT_EVERY else "")
        over = 100 * (per_epoch[m] / per_epoch['none'] - 1)
        print(f"{label:22s} {per_epoch[m] / 1e6:8.2f} M   overhead {over:+5.1f} %")


if __name__ == "__main__":
    main()
