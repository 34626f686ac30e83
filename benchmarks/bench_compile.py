"""ember.compile against eager PyTorch (the issue's targets), and against torch.compile.

- the 10-op elementwise chain on 16x128 of ``bench_autograd`` (forward + backward), compiled;
- the phone-price MLP Adam step at batch 16 (``bench_mlp``) with the model and loss compiled;
- the tutorials' CIFAR-10 CNN SGD step (``bench_cifar``) with the model compiled.

``EMBER_BENCH_TORCH_COMPILE=1`` adds the chain compiled on both sides (torch.compile needs a C
compiler and takes about a minute to compile here). ``python benchmarks/bench_compile.py`` prints
the first-call (recording) cost next to an eager call; ``--separate [--cpu] [--rounds N]`` times
the chain and the MLP step with each library in its own process (one thread, alternating, best
of the rounds; ``--cpu`` measures process CPU time, steadier than wall time on a shared machine).
"""
import os
import sys
import time

import numpy as np

from run import Workload
import bench_autograd
import bench_cifar
import bench_mlp


def _chain(lib, compiled, torch_compiled=False):
    def setup():
        rng = np.random.default_rng(0)
        x = lib.tensor(rng.standard_normal(bench_autograd.SHAPE).astype(np.float32), requires_grad=True)
        w = lib.tensor(rng.standard_normal(bench_autograd.SHAPE).astype(np.float32), requires_grad=True)
        fn = lib.compile(bench_autograd._chain) if compiled else bench_autograd._chain

        def step():
            x.grad = None
            w.grad = None
            fn(x, w).backward()
        return step
    return setup


def _mlp(lib, compiled, batch=16):
    def setup():
        nn = lib.nn
        lib.manual_seed(0)
        model = nn.Sequential(nn.Linear(20, 128), nn.ReLU(), nn.Linear(128, 256), nn.ReLU(), nn.Linear(256, 4))
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss()
        xs, ys = bench_mlp._data(batch)
        x, y = lib.tensor(xs), lib.tensor(ys)

        def loss_of(a, b):
            return loss_fn(model(a), b)
        loss = lib.compile(loss_of) if compiled else loss_of

        def step():
            opt.zero_grad()
            loss(x, y).backward()
            opt.step()
        return step
    return setup


def _cnn(lib, compiled):
    def setup():
        lib.manual_seed(0)
        model = bench_cifar.build(lib.nn)
        xs, ys = bench_cifar._data(64)
        x, y = lib.tensor(xs), lib.tensor(ys)
        opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        loss_fn = lib.nn.CrossEntropyLoss()
        run = lib.compile(model) if compiled else model

        def step():
            opt.zero_grad()
            loss_fn(run(x), y).backward()
            opt.step()
        return step
    return setup


def _ember_compiled(make):
    def setup():
        import ember
        return make(ember, True)()
    return setup


def _torch_eager(make):
    def setup():
        import torch
        return make(torch, False)()
    return setup


def _torch_compiled(make):
    def setup():
        import torch
        return make(torch, True)()
    return setup


WORKLOADS = [
    Workload("compiled chain x10 + sum, fwd+bwd (16x128)", _ember_compiled(_chain), _torch_eager(_chain),
             required=0.5, goal=0.3, note="ember.compile vs eager PyTorch"),
    Workload("compiled phone MLP Adam step (batch 16)", _ember_compiled(_mlp), _torch_eager(_mlp),
             required=0.4, goal=0.25, note="ember.compile(model + loss) vs eager PyTorch"),
    Workload("compiled CIFAR CNN SGD step (batch 64)", _ember_compiled(_cnn), _torch_eager(_cnn),
             note="ember.compile(model) vs eager PyTorch"),
]
if os.environ.get("EMBER_BENCH_TORCH_COMPILE") == "1":
    WORKLOADS.append(Workload("chain x10: ember.compile vs torch.compile", _ember_compiled(_chain),
                              _torch_compiled(_chain), note="both compiled"))


def first_call_cost(rounds=3):
    """Per workload: an eager call, the first compiled call (recording) and a replayed call, each
    the best of ``rounds`` (a fresh setup per recording)."""
    import ember
    ember.set_num_threads(1)          # as run.py: one thread, like-for-like on a shared machine

    def timed(fn):
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0
    for name, make in (("chain", _chain), ("phone MLP step", _mlp), ("CIFAR CNN step", _cnn)):
        eager = make(ember, False)()
        eager()
        t_eager = min(timed(eager) for _ in range(rounds))
        t_record, t_replay = float("inf"), float("inf")
        for _ in range(rounds):
            compiled = make(ember, True)()
            t_record = min(t_record, timed(compiled))
            t_replay = min(t_replay, timed(compiled))
        print(f"{name:16} eager {t_eager * 1e3:9.3f} ms   first compiled call (recording) {t_record * 1e3:9.3f} ms "
              f"({t_record / t_eager:.1f}x eager)   replay {t_replay * 1e3:9.3f} ms")


def _time_one(lib, name, cpu):
    """In this process: the best per-step time (seconds) of workload ``name`` on ``lib``."""
    if lib == "torch":
        import torch
        torch.set_num_threads(1)
        step = {"chain": _chain, "mlp": _mlp}[name](torch, False)()
    else:
        import ember
        ember.set_num_threads(1)
        step = {"chain": _chain, "mlp": _mlp}[name](ember, lib == "ember.compile")()
    clock = time.process_time if cpu else time.perf_counter
    for _ in range(50):
        step()
    t0 = clock()
    step()
    n = max(20, int(0.08 / max(clock() - t0, 1e-6)))
    best = float("inf")
    for _ in range(7):
        t0 = clock()
        for _ in range(n):
            step()
        best = min(best, (clock() - t0) / n)
    return best


def separate_processes(rounds=3, cpu=False):
    """Each library in its own process (OMP/OpenBLAS one thread, OPENBLAS_CORETYPE unset),
    alternating ember eager, ember.compile and eager PyTorch; prints the minima and ratios."""
    import subprocess
    here = os.path.dirname(os.path.abspath(__file__))
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([os.path.dirname(here), here]))
    for name in ("chain", "mlp"):
        best = {}
        for _ in range(rounds):
            for lib in ("ember", "ember.compile", "torch"):
                code = f"import bench_compile as b; print(b._time_one({lib!r}, {name!r}, {cpu}))"
                out = subprocess.run([sys.executable, "-c", code], env=env, cwd=here, check=True,
                                     capture_output=True, text=True).stdout
                best[lib] = min(best.get(lib, float("inf")), float(out.split()[-1]))
        t = best["torch"]
        print(f"{name:6} ({'cpu' if cpu else 'wall'} time, best of {rounds}): torch {t * 1e6:8.1f} us   "
              f"ember eager {best['ember'] * 1e6:8.1f} us ({best['ember'] / t:.2f})   "
              f"ember.compile {best['ember.compile'] * 1e6:8.1f} us ({best['ember.compile'] / t:.2f})")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    if "--separate" in sys.argv:
        rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 3
        separate_processes(rounds, "--cpu" in sys.argv)
    else:
        first_call_cost()
