"""CPU-time cost of ``ember.utils.diagnostics.Diagnostics`` on the phone-price training loop (ember train's
recipe, real data when ../shared/data/phone_price/train.csv exists, else synthetic).

Short runs with and without diagnostics alternate; the minimum, lower quartile and median of each
are compared, which keeps the ratio usable on a busy machine.

    python benchmarks/diagnostics_overhead.py [--epochs 8] [--reps 12] [--every 4,8,16]
"""
import argparse
import os
import pathlib
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--reps", type=int, default=12)
    ap.add_argument("--every", default="4,8,16")
    a = ap.parse_args()
    cfg = dict(phone_price.DEFAULTS, data=str(DATA) if os.path.isfile(DATA) else None)
    task, source = phone_price.build_task(cfg)

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

    modes = [None] + [int(e) for e in a.every.split(",")]
    times = {m: [] for m in modes}
    with _parallel.blas_threads(1):
        run(None)
        for _ in range(a.reps):
            for m in modes:
                times[m].append(run(m))
    print(f"phone-price loop ({source}), {a.epochs} epochs x {-(-len(task.train_set) // cfg['batch_size'])} steps, "
          f"{a.reps} runs each, CPU time")
    base = np.percentile(times[None], [0, 25, 50])
    for m in modes:
        q = np.percentile(times[m], [0, 25, 50])
        label = "no diagnostics" if m is None else f"every={m}"
        print(f"{label:15s} median {q[2] * 1e3:7.1f} ms   overhead: min {100 * (q[0] / base[0] - 1):+5.1f} %  "
              f"p25 {100 * (q[1] / base[1] - 1):+5.1f} %  median {100 * (q[2] / base[2] - 1):+5.1f} %")


if __name__ == "__main__":
    main()
