"""``ember train TASK --sweep KEY=V1,V2,...``: train every variant of a recipe, then compare them.

Each ``--sweep`` flag names one setting and its values; several flags form a grid (every
combination). Variant ``optimizer=sgd, lr=0.01`` trains into ``OUT/optimizer-sgd_lr-0.01`` with
the command's other options, exactly as ``ember train`` would; afterwards the runs are compared
(:mod:`ember.cli.compare`): the table of final metrics and differing settings is printed and
``OUT/compare.png`` shows the curves overlaid. This is the tutorial's tuning loop in one command:

    ember train phone-price --sweep optimizer=sgd,adam,rmsprop,adagrad
    ember train phone-price --sweep lr=0.1,0.01,0.001 --sweep batchnorm=false,true
"""
import argparse
import itertools
import os
import re

from .. import _parallel
from .compare import compare_runs, write_comparison
from .tensorboard_log import TrainLogger
from .trainer import CLIError, fit

__all__ = ["parse_sweep", "variants", "run"]

MAX_RUNS = 64


def _bool(text):
    t = text.strip().lower()
    if t in ("true", "yes", "on", "1"):
        return True
    if t in ("false", "no", "off", "0"):
        return False
    raise ValueError


def _number(convert, ok):
    def parse(text):
        v = convert(text)
        if not ok(v):
            raise ValueError
        return v
    return parse


def _choice(*names):
    def parse(text):
        if text not in names:
            raise ValueError
        return text
    return parse


# setting -> (parser of one value, what it expects)
KEYS = {
    "optimizer": (_choice("adam", "adamw", "sgd", "rmsprop", "adagrad"), "adam, adamw, sgd, rmsprop or adagrad"),
    "lr": (_number(float, lambda v: 0 < v < float("inf")), "positive numbers"),
    "scheduler": (_choice("none", "step", "cosine"), "none, step or cosine"),
    "batchnorm": (_bool, "true or false"),
    "dropout": (_number(float, lambda v: 0 <= v < 1), "probabilities in [0, 1)"),
    "weight_decay": (_number(float, lambda v: 0 <= v < float("inf")), "numbers >= 0"),
    "batch_size": (_number(int, lambda v: v >= 1), "positive integers"),
    "epochs": (_number(int, lambda v: v >= 1), "positive integers"),
    "seed": (int, "integers"),
    "standardize": (_bool, "true or false"),
}


def parse_sweep(text):
    """An argparse ``type``: ``'optimizer=sgd,adam'`` -> ``('optimizer', [('sgd', 'sgd'), ('adam', 'adam')])``
    (each value as typed and as parsed)."""
    key, sep, values = text.partition("=")
    key = key.strip().replace("-", "_")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=V1,V2,... such as optimizer=sgd,adam, got {text!r}")
    if key not in KEYS:
        raise argparse.ArgumentTypeError(f"cannot sweep {key!r}; choose one of {', '.join(KEYS)}")
    convert, expected = KEYS[key]
    out = []
    for raw in values.split(","):
        raw = raw.strip()
        try:
            out.append((raw, convert(raw)))
        except ValueError:
            raise argparse.ArgumentTypeError(f"--sweep {key}: expected {expected}, got {raw!r}") from None
    if len({v for _, v in out}) != len(out):
        raise argparse.ArgumentTypeError(f"--sweep {key}: a value is repeated in {values!r}")
    return key, out


def _slug(text):
    return re.sub(r"[^A-Za-z0-9.+-]", "_", text)


def variants(sweeps):
    """Every combination of the ``--sweep`` flags: ``[(name, {key: value})]`` in grid order."""
    keys = [k for k, _ in sweeps]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise CLIError(f"--sweep {sorted(dup)[0]} is given twice; list all its values in one flag")
    grid = list(itertools.product(*[vals for _, vals in sweeps]))
    if len(grid) > MAX_RUNS:
        raise CLIError(f"--sweep: the grid has {len(grid)} runs; at most {MAX_RUNS} (sweep fewer values)")
    return [("_".join(f"{k}-{_slug(raw)}" for k, (raw, _) in zip(keys, combo)),
             {k: v for k, (_, v) in zip(keys, combo)}) for combo in grid]


def check_args(args, explicit):
    """Refuse flag combinations a sweep cannot honour, before anything is trained."""
    if getattr(args, "resume", None):
        raise CLIError("--sweep and --resume cannot be combined: resume each run with "
                       "'ember train TASK --resume OUT/<variant>/checkpoint'")
    for key, _ in args.sweep:
        if key in explicit:
            raise CLIError(f"--{key.replace('_', '-')} is given and also swept (--sweep {key}=...); drop one of them")


def run(args, module, config, out, validate, check_writable, log=print):
    """Train each variant of ``config`` into ``out/<variant>``, then compare them (``out/compare.png``).

    ``validate(config)`` and ``check_writable(dir)`` are the command's own checks; returns 0.
    """
    for key, _ in args.sweep:
        if key not in module.DEFAULTS:
            raise CLIError(f"--sweep {key}: 'ember train {args.task}' has no {key} setting")
    runs = variants(args.sweep)
    configs = []
    for name, changes in runs:    # every variant is checked before the first one trains
        cfg = dict(config, **changes)
        validate(cfg)
        configs.append(cfg)
    dirs = [os.path.join(out, name) for name, _ in runs]
    for d in dirs:
        check_writable(d)
    tb_root = getattr(args, "tensorboard", None)
    threads = 64 if args.task == "cifar10" else 1
    log(f"ember train {args.task} --sweep: {len(runs)} runs into {out}: " + ", ".join(n for n, _ in runs))
    for i, ((name, _), cfg, d) in enumerate(zip(runs, configs, dirs)):
        task, source = module.build_task(cfg)
        log(f"\n[{i + 1}/{len(runs)}] {name}: data {source}; {len(task.train_set)} train / "
            f"{len(task.test_set)} test rows; output {d}")
        tb = None if tb_root is None else TrainLogger(os.path.join(tb_root, name) if tb_root
                                                      else os.path.join(d, "tensorboard"), cfg)
        try:
            with _parallel.blas_threads(threads):
                fit(task, cfg, d, log=log, tensorboard=tb)
        finally:
            if tb is not None:
                tb.close()
    log(f"\ncomparison of the {len(runs)} runs")
    write_comparison(compare_runs(dirs), os.path.join(out, "compare.png"), log)
    return 0
