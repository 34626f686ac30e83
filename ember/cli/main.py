"""The ``ember`` command: train the tutorials' models and plot their functions.

    ember train phone-price [--data CSV] [--epochs N] [--batch-size B] [--lr LR]
                            [--optimizer adam|adamw|sgd|rmsprop|adagrad] [--scheduler none|step|cosine]
                            [--weight-decay WD] [--no-standardize] [--hidden 128,256]
                            [--batchnorm] [--dropout P] [--seed S] [--out DIR] [--resume CKPT]
    ember train cifar10 (--root DIR | --synthetic) [--limit N] [same training options]
    ember train charlm [--text FILE] [--model lstm|gpt] [--seq-len T] [--hidden H] [--layers L]
                       [--heads N] [--dropout P] [--max-chars N] [same training options]
    ember plot activations|losses [--out FILE.png]
    ember train TASK --sweep KEY=V1,V2 [--sweep ...]   one run per grid point into OUT/<variant>, then compared
    ember compare DIR1 DIR2 ... [--out compare.png]  curves overlaid, final metrics, settings that differ
    ember explain [--x X --y Y --w1 W1 --w2 W2]      backprop of the tutorials' example with numbers
    ember report RUN_DIR [--out report.html]         one self-contained HTML page about a run
    ember export onnx CHECKPOINT [--out model.onnx]   the trained model as an ONNX file
    ember run SCRIPT [ARGS...]        run an unmodified PyTorch script on ember
    ember run --nproc N SCRIPT [ARGS...]   ... on N processes (MPI); ember train TASK --nproc N likewise

Bad input ends with one ``ember: error: ...`` line on stderr and exit status 2 (usage) or 1.
"""
import argparse
import os
import sys
import tempfile

from .. import _parallel, compat
from . import charlm, cifar10, distributed_launch, phone_price
from . import compare, explain, report, sweep
from . import export_onnx
from .tensorboard_log import TrainLogger
from .trainer import CLIError, fit, load_checkpoint

__all__ = ["main", "build_parser"]

_TRAIN_EPILOG_PHONE = """\
data:
  Without --data, ember trains on a SYNTHETIC table with the same 20 columns and 4 balanced
  classes (see ember.cli.synthetic): features drawn uniformly over the real columns' ranges,
  price_range = quartile of a hidden score dominated by ram, then battery_power and screen
  resolution, plus noise. It makes the command work offline; its accuracy says nothing about
  real phones. For the real data: --data path/to/phone_price/train.csv.

recipe (defaults):
  stratified 80/20 split (by --seed), features standardized with training-part statistics,
  MLP 20-128-256-4 with ReLU, Adam lr 3e-3 with L2 weight decay 0.025, batch 64, 80 epochs,
  cosine schedule. On the real data this reaches about 0.96 test accuracy in seconds.
  (--optimizer sgd uses momentum 0.9; --scheduler step divides the lr by 10 every epochs/3.)

outputs (in --out DIR, default runs/phone-price):
  metrics.json (per epoch: train_loss, train_accuracy, test_loss, test_accuracy, lr; final
  accuracy and confusion matrix), checkpoint (ember.save file: model, optimizer, scheduler,
  epoch, config, RNG states), curves.png (with matplotlib: pip install 'ember[plot]').
  --resume DIR/checkpoint continues a run exactly where it stopped (same final weights as an
  uninterrupted run); it keeps the checkpoint's recipe, only --epochs/--data/--out may be given.
"""

_TRAIN_EPILOG_CIFAR = """\
data:
  --root DIR must contain cifar-10-batches-py/ (extract cifar-10-python.tar.gz from
  https://www.cs.toronto.edu/~kriz/cifar.html there, or use
  ember.vision.datasets.CIFAR10(DIR, download=True)). --synthetic uses random images with random
  labels instead (a smoke test; expect chance accuracy ~0.1).

  The network is the tutorial's (3 x [Conv2d 5x5 + MaxPool2d] -> Flatten -> Linear(1024, 64)
  -> Linear(64, 10)); NumPy convolutions take minutes per full epoch, so --limit N trains on
  the first N images for a quick look. Outputs as for phone-price (default DIR runs/cifar10).
"""


_TRAIN_EPILOG_CHARLM = """\
data:
  Without --text, ember trains on the text that ships with it: the docstrings of its own source
  files (about 200,000 characters). --text FILE trains on any UTF-8 text; --max-chars caps how
  much of it is read. Windows of --seq-len + 1 characters: the first 90 % train, the last 10 %
  validate.

models:
  lstm (default): Embedding -> 2-layer LSTM (hidden 192) -> Linear, dropout 0.1.
  gpt: token + position embeddings -> 2 pre-norm Transformer blocks (4 heads, causal
  scaled-dot-product attention, GELU MLP) -> LayerNorm -> Linear.
  AdamW lr 3e-3, weight decay 0.01, gradient norm clipped to 1, cosine schedule, 4 epochs.

outputs (in --out DIR, default runs/charlm): as for phone-price (metrics.json with the loss per
character in nats, checkpoint, curves.png), plus the unigram entropy of the training text for
comparison and a generated sample printed at the end.
"""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line: ``ember: error: ...``."""

    def error(self, message):
        sys.stderr.write(f"ember: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(2)


def _checked(convert, ok, expected, echo_text=False):
    """An argparse ``type``: ``convert(text)``, accepted when ``ok(value)``; else 'expected ..., got ...'.

    ``echo_text`` quotes the range failure as typed (so '1e400' is not shown as 'inf').
    """
    def parse(text):
        try:
            v = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not ok(v):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text if echo_text else v}")
        return v
    return parse


_positive_int = _checked(int, lambda v: v >= 1, "a positive integer")
_positive_float = _checked(float, lambda v: v > 0 and v != float("inf"), "a positive number", echo_text=True)
_nonneg_float = _checked(float, lambda v: v >= 0 and v != float("inf"), "a number >= 0", echo_text=True)
_probability = _checked(float, lambda v: 0 <= v < 1, "a probability in [0, 1)")


def _hidden(text):
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        sizes = []
    if not sizes or any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"expected comma-separated positive layer sizes such as 128,256, got {text!r}")
    return sizes


_MAX_PARAMETERS = 50_000_000  # hidden sizes beyond this would need gigabytes (weights + Adam state)


def _validate_config(config, task, where):
    """Check a run's settings as the command line would (a resumed checkpoint's config may be crafted)."""
    def bad(key, expected):
        raise CLIError(f"{where}: {key} = {str(config.get(key))[:60]!r} is invalid; expected {expected}")

    def is_int(v):
        return isinstance(v, int) and not isinstance(v, bool)

    def is_num(v):
        return (is_int(v) or isinstance(v, float)) and v == v and abs(v) != float("inf")

    for key in ("epochs", "batch_size"):
        if not is_int(config.get(key)) or config[key] < 1:
            bad(key, "a positive integer")
    if config.get("limit") is not None and (not is_int(config["limit"]) or config["limit"] < 1):
        bad("limit", "a positive integer or None")
    if not is_num(config.get("lr")) or config["lr"] <= 0:
        bad("lr", "a positive number")
    if not is_num(config.get("weight_decay")) or config["weight_decay"] < 0:
        bad("weight_decay", "a number >= 0")
    if config.get("optimizer") not in ("adam", "adamw", "sgd", "rmsprop", "adagrad"):
        bad("optimizer", "adam, adamw, sgd, rmsprop or adagrad")
    if config.get("scheduler") not in ("none", "step", "cosine"):
        bad("scheduler", "none, step or cosine")
    if not is_int(config.get("seed")):
        bad("seed", "an integer")
    for key in ("standardize", "batchnorm", "synthetic"):
        if key in config and not isinstance(config[key], bool):
            bad(key, "true or false")
    for key in ("data", "root"):
        if config.get(key) is not None and not isinstance(config[key], str):
            bad(key, "a path")
    if task == "phone-price":
        if not is_num(config.get("dropout")) or not 0 <= config["dropout"] < 1:
            bad("dropout", "a probability in [0, 1)")
        hidden = config.get("hidden")
        if (not isinstance(hidden, (list, tuple)) or not hidden or len(hidden) > 64
                or not all(is_int(h) and h >= 1 for h in hidden)):
            bad("hidden", "a list of positive layer sizes such as [128, 256]")
        widths = [20, *hidden, 4]
        n = sum(a * b + b for a, b in zip(widths, widths[1:]))
        if n > _MAX_PARAMETERS:
            raise CLIError(f"{where}: hidden sizes {list(hidden)} make a model of about {n:,} parameters "
                           f"({n * 16 / 2 ** 30:.1f} GiB with Adam's state); the limit is {_MAX_PARAMETERS:,}")


def _check_writable(out):
    """Fail before training, not at the first checkpoint, when ``out`` cannot take files."""
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as e:
        raise CLIError(f"--out: cannot create {out!r} ({e.strerror})") from None
    try:
        fd, probe = tempfile.mkstemp(dir=out, prefix=".ember-write-test.")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise CLIError(f"--out: cannot write to {out!r} ({e.strerror or e}); choose a writable directory") from None


def _add_training_options(p, defaults):
    S = argparse.SUPPRESS  # only options given on the command line appear in the namespace
    p.add_argument("--epochs", type=_positive_int, default=S, metavar="N",
                   help=f"number of epochs in total (default: {defaults['epochs']})")
    p.add_argument("--batch-size", type=_positive_int, default=S, metavar="B",
                   help=f"mini-batch size (default: {defaults['batch_size']})")
    p.add_argument("--lr", type=_positive_float, default=S, metavar="LR",
                   help=f"learning rate (default: {defaults['lr']:g})")
    p.add_argument("--optimizer", choices=["adam", "adamw", "sgd", "rmsprop", "adagrad"], default=S,
                   help=f"optimizer (default: {defaults['optimizer']}; sgd uses momentum 0.9)")
    p.add_argument("--scheduler", choices=["none", "step", "cosine"], default=S,
                   help=f"learning-rate schedule over the epochs (default: {defaults['scheduler']})")
    p.add_argument("--weight-decay", type=_nonneg_float, default=S, metavar="WD",
                   help=f"weight decay: L2 for adam/sgd, decoupled for adamw (default: {defaults['weight_decay']:g})")
    if "standardize" in defaults:
        p.add_argument("--no-standardize", dest="standardize", action="store_false", default=S,
                       help="keep raw feature values instead of standardizing with training-part statistics")
    p.add_argument("--seed", type=int, default=S, metavar="S",
                   help=f"seed for the split, the initial weights and the data order (default: {defaults['seed']})")
    p.add_argument("--out", default=S, metavar="DIR",
                   help="output directory (default: runs/<task>, or the checkpoint's directory with --resume)")
    p.add_argument("--resume", default=S, metavar="CKPT", help="continue the run saved in CKPT (DIR/checkpoint)")
    p.add_argument("--tensorboard", nargs="?", const="", default=S, metavar="DIR",
                   help="log losses, accuracy, lr and weight/gradient histograms for TensorBoard to DIR "
                        "(default: OUT/tensorboard; needs pip install 'ember[tensorboard]')")
    p.add_argument("--compile", action="store_true", default=S,
                   help="run the model through ember.compile (recorded once, replayed: same numbers, less Python)")
    p.add_argument("--nproc", type=_positive_int, default=S, metavar="N",
                   help="train on N processes with DistributedDataParallel over MPI (pip install 'ember[distributed]')")
    p.add_argument("--diagnose", action="store_true", default=S,
                   help="record per-layer gradients, updates, dead/saturated units and NaNs; print findings and "
                        "write diagnostics.json and diagnostics.png (ember.utils.diagnostics)")
    p.add_argument("--sweep", type=sweep.parse_sweep, action="append", default=S, metavar="KEY=V1,V2",
                   help="train one run per value into OUT/KEY-V, then compare them (OUT/compare.png); keys: "
                        + ", ".join(k for k in sweep.KEYS if k in defaults) + "; several --sweep flags form a grid")


def build_parser():
    parser = _Parser(prog="ember", description="ember: a deep-learning framework on NumPy with PyTorch's API.",
                     epilog="examples:\n"
                            "  ember train phone-price                      # synthetic data, works offline\n"
                            "  ember train phone-price --data train.csv     # the real phone-price CSV\n"
                            "  ember train phone-price --resume runs/phone-price/checkpoint\n"
                            "  ember train cifar10 --synthetic --epochs 1\n"
                            "  ember train charlm --model gpt               # a character-level GPT\n"
                            "  ember plot activations --out activations.png\n"
                            "details: ember train phone-price --help",
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="{train,plot,compare,explain,report,export}", required=True)

    train = sub.add_parser("train", help="train one of the tutorials' models",
                           description="Train one of the tutorials' models.")
    tasks = train.add_subparsers(dest="task", metavar="{phone-price,cifar10,charlm}", required=True)

    pp = tasks.add_parser("phone-price", help="the phone-price MLP on a CSV (or synthetic data)",
                          description="Train the tutorials' phone-price classifier (20 features -> 4 price classes).",
                          epilog=_TRAIN_EPILOG_PHONE, formatter_class=argparse.RawDescriptionHelpFormatter)
    S = argparse.SUPPRESS
    pp.add_argument("--data", default=S, metavar="CSV",
                    help="CSV with 20 numeric feature columns and price_range (default: ember's synthetic data)")
    _add_training_options(pp, phone_price.DEFAULTS)
    pp.add_argument("--hidden", type=_hidden, default=S, metavar="128,256",
                    help="hidden layer sizes (default: 128,256, the tutorial's)")
    pp.add_argument("--batchnorm", action="store_true", default=S, help="BatchNorm1d before each ReLU")
    pp.add_argument("--dropout", type=_probability, default=S, metavar="P", help="dropout after each ReLU (default: 0)")

    cf = tasks.add_parser("cifar10", help="the tutorial's CIFAR-10 network",
                          description="Train the tutorial's CIFAR-10 network.",
                          epilog=_TRAIN_EPILOG_CIFAR, formatter_class=argparse.RawDescriptionHelpFormatter)
    cf.add_argument("--root", default=S, metavar="DIR", help="directory containing cifar-10-batches-py/")
    cf.add_argument("--synthetic", action="store_true", default=S,
                    help="random images of CIFAR's shape instead of the files (smoke test)")
    cf.add_argument("--limit", type=_positive_int, default=S, metavar="N",
                    help="train on the first N images only (and test on N/5)")
    _add_training_options(cf, cifar10.DEFAULTS)

    lm = tasks.add_parser("charlm", help="a character-level language model (LSTM or small GPT) on a text",
                          description="Train a character-level language model on a text file (or ember's own "
                                      "docstrings) and print a generated sample.",
                          epilog=_TRAIN_EPILOG_CHARLM, formatter_class=argparse.RawDescriptionHelpFormatter)
    lm.add_argument("--text", default=S, metavar="FILE", help="UTF-8 text to learn (default: ember's docstrings)")
    lm.add_argument("--model", choices=["lstm", "gpt"], default=S, help="architecture (default: lstm)")
    lm.add_argument("--seq-len", type=_positive_int, default=S, metavar="T",
                    help=f"characters of context per training window (default: {charlm.DEFAULTS['seq_len']})")
    lm.add_argument("--hidden", type=_positive_int, default=S, metavar="H",
                    help=f"hidden / embedding width (default: {charlm.DEFAULTS['hidden']})")
    lm.add_argument("--layers", type=_positive_int, default=S, metavar="L",
                    help=f"LSTM layers or Transformer blocks (default: {charlm.DEFAULTS['layers']})")
    lm.add_argument("--heads", type=_positive_int, default=S, metavar="N",
                    help=f"attention heads for --model gpt (default: {charlm.DEFAULTS['heads']})")
    lm.add_argument("--dropout", type=_probability, default=S, metavar="P",
                    help=f"dropout (default: {charlm.DEFAULTS['dropout']})")
    lm.add_argument("--max-chars", type=_positive_int, default=S, metavar="N",
                    help=f"read at most N characters of the text (default: {charlm.DEFAULTS['max_chars']})")
    lm.add_argument("--sample-chars", type=_positive_int, default=S, metavar="N",
                    help=f"characters to generate at the end (default: {charlm.DEFAULTS['sample_chars']})")
    _add_training_options(lm, charlm.DEFAULTS)

    plot = sub.add_parser("plot", help="plot activation or loss functions with their derivatives",
                          description="Plot the tutorials' activation or loss functions, each with its "
                                      "derivative computed by ember's autograd (needs matplotlib).")
    plot.add_argument("what", choices=["activations", "losses"])
    plot.add_argument("--out", metavar="FILE.png", default=None,
                      help="output image, format from the suffix (default: <what>.png)")
    compare.add_parser(sub)
    explain.add_parser(sub)
    report.add_parser(sub)
    export_onnx.add_parser(sub)
    return parser


def _one_line(text):
    return " ".join(str(text).split())


def _run_train(args):

    module = {"phone-price": phone_price, "cifar10": cifar10, "charlm": charlm}[args.task]
    explicit = {k: v for k, v in vars(args).items()
                if k not in ("command", "task", "out", "resume", "tensorboard", "sweep", "nproc")}
    if getattr(args, "sweep", None):
        sweep.check_args(args, explicit)
    config = dict(module.DEFAULTS)
    resume = None
    if getattr(args, "resume", None):
        resume = load_checkpoint(args.resume, args.task)
        resume["path"] = args.resume
        config.update(resume["config"])
        changeable = ("epochs", "data", "root", "text", "diagnose", "compile")
        for k, v in explicit.items():
            if k not in changeable and config.get(k) != v:
                raise CLIError(f"--{k.replace('_', '-')} {v} differs from the checkpoint's value {config.get(k)}: a "
                               "resumed run keeps its recipe (only --epochs, --data/--root and --out may be given)")
        config.update({k: v for k, v in explicit.items() if k in changeable})
        out = getattr(args, "out", None) or os.path.dirname(os.path.abspath(args.resume))
    else:
        config.update(explicit)
        out = getattr(args, "out", None) or os.path.join("runs", args.task)
    if args.task == "cifar10" and config.get("synthetic") and config.get("root"):
        raise CLIError("give either --root DIR or --synthetic, not both")
    for key in ("data", "root", "text"):  # absolute, so --resume works from any directory
        if config.get(key):
            config[key] = os.path.abspath(config[key])
    args.resolved_out = out
    _validate_config(config, args.task, "--resume: the checkpoint's config" if resume is not None else "ember train")
    _check_writable(out)
    if getattr(args, "sweep", None):
        return sweep.run(args, module, config, out, lambda c: _validate_config(c, args.task, "ember train --sweep"),
                         _check_writable, log=lambda m: print(m, flush=True))

    task, source = module.build_task(config)
    print(f"ember train {args.task}: data {source}; {len(task.train_set)} train / {len(task.test_set)} test rows; "
          f"output {out}", flush=True)
    # small GEMMs gain nothing from BLAS threads, and spinning threads hurt on a busy machine
    threads = 64 if args.task == "cifar10" else 1
    tb_dir = getattr(args, "tensorboard", None)
    tb = None if tb_dir is None else TrainLogger(tb_dir or os.path.join(out, "tensorboard"), config)
    try:
        with _parallel.blas_threads(threads):
            fit(task, config, out, resume=resume, log=lambda m: print(m, flush=True), tensorboard=tb)
    finally:
        if tb is not None:
            tb.close()
    if tb is not None:
        print(f"TensorBoard logs in {tb.log_dir}: tensorboard --logdir {tb.log_dir}", flush=True)
    return 0


def _run_plot(args):
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CLIError("ember plot needs matplotlib: pip install 'ember[plot]'") from None
    from .plots import plot
    out = args.out or f"{args.what}.png"
    d = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(d):
        raise CLIError(f"--out: directory {d!r} does not exist")
    try:
        names = plot(args.what, out)
    except ValueError as e:  # e.g. an unknown image format suffix
        raise CLIError(f"--out: {e}") from None
    print(f"wrote {out}: {', '.join(names)}")
    return 0


def _guard(fn):
    try:
        return fn()
    except CLIError as e:
        sys.stderr.write(f"ember: error: {_one_line(e)}\n")
        return 1


def main(argv=None):
    """Run the ``ember`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["run"]:               # everything after SCRIPT belongs to the script
        if len(argv) < 2 or argv[1] in ("-h", "--help"):
            sys.stdout.write("usage: ember run [--nproc N] SCRIPT [ARGS...]\n\nRun an unmodified PyTorch script on ember: "
                             "'torch' and 'torchvision' imports resolve to ember.\n--nproc N starts N processes "
                             "with mpiexec (torch.distributed on MPI: pip install 'ember[distributed]').\n")
            return 0 if len(argv) > 1 else 2
        if argv[1] == "--nproc" or argv[1].startswith("--nproc="):
            return _guard(lambda: distributed_launch.run_command(argv[1:]))
        return compat.run_script(argv[1], argv[2:])
    args = None
    try:
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as e:  # --help (0) or a usage error already reported (2)
            return e.code if isinstance(e.code, int) else 2
        if args.command == "train" and getattr(args, "nproc", 1) > 1:
            return distributed_launch.train_command(distributed_launch.split_nproc(argv)[1], args.nproc)
        if args.command == "train":
            return _run_train(args)
        if args.command in ("compare", "explain", "report"):
            return {"compare": compare, "explain": explain, "report": report}[args.command].run(args)
        if args.command == "export":
            return export_onnx.run(args)
        return _run_plot(args)
    except CLIError as e:
        sys.stderr.write(f"ember: error: {_one_line(e)}\n")
        return 1
    except OSError as e:  # a full disk, a directory that became read-only, ...
        where = f" {e.filename!r}" if getattr(e, "filename", None) else ""
        sys.stderr.write(f"ember: error: cannot write or read{where}: {_one_line(e.strerror or e)}\n")
        return 1
    except KeyboardInterrupt:
        if args is None or args.command != "train":
            sys.stderr.write("ember: interrupted\n")
            return 130
        ckpt = os.path.join(getattr(args, "resolved_out", ""), "checkpoint")
        hint = (f"; continue with: ember train {args.task} --resume {ckpt}"
                if args.command == "train" and os.path.isfile(ckpt) else "")
        sys.stderr.write(f"ember: interrupted{hint}\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
