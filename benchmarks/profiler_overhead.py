"""Cost of ``ember.profiler`` per op: with no profiler (nothing is hooked: the dispatch path is the
one without the profiler package), and while recording.

Two workloads, each timed as the best (minimum) of ``--reps`` runs of CPU time, rotated in order:
``ops``, 20,000 small ops (``(x * 2).relu()`` on 4 floats, grad off), and ``step``, 300 training
steps of Linear(32, 32) + ReLU + MSE + backward + SGD on a batch of 8. To see that "off" costs
nothing, run this file with ``PYTHONPATH`` set to a tree without the profiler as well and compare
the "off" lines (the script skips the "on" runs when ``ember.profiler`` is absent).

    python benchmarks/profiler_overhead.py [--reps 7]
"""
import argparse
import time

import ember

try:
    from ember.profiler import profile
except ImportError:         # a tree without the profiler: "off" only
    profile = None


def ops(n=20000):
    x = ember.ones(4)
    with ember.no_grad():
        for _ in range(n // 2):
            (x * 2).relu()
    return n


def step(n=300):
    model = ember.nn.Sequential(ember.nn.Linear(32, 32), ember.nn.ReLU())
    opt = ember.optim.SGD(model.parameters(), lr=0.01)
    x, y = ember.randn(8, 32), ember.randn(8, 32)
    for _ in range(n):
        opt.zero_grad()
        ember.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    return n


def timed(fn, on):
    start = time.process_time()
    if on:
        with profile():
            count = fn()
    else:
        count = fn()
    return (time.process_time() - start) / count * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    modes = [False, True] if profile is not None else [False]
    results = {(w.__name__, on): [] for w in (ops, step) for on in modes}
    for rep in range(args.reps + 1):
        for w in (ops, step):
            for on in modes[rep % len(modes):] + modes[:rep % len(modes)]:
                t = timed(w, on)
                if rep:                       # the first round warms up
                    results[(w.__name__, on)].append(t)
    for (name, on), ts in results.items():
        unit = "op" if name == "ops" else "step"
        print(f"{name:5s} profiler {'on ' if on else 'off'}: best {min(ts):7.2f} us/{unit}, "
              f"median {sorted(ts)[len(ts) // 2]:7.2f} us/{unit}")


if __name__ == "__main__":
    main()
