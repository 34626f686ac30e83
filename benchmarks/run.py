"""Side-by-side timings of ember and PyTorch on this machine, printed as one table of ratios.

Each ``benchmarks/bench_*.py`` defines ``WORKLOADS``: a list of ``Workload`` entries. Run all
with ``python benchmarks/run.py`` or some with ``python benchmarks/run.py chain mlp``.
Ratio = ember time / PyTorch time (lower is better; < 1 means ember is faster).

How it times, so that one library cannot distort the other:
- each library runs in its own worker process (``run.py --worker``), which imports only that
  library: two libraries in one process share glibc's allocator, whose thresholds move with what
  the other frees, and OpenBLAS/OpenMP threads left spinning by one take a core from the other;
- the parent alternates timed blocks between the two workers (ember, torch, torch, ember, ...)
  with a short pause between blocks, and keeps each side's best block, so a burst of load from
  elsewhere on the machine hits both sides alike;
- thread counts are set before the library loads (``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
  ``MKL_NUM_THREADS``) and again through ``set_num_threads``; ``--threads 1,2`` runs both;
- ``--coretype`` sets or removes ``OPENBLAS_CORETYPE`` for the workers (``env``: as inherited,
  ``unset``: removed, or a core name such as ``Haswell``); the BLAS each worker actually loaded,
  its core type and thread count are printed (through threadpoolctl when installed);
- each worker reports page faults per call (minor faults during the timed blocks / calls) and its
  peak resident memory above the level after importing the library.
"""
import argparse
import importlib
import importlib.util
import json
import os
import pathlib
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
PAUSE = 0.2        # seconds between blocks: lets the other library's spinning threads go to sleep


@dataclass
class Workload:
    name: str
    ember: Callable[[], Callable[[], object]]   # setup -> step function
    torch: Callable[[], Callable[[], object]]
    required: object = None                     # the required ratio, or {threads: ratio}
    goal: object = None                         # the goal ratio, or {threads: ratio}
    note: str = field(default="")

    def target(self, which, threads):
        """The required or goal ratio at ``threads`` (None when the issue sets none there)."""
        value = getattr(self, which)
        return value.get(threads) if isinstance(value, dict) else value


def setups(make):
    """The (ember, PyTorch) setups of a workload written once as ``make(lib)``, which returns the
    setup for that library; each library is imported when its setup runs."""
    def ember_setup():
        import ember
        return make(ember)()

    def torch_setup():
        import torch
        return make(torch)()
    return ember_setup, torch_setup


def train_step(model, opt, loss_fn, x, y):
    """The step function of one training step: zero_grad, forward, loss, backward, optimizer step."""
    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return step


def module_step(lib, make, shape, train=True):
    """Setup of one forward + backward of ``make(lib)`` (a module) on a standard-normal input of
    ``shape`` that requires grad: ``m(x).sum().backward()``, weights from ``manual_seed(0)``.
    ``lib`` is the library or its name (imported when the setup runs, in its own worker)."""
    def setup():
        nonlocal lib
        if isinstance(lib, str):
            lib = importlib.import_module(lib)
        lib.manual_seed(0)
        m = make(lib)
        m.train(train)
        x = lib.tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32), requires_grad=True)

        def step():
            x.grad = None
            m.zero_grad()
            m(x).sum().backward()
        return step
    return setup


def best_time(step, min_time=0.5, repeats=5):
    """Best per-call time over ``repeats`` rounds of at least ``min_time`` / repeats seconds
    (in-process timing, for quick experiments; the table uses the worker processes)."""
    step()
    n = _calls_per_block(step, min_time / repeats)
    return min(_block(step, n)[0] for _ in range(repeats))


def _calls_per_block(step, seconds):
    t0 = time.perf_counter()
    step()
    one = max(time.perf_counter() - t0, 1e-7)
    return max(1, int(seconds / one))


def _block(step, n):
    """(seconds per call, minor page faults per call) over ``n`` calls."""
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    t = (time.perf_counter() - t0) / n
    return t, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / n


def _modules():
    return sorted(HERE.glob("bench_*.py"))


def _load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def discover():
    """[(module path, Workload)] for every workload of every bench module."""
    return [(path, w) for path in _modules() for w in getattr(_load(path), "WORKLOADS", [])]   # bench_ddp.py: a script


def fmt_time(t):
    return f"{t * 1e6:9.1f} us" if t < 1e-3 else f"{t * 1e3:9.2f} ms"


# ---------------------------------------------------------------------------------- worker side

def _rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _blas_info():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"note": "threadpoolctl not installed"}]
    keep = ("internal_api", "version", "architecture", "num_threads", "threading_layer")
    return [{k: d.get(k) for k in keep if d.get(k) is not None} for d in threadpool_info()]


def worker(lib, path, name, threads):
    """Serve timed blocks of one workload for one library over stdin/stdout (JSON lines)."""
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)                                 # anything the workload prints goes to stderr
    mod = _load(pathlib.Path(path))
    work = next(w for w in mod.WORKLOADS if w.name == name)
    library = __import__(lib)
    library.set_num_threads(threads)
    base = _rss_mb()
    step = (work.ember if lib == "ember" else work.torch)()
    step()
    n = None
    out.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["op"] == "block":
            n = n or _calls_per_block(step, cmd["seconds"])
            t, faults = _block(step, n)
            out.write(json.dumps({"time": t, "faults": faults}) + "\n")
        elif cmd["op"] == "info":
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            out.write(json.dumps({
                "blas": _blas_info(), "threads": library.get_num_threads(), "peak_mb": peak - base,
                "torch_loaded": "torch" in sys.modules}) + "\n")
            return


# ---------------------------------------------------------------------------------- parent side

class _Worker:
    def __init__(self, lib, path, name, threads, coretype):
        env = dict(os.environ)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(threads)
        if coretype == "unset":
            env.pop("OPENBLAS_CORETYPE", None)
        elif coretype != "env":
            env["OPENBLAS_CORETYPE"] = coretype
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", lib, str(path), name, str(threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True, bufsize=1)
        self._reply()                                   # set-up done

    def _reply(self):
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"benchmark worker exited with status {self.proc.wait()} (see stderr)")
        return json.loads(line)

    def ask(self, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        return self._reply()

    def close(self):
        info = self.ask(op="info")
        self.proc.wait()
        return info


def measure(path, w, threads, coretype, min_time):
    """Alternate timed blocks of the two workers; best block per side plus its worker's info."""
    blocks = 6
    seconds = min_time / blocks
    sides = {lib: _Worker(lib, path, w.name, threads, coretype) for lib in ("ember", "torch")}
    best = {lib: (float("inf"), 0.0) for lib in sides}
    for i in range(blocks):
        for lib in (("ember", "torch") if i % 2 == 0 else ("torch", "ember")):
            time.sleep(PAUSE)
            got = sides[lib].ask(op="block", seconds=seconds)
            if got["time"] < best[lib][0]:
                best[lib] = (got["time"], got["faults"])
    info = {lib: s.close() for lib, s in sides.items()}
    return best, info


def _coretype_label(coretype):
    if coretype == "env":
        return f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')} (inherited)"
    return "OPENBLAS_CORETYPE unset" if coretype == "unset" else f"OPENBLAS_CORETYPE={coretype}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="substrings (any case) of workload names or bench file names to run "
                                             "(default: all)")
    ap.add_argument("--min-time", type=float, default=1.2, help="seconds of timing per library and workload")
    ap.add_argument("--threads", default="1",
                    help="comma-separated thread counts for both libraries, e.g. 1,2 (default 1)")
    ap.add_argument("--coretype", default="env",
                    help="OPENBLAS_CORETYPE for the workers: env (inherit), unset, or a core name")
    ap.add_argument("--markdown", metavar="FILE", help="also write the table as Markdown rows to FILE")
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        lib, path, name, threads = args.worker
        return worker(lib, path, name, int(threads))
    threads = [int(t) for t in args.threads.split(",")]
    print(f"{_coretype_label(args.coretype)}; threads per library: {args.threads}; "
          f"{os.cpu_count()} cores", file=sys.stderr)
    rows, blas_seen = [], {}
    for path, w in discover():
        if args.names and not any(n.lower() in w.name.lower() or n.lower() in path.stem for n in args.names):
            continue
        for th in threads:
            try:
                best, info = measure(path, w, th, args.coretype, args.min_time)
            except RuntimeError as e:            # one broken workload does not end the whole run
                print(f"  FAILED {w.name} at {th} thread(s): {e}", file=sys.stderr)
                continue
            rows.append((w, th, best, info))
            for lib in best:
                blas_seen.setdefault((lib, th), info[lib]["blas"])
            if info["ember"]["torch_loaded"]:
                print(f"  warning: {w.name}: the ember worker imported torch", file=sys.stderr)
            print(f"  measured {w.name} at {th} thread(s)", file=sys.stderr)
    for (lib, th), blas in blas_seen.items():
        print(f"{lib} worker, {th} thread(s): BLAS {blas}")
    head = (f"{'workload':52} {'thr':>3} {'ember':>12} {'pytorch':>12} {'ratio':>6} {'req':>5} {'goal':>5}"
            f" {'faults/call e/t':>16} {'peak MB e/t':>12}")
    print(head)
    md = ["| workload | threads | ember | PyTorch | ratio | required | goal | faults/call ember / PyTorch "
          "| peak MB ember / PyTorch |", "|---|---|---|---|---|---|---|---|---|"]
    for w, th, best, info in rows:
        (te, fe), (tt, ft) = best["ember"], best["torch"]
        r = te / tt
        req, goal = w.target("required", th), w.target("goal", th)
        ok = "" if req is None else ("  ok" if r <= req else "  MISSED")
        req = "" if req is None else req
        goal = "" if goal is None else goal
        pe, pt = info["ember"]["peak_mb"], info["torch"]["peak_mb"]
        print(f"{w.name[:52]:52} {th:>3} {fmt_time(te):>12} {fmt_time(tt):>12} {r:6.2f} {req:>5} {goal:>5}"
              f" {fe:>7.0f} / {ft:<6.0f} {pe:>5.0f} / {pt:<5.0f}{ok}")
        md.append(f"| {w.name} | {th} | {fmt_time(te).strip()} | {fmt_time(tt).strip()} | {r:.2f} | "
                  f"{'≤ ' + str(req) if req != '' else ''} | {'≤ ' + str(goal) if goal != '' else ''} | "
                  f"{fe:.0f} / {ft:.0f} | {pe:.0f} / {pt:.0f} |")
    if args.markdown:
        pathlib.Path(args.markdown).write_text(
            f"Measured with {_coretype_label(args.coretype)}, {args.min_time} s per library and workload.\n\n"
            + "\n".join(md) + "\n")
    return rows


if __name__ == "__main__":
    main()
