"""DistributedDataParallel throughput on the tutorials' CIFAR network, 1 vs 2 processes (a standalone script).

    python benchmarks/bench_ddp.py [--steps 12] [--batch 32] [--nprocs 1,2] [--json OUT]

For each process count N it starts ``mpiexec -n N`` on this script (``--worker``); every rank trains
the CIFAR network with DDP on its own synthetic batch of ``--batch`` images (weak scaling: the
global batch is N x batch) with one BLAS thread, and rank 0 reports:

- images/s over all ranks, and the scaling efficiency ``throughput(N) / (N * throughput(1))``;
- per step: forward, backward (its hooks start the bucket all-reduces), the wait at the end of
  backward for the all-reduces still in flight (``exposed``), optimizer step;
- ``comm alone``: the same bucket all-reduces with nothing else running (``Iallreduce`` + wait);
  ``hidden = 1 - exposed / comm alone`` is the share of communication overlapped with backward
  (``exposed`` also holds the wait for a slower rank, so on a loaded machine this undercounts);
  ``done in bwd``: the share of the all-reduced bytes whose all-reduce had already completed when
  backward ended (completely hidden);
- for N >= 2: all-reduce latency for message sizes 8 B .. 4 MiB (to fit the cost model's alpha and
  beta, docs/SCALING.md) and the cost of the mismatch check of the public collectives.

Each N runs twice: with PyTorch's default buckets (25 MiB, first 1 MiB: the whole 0.58 MB network
is one bucket, so nothing can overlap) and with ``bucket_cap_mb=0.1`` (6 buckets).
Numbers from a shared machine are noisy: run it a few times.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

import numpy as np


def worker(args):
    import ember
    import ember.distributed as dist
    from ember import nn
    from ember.cli.cifar10 import cifar10_net
    from ember.distributed import collectives
    from ember.distributed._mpi import mpi
    from ember.distributed.work import wait_requests
    from ember.nn.parallel import DistributedDataParallel

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    ember.set_num_threads(1)
    rng = np.random.default_rng(rank)
    x = ember.tensor(rng.standard_normal((args.batch, 3, 32, 32)).astype(np.float32))
    y = ember.tensor(rng.integers(0, 10, args.batch))
    loss_fn = nn.CrossEntropyLoss()
    report = {"world": world, "batch_per_rank": args.batch, "configs": {}}
    MPI = mpi()
    from ember.nn.parallel import distributed as ddp_module
    for label, cap, thread in (("default buckets", None, True), ("bucket_cap_mb=0.1", 0.1, True),
                               ("bucket_cap_mb=0.1, no progress thread", 0.1, False)):
        ddp_module.PROGRESS_THREAD = thread
        ember.manual_seed(0)
        model = DistributedDataParallel(cifar10_net(), bucket_cap_mb=cap)
        opt = ember.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        times = {"forward": [], "backward": [], "exposed": [], "step": [], "total": [], "done_in_backward": []}
        for i in range(args.steps + 2):
            dist.barrier()
            t0 = time.perf_counter()
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            t1 = time.perf_counter()
            loss.backward()
            t2 = time.perf_counter()
            opt.step()
            t3 = time.perf_counter()
            if i >= 2:                                   # two warm-up steps
                times["forward"].append(t1 - t0)
                times["backward"].append(t2 - t1 - model.comm_wait_seconds)
                times["exposed"].append(model.comm_wait_seconds)
                times["step"].append(t3 - t2)
                times["total"].append(t3 - t0)
                times["done_in_backward"].append(model.comm_bytes_done_in_backward / max(model.comm_bytes, 1))
        alone = []                                        # the same all-reduces, nothing else running
        for _ in range(args.steps):
            dist.barrier()
            t0 = time.perf_counter()
            reqs = [model._comm().Iallreduce(MPI.IN_PLACE, b.buffer, MPI.SUM) for b in model._buckets] \
                if world > 1 else []
            wait_requests(reqs, time.monotonic() + 60, "bench")
            alone.append(time.perf_counter() - t0)
        med = {k: float(np.median(v)) for k, v in times.items()}
        med["done_in_backward"] = float(np.mean(times["done_in_backward"]))
        med["comm_alone"] = float(np.median(alone))
        med["hidden_fraction"] = (max(0.0, 1 - med["exposed"] / med["comm_alone"]) if world > 1 and med["comm_alone"]
                                  else None)
        med["images_per_s"] = world * args.batch / med["total"]
        med["buckets"] = len(model._buckets)
        med["bucket_bytes"] = [int(b.buffer.nbytes) for b in model._buckets]
        report["configs"][label] = med
    if world > 1:
        lat = {}
        for n in [2, 64, 1024, 16384, 131072, 1048576]:        # float32 elements: 8 B .. 4 MiB
            buf = np.ones(n, np.float32)
            reps = 50 if n <= 16384 else 10
            dist.barrier()
            t0 = time.perf_counter()
            for _ in range(reps):
                wait_requests([model._comm().Iallreduce(MPI.IN_PLACE, buf, MPI.SUM)],
                              time.monotonic() + 60, "bench")
            lat[n * 4] = (time.perf_counter() - t0) / reps
        report["allreduce_seconds_by_bytes"] = lat
        t = ember.ones(16)
        for checks in (True, False):
            collectives._CHECKS = checks
            dist.barrier()
            t0 = time.perf_counter()
            for _ in range(200):
                dist.all_reduce(t)
            report[f"all_reduce_16_floats_checks_{'on' if checks else 'off'}"] = (time.perf_counter() - t0) / 200
        collectives._CHECKS = True
    if rank == 0:
        pathlib.Path(args.json).write_text(json.dumps(report, indent=1))
    dist.destroy_process_group()


def driver(args):
    here = pathlib.Path(__file__).resolve()
    root = here.parents[1]
    mpiexec = pathlib.Path(sys.executable).parent / "mpiexec"
    mpiexec = str(mpiexec) if mpiexec.exists() else "mpiexec"
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    results = {}
    for n in [int(v) for v in args.nprocs.split(",")]:
        out = pathlib.Path(f"/tmp/bench_ddp_{os.getpid()}_{n}.json")
        subprocess.run([mpiexec, "-n", str(n), sys.executable, str(here), "--worker", "--steps", str(args.steps),
                        "--batch", str(args.batch), "--json", str(out)], env=env, check=True)
        results[n] = json.loads(out.read_text())
        out.unlink()
    base = results.get(1)
    for label in next(iter(results.values()))["configs"]:
        print(f"\n== {label} (batch {args.batch} per process, median of {args.steps} steps, ms) ==")
        print(f"{'procs':>5} {'img/s':>8} {'effic.':>7} {'fwd':>7} {'bwd':>7} {'exposed':>8} {'step':>6} "
              f"{'comm alone':>10} {'hidden':>7} {'done in bwd':>11} {'buckets':>7}")
        for n, r in results.items():
            c = r["configs"][label]
            eff = c["images_per_s"] / (n * base["configs"][label]["images_per_s"]) if base else float("nan")
            hidden = "-" if c["hidden_fraction"] is None else f"{100 * c['hidden_fraction']:.0f}%"
            done = "-" if n == 1 else f"{100 * c['done_in_backward']:.0f}%"
            print(f"{n:>5} {c['images_per_s']:8.1f} {100 * eff:6.0f}% {1e3 * c['forward']:7.1f} "
                  f"{1e3 * c['backward']:7.1f} {1e3 * c['exposed']:8.2f} {1e3 * c['step']:6.1f} "
                  f"{1e3 * c['comm_alone']:10.2f} {hidden:>7} {done:>11} {c['buckets']:7d}")
    for n, r in results.items():
        if "allreduce_seconds_by_bytes" in r:
            print(f"\nall-reduce on {n} processes (one message, mean over repeats):")
            for nbytes, s in r["allreduce_seconds_by_bytes"].items():
                print(f"  {int(nbytes):>8} B  {1e6 * s:9.1f} us")
            print(f"  dist.all_reduce of 16 floats: {1e6 * r['all_reduce_16_floats_checks_on']:.1f} us with the "
                  f"mismatch check, {1e6 * r['all_reduce_16_floats_checks_off']:.1f} us without")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=12)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--nprocs", default="1,2")
    p.add_argument("--json", default=None)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        worker(args)
    else:
        driver(args)


if __name__ == "__main__":
    main()
