"""``ember compare DIR1 DIR2 ...``: several ``ember train`` runs side by side.

Each run directory holds the ``metrics.json`` that ``ember train`` writes (the config, one row
per epoch with train/test loss and accuracy, the final accuracy). ``compare_runs`` reads them
and returns a ``Comparison``: its ``str()`` is a table of final metrics per run followed by the
settings that differ between the runs (settings shared by all runs are left out);
``Comparison.plot(path)`` draws one figure with every run's loss and accuracy curves overlaid
(train dashed, test solid, one colour per run).

Example:
    >>> cmp = compare_runs(["runs/sgd", "runs/adam"])
    >>> print(cmp)
    >>> cmp.plot("compare.png")        # needs matplotlib
"""
import json
import math
import os

from .trainer import CLIError

__all__ = ["Comparison", "compare_runs", "load_run"]

_METRICS = "metrics.json"


def load_run(path):
    """``(name, metrics dict)`` of the run in directory ``path`` (or its ``metrics.json``)."""
    file = os.path.join(path, _METRICS) if os.path.isdir(path) else path
    if os.path.isfile(file) and not file.endswith(".json"):
        raise CLIError(f"compare: {path!r} is a file, not a run directory; pass directories written by "
                       "'ember train' (its --out DIR)")
    if not os.path.isfile(file):
        raise CLIError(f"compare: {path!r} holds no {_METRICS}; pass directories written by 'ember train' "
                       f"(its --out DIR)")
    try:
        with open(file, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise CLIError(f"compare: cannot read {file!r} ({type(e).__name__}: {e})") from None
    if (not isinstance(data, dict) or not isinstance(data.get("epochs"), list)
            or not all(isinstance(r, dict) for r in data["epochs"])):
        raise CLIError(f"compare: {file!r} is not the metrics.json of an 'ember train' run "
                       "(expected an object with a list of per-epoch rows under 'epochs')")
    if not isinstance(data.get("config"), dict):
        data["config"] = {}
    name = os.path.basename(os.path.normpath(os.path.dirname(os.path.abspath(file))))
    return name, data


def _unique_names(paths, names):
    if len(set(names)) == len(names):
        return names
    full = [os.path.normpath(p) for p in paths]   # same basename: show more of the path
    return full if len(set(full)) == len(full) else [f"{n}#{i + 1}" for i, n in enumerate(names)]


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return ",".join(_fmt(x) for x in v)
    return str(v)


def _table(header, rows):
    cells = [header] + [[_fmt(c) if not isinstance(c, str) else c for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
             for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


class Comparison:
    """Runs read by :func:`compare_runs`: ``names``, ``runs`` (their metrics dicts), ``final``
    (one dict of final numbers per run), ``config_diff`` (``{key: [value per run]}`` for the
    settings that differ). ``str()`` is the printed table; ``plot(path)`` the figure."""

    def __init__(self, names, runs):
        self.names, self.runs = list(names), list(runs)
        self.final = [self._final(m) for m in self.runs]
        keys = []
        for m in self.runs:
            keys += [k for k in m["config"] if k not in keys]
        self.config_diff = {}
        for k in keys:
            values = [m["config"].get(k) for m in self.runs]
            if any(v != values[0] for v in values[1:]):
                self.config_diff[k] = values

    @staticmethod
    def _final(m):
        rows = m["epochs"]
        last = rows[-1] if rows else {}
        out = {"epochs": last.get("epoch", len(rows))}
        for k in ("train_loss", "train_accuracy", "test_loss", "test_accuracy"):
            out[k] = last.get(k) if _number(last.get(k)) else None
        accs = [(r.get("test_accuracy"), r.get("epoch")) for r in rows if _number(r.get("test_accuracy"))]
        out["best_test_accuracy"], out["best_epoch"] = max(accs, key=lambda a: a[0]) if accs else (None, None)
        fin = m.get("final")
        if isinstance(fin, dict) and _number(fin.get("test_accuracy")):
            out["test_accuracy"] = fin["test_accuracy"]
        return out

    def table(self):
        header = ["run", "epochs", "train loss", "train acc", "test loss", "test acc", "best test acc (epoch)"]
        rows = []
        for name, f in zip(self.names, self.final):
            best = "-" if f["best_test_accuracy"] is None else f"{f['best_test_accuracy']:.4f} ({f['best_epoch']})"
            rows.append([name, str(f["epochs"])] + [("-" if f[k] is None else f"{f[k]:.4f}") for k in
                        ("train_loss", "train_accuracy", "test_loss", "test_accuracy")] + [best])
        return _table(header, rows)

    def config_table(self):
        if not self.config_diff:
            return "settings: identical in every run"
        keys = list(self.config_diff)
        rows = [[name] + [_fmt(self.config_diff[k][i]) for k in keys] for i, name in enumerate(self.names)]
        return "settings that differ between the runs:\n" + _table(["run"] + keys, rows)

    def __str__(self):
        return self.table() + "\n\n" + self.config_table()

    def plot(self, path, title=None):
        """Draw loss and accuracy curves of every run into ``path``; False without matplotlib."""
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
            from matplotlib.ticker import MaxNLocator
        except ImportError:
            return False
        fig = Figure(figsize=(11, 4.4), dpi=100)
        FigureCanvasAgg(fig)
        ax_loss, ax_acc = fig.subplots(1, 2)
        colors = [f"C{i % 10}" for i in range(len(self.runs))]
        for name, m, c in zip(self.names, self.runs, colors):
            rows = m["epochs"]
            ep = [r.get("epoch", i + 1) for i, r in enumerate(rows)]
            for ax, key in ((ax_loss, "loss"), (ax_acc, "accuracy")):
                for part, style in (("train", "--"), ("test", "-")):
                    ys = [r.get(f"{part}_{key}") for r in rows]
                    if any(_number(y) for y in ys):
                        ax.plot(ep, [y if _number(y) else float("nan") for y in ys], style, color=c,
                                label=name if part == "test" else None, linewidth=1.5 if part == "test" else 1.0)
        ax_loss.set_xlabel("epoch"), ax_loss.set_ylabel("loss"), ax_loss.grid(alpha=0.3)
        ax_acc.set_xlabel("epoch"), ax_acc.set_ylabel("accuracy"), ax_acc.grid(alpha=0.3)
        ax_acc.set_ylim(0, 1.02)
        ax_loss.set_title("loss (dashed: train, solid: test)", fontsize=10)
        ax_acc.set_title("accuracy (dashed: train, solid: test)", fontsize=10)
        for ax in (ax_loss, ax_acc):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax_acc.legend(fontsize=8, loc="lower right", ncol=1 if len(self.runs) <= 5 else 2)
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(path)
        return True


def compare_runs(paths, names=None):
    """Read the runs in ``paths`` (directories written by ``ember train``) into a :class:`Comparison`.

    Example:
        >>> print(compare_runs(["runs/sgd", "runs/adam"]))
    """
    if len(paths) < 1:
        raise CLIError("compare: give at least one run directory")
    loaded = [load_run(p) for p in paths]
    if names is None:
        names = _unique_names(paths, [n for n, _ in loaded])
    elif len(names) != len(paths):
        raise CLIError(f"compare: --names has {len(names)} names for {len(paths)} runs; give one per run")
    return Comparison(names, [m for _, m in loaded])


def write_comparison(cmp, out, log=print):
    """Print ``cmp``'s tables and draw its figure into ``out``; returns whether the figure was written."""
    log(str(cmp))
    d = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(d):
        raise CLIError(f"--out: directory {d!r} does not exist")
    try:
        drew = cmp.plot(out)
    except ValueError as e:  # an image format matplotlib does not know
        raise CLIError(f"--out: {e}") from None
    log(f"\nwrote {out}" if drew else "\n(no figure: matplotlib is not installed; pip install 'ember[plot]')")
    return drew


def run(args):
    """``ember compare`` (parsed ``args``: ``runs``, ``out``, ``names``)."""
    names = None if args.names is None else [n.strip() for n in args.names.split(",")]
    cmp = compare_runs(args.runs, names)
    write_comparison(cmp, args.out)
    return 0


def add_parser(sub):
    """Register ``ember compare`` on the command's subparsers."""
    p = sub.add_parser("compare", help="compare ember train runs: curves overlaid, final metrics, settings that differ",
                       description="Compare runs written by 'ember train' (their --out directories): print a table "
                                   "of final metrics and of the settings that differ, and draw every run's loss and "
                                   "accuracy curves in one figure.")
    p.add_argument("runs", nargs="+", metavar="DIR", help="run directories (each holding metrics.json)")
    p.add_argument("--out", default="compare.png", metavar="FILE.png",
                   help="the figure, format from the suffix (default: compare.png)")
    p.add_argument("--names", default=None, metavar="A,B,...", help="labels for the runs (default: directory names)")
    return p
