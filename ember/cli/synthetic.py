"""A synthetic stand-in for the phone-price data, so ``ember train phone-price`` works offline.

How it is made (``make_phone_price(n=2000, seed=2024)``):

1. The 20 feature columns of the real "Mobile Price Classification" table are drawn
   independently and uniformly over the real columns' ranges, with the real types: six 0/1
   flags (blue, dual_sim, four_g, three_g, touch_screen, wifi), integers (ram 256..3998 MB,
   battery_power 501..1998 mAh, px_height 0..1960, px_width 500..1998, ...) and one-decimal
   floats (clock_speed 0.5..3.0 GHz, m_dep 0.1..1.0 cm).
2. A hidden price score mixes the standardized features the way the real data behaves (RAM
   dominates, then battery and screen resolution), plus Gaussian noise:
   ``score = 1.0*ram + 0.25*battery_power + 0.15*px_height + 0.15*px_width + 0.15*noise``.
3. ``price_range`` is the quartile of the score, so the 4 classes are exactly balanced
   (500 rows each for n=2000).

It is *synthetic*: accuracies on it say nothing about real phones. The data set is fixed by
its own seed (2024), independent of ``--seed``, which controls the split and the training.
"""
import csv

import numpy as np

__all__ = ["COLUMNS", "make_phone_price", "write_phone_price_csv"]

# (name, kind, low, high): kind "bin" 0/1, "int" uniform integers, "f1" uniform with one decimal
_SPEC = [
    ("battery_power", "int", 501, 1998), ("blue", "bin", 0, 1), ("clock_speed", "f1", 0.5, 3.0),
    ("dual_sim", "bin", 0, 1), ("fc", "int", 0, 19), ("four_g", "bin", 0, 1),
    ("int_memory", "int", 2, 64), ("m_dep", "f1", 0.1, 1.0), ("mobile_wt", "int", 80, 200),
    ("n_cores", "int", 1, 8), ("pc", "int", 0, 20), ("px_height", "int", 0, 1960),
    ("px_width", "int", 500, 1998), ("ram", "int", 256, 3998), ("sc_h", "int", 5, 19),
    ("sc_w", "int", 0, 18), ("talk_time", "int", 2, 20), ("three_g", "bin", 0, 1),
    ("touch_screen", "bin", 0, 1), ("wifi", "bin", 0, 1),
]
COLUMNS = [s[0] for s in _SPEC]
_WEIGHTS = {"ram": 1.0, "battery_power": 0.25, "px_height": 0.15, "px_width": 0.15}
_NOISE = 0.15


def make_phone_price(n=2000, seed=2024, num_classes=4):
    """Return ``(features float32 (n, 20), price_range int64 (n,), column names)``.

    Example:
        >>> x, y, cols = make_phone_price()
        >>> x.shape, np.bincount(y).tolist()
        ((2000, 20), [500, 500, 500, 500])
    """
    rng = np.random.default_rng(seed)
    cols = []
    for name, kind, lo, hi in _SPEC:
        if kind == "bin":
            cols.append(rng.integers(0, 2, n).astype(np.float64))
        elif kind == "int":
            cols.append(rng.integers(lo, hi + 1, n).astype(np.float64))
        else:
            cols.append(np.round(rng.uniform(lo, hi, n), 1))
    x = np.stack(cols, axis=1)
    z = (x - x.mean(0)) / x.std(0)
    score = sum(w * z[:, COLUMNS.index(c)] for c, w in _WEIGHTS.items()) + _NOISE * rng.standard_normal(n)
    # rank -> class: exactly n/num_classes rows per class when n divides evenly
    y = np.empty(n, np.int64)
    y[np.argsort(score, kind="stable")] = np.arange(n) * num_classes // n
    return x.astype(np.float32), y, list(COLUMNS)


def write_phone_price_csv(path, n=2000, seed=2024):
    """Write the synthetic table as a CSV with the real data's header (20 features + price_range)."""
    x, y, cols = make_phone_price(n, seed)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols + ["price_range"])
        for row, label in zip(x.tolist(), y.tolist()):
            w.writerow([int(v) if float(v).is_integer() else round(v, 1) for v in row] + [label])
    return path
