"""Side-by-side timings of ember and PyTorch on this machine, printed as one table of ratios.

Each ``benchmarks/bench_*.py`` defines ``WORKLOADS``: a list of ``Workload`` entries. Run all
with ``python benchmarks/run.py`` or some with ``python benchmarks/run.py chain mlp``.
Ratio = ember time / PyTorch time (lower is better; < 1 means ember is faster).
"""
import argparse
import importlib.util
import pathlib
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


@dataclass
class Workload:
    name: str
    ember: Callable[[], Callable[[], object]]   # setup -> step function
    torch: Callable[[], Callable[[], object]]
    required: float = None                      # the required ratio
    goal: float = None                          # the goal ratio
    note: str = field(default="")


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


def best_time(step, min_time=0.5, repeats=5):
    """Best per-call time over ``repeats`` rounds of at least ``min_time`` / repeats seconds."""
    step()
    t0 = time.perf_counter()
    step()
    one = max(time.perf_counter() - t0, 1e-7)
    n = max(1, int(min_time / repeats / one))
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def discover():
    out = []
    for path in sorted(HERE.glob("bench_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        out.extend(mod.WORKLOADS)
    return out


def fmt_time(t):
    return f"{t * 1e6:9.1f} us" if t < 1e-3 else f"{t * 1e3:9.2f} ms"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="substrings of workload names to run (default: all)")
    ap.add_argument("--min-time", type=float, default=1.0, help="seconds spent timing each side")
    ap.add_argument("--threads", type=int, default=1,
                    help="threads for both libraries (ember: BLAS pool; PyTorch: intra-op pool); "
                         "default 1, the stable and like-for-like setting on a shared machine")
    args = ap.parse_args(argv)
    import torch

    import ember
    torch.set_num_threads(args.threads)
    ember.set_num_threads(args.threads)
    print(f"threads per library: {args.threads}", file=sys.stderr)
    rows = []
    for w in discover():
        if args.names and not any(n in w.name for n in args.names):
            continue
        te = best_time(w.ember(), args.min_time)
        tt = best_time(w.torch(), args.min_time)
        rows.append((w, te, tt))
        print(f"  measured {w.name}", file=sys.stderr)
    print(f"{'workload':44} {'ember':>12} {'pytorch':>12} {'ratio':>7} {'required':>9} {'goal':>6}")
    for w, te, tt in rows:
        r = te / tt
        ok = "" if w.required is None else ("  ok" if r <= w.required else "  MISSED")
        print(f"{w.name:44} {fmt_time(te):>12} {fmt_time(tt):>12} {r:7.2f} "
              f"{'' if w.required is None else w.required:>9} {'' if w.goal is None else w.goal:>6}{ok}")
    return rows


if __name__ == "__main__":
    main()
