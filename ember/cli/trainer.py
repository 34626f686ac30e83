"""The training loop behind ``ember train``: epochs, evaluation, checkpoints, metrics, curves.

A task (phone-price, cifar10) hands over a ``Task``: train/test data sets, a model builder and
the class names. ``fit`` then does what a PyTorch tutorial loop does, plus what makes a run
reproducible and resumable:

- ``ember.manual_seed(seed)`` before the model is built; the data order comes from a dedicated
  ``ember.Generator`` (seeded with ``seed``) given to the ``DataLoader``;
- after every epoch ``DIR/checkpoint`` holds the model, optimizer and scheduler state dicts,
  the epoch, the config, the metrics so far and both RNG states (global and data order), so
  ``--resume`` continues bit-for-bit where the run stopped;
- ``DIR/metrics.json`` is rewritten every epoch; ``DIR/curves.png`` at the end (matplotlib).
"""
import hashlib
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

import ember
from ember import nn
from ember.utils.data import DataLoader
from ember.utils.diagnostics import Diagnostics
from ember.utils.viz import make_dot

from .distributed_training import TrainingWorld

CHECKPOINT_FORMAT = "ember-train/1"


class CLIError(Exception):
    """Bad input from the user: reported as one ``ember: error: ...`` line, no traceback."""


@dataclass
class Task:
    name: str
    train_set: object
    test_set: object
    build_model: object            # config -> nn.Module
    classes: list
    fingerprint: str = ""          # identifies the data, so a resume on other data is refused
    extra: dict = field(default_factory=dict)  # saved in the checkpoint (e.g. standardization stats)
    collate_fn: object = None      # None: the DataLoader's default
    confusion: bool = True         # print the confusion matrix at the end (not for 100-class vocabularies)
    after_fit: object = None       # (model, history, log) -> None: a task's own closing report


def fingerprint(*arrays):
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.shape, str(a.dtype))).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


def make_optimizer(config, params):
    name, lr, wd = config["optimizer"], config["lr"], config["weight_decay"]
    if name == "adam":
        return ember.optim.Adam(params, lr=lr, weight_decay=wd)
    if name == "adamw":
        return ember.optim.AdamW(params, lr=lr, weight_decay=wd)
    if name == "sgd":
        return ember.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=wd)
    if name == "rmsprop":
        return ember.optim.RMSprop(params, lr=lr, weight_decay=wd)
    if name == "adagrad":
        return ember.optim.Adagrad(params, lr=lr, weight_decay=wd)
    raise CLIError(f"unknown optimizer {name!r}; choose adam, adamw, sgd, rmsprop or adagrad")


def make_scheduler(config, optimizer):
    name, epochs = config["scheduler"], config["epochs"]
    if name == "none":
        return None
    if name == "step":
        return ember.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, round(epochs / 3)), gamma=0.1)
    if name == "cosine":
        return ember.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, epochs))
    raise CLIError(f"unknown scheduler {name!r}; choose none, step or cosine")


def _atomic_write_text(path, text):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def evaluate(model, loader, loss_fn):
    """(mean loss, accuracy, predictions, targets) of ``model`` over ``loader``, in eval mode."""
    model.eval()
    total, n, preds, targets = 0.0, 0, [], []
    with ember.no_grad():
        for xb, yb in loader:
            out = model(xb)
            total += loss_fn(out, yb).item() * len(yb)
            n += len(yb)
            preds.append(out._data.argmax(1))
            targets.append(yb._data)
    preds, targets = np.concatenate(preds), np.concatenate(targets)
    return total / max(n, 1), float((preds == targets).mean()) if n else 0.0, preds, targets


def confusion_matrix(targets, preds, k):
    cm = np.zeros((k, k), np.int64)
    np.add.at(cm, (targets, preds), 1)
    return cm


def format_confusion(cm, classes):
    names = [str(c) for c in classes]
    w = max(6, max(len(n) for n in names) + 1, len(str(cm.max())) + 2)
    lines = ["confusion matrix (rows: true class, columns: predicted class)",
             " " * w + "".join(n[:w - 1].rjust(w) for n in names)]
    for name, row in zip(names, cm):
        lines.append(name[:w - 1].rjust(w) + "".join(str(v).rjust(w) for v in row))
    return "\n".join(lines)


def plot_curves(history, path, title):
    """Loss and accuracy curves to ``path``; False when matplotlib is not installed."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return False
    ep = [h["epoch"] for h in history]
    fig = Figure(figsize=(10, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(1, 2)
    ax1.plot(ep, [h["train_loss"] for h in history], label="train loss")
    ax1.plot(ep, [h["test_loss"] for h in history], label="test loss")
    ax1.set_xlabel("epoch"), ax1.set_ylabel("cross-entropy"), ax1.legend(), ax1.grid(alpha=0.3)
    ax2.plot(ep, [h["train_accuracy"] for h in history], label="train accuracy")
    ax2.plot(ep, [h["test_accuracy"] for h in history], label="test accuracy")
    ax2.set_xlabel("epoch"), ax2.set_ylabel("accuracy"), ax2.set_ylim(0, 1.02), ax2.legend(), ax2.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path)
    return True


def _progress(total, desc):
    """A tqdm bar on a terminal; None when stderr is a file or pipe (tests, CI logs)."""
    try:
        if not sys.stderr.isatty() or min(os.get_terminal_size(sys.stderr.fileno())) < 2:
            return None  # (a zero-sized pseudo-terminal would hide the bar: print lines instead)
    except (AttributeError, OSError, ValueError):
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        return None
    return tqdm(total=total, desc=desc, unit="batch", leave=True, file=sys.stderr, dynamic_ncols=True)


def load_checkpoint(path, task_name):
    if not os.path.isfile(path):
        raise CLIError(f"--resume: no such checkpoint file {path!r}")
    try:
        ckpt = ember.load(path)
    except (RuntimeError, OSError) as e:
        raise CLIError(f"--resume: {e}") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise CLIError(f"--resume: {path!r} is not a checkpoint written by 'ember train'")
    if ckpt.get("task") != task_name:
        raise CLIError(f"--resume: {path!r} is a {ckpt.get('task')!r} checkpoint, not {task_name!r}; "
                       f"use 'ember train {ckpt.get('task')} --resume {path}'")
    return ckpt


def fit(task, config, out_dir, resume=None, log=print, tensorboard=None):
    """Train ``task`` with ``config`` (a dict) and write the run's files to ``out_dir``.

    Returns ``(metrics, model)``: the dict also written to ``out_dir/metrics.json`` and the trained model.
    ``tensorboard``: a ``tensorboard_log.TrainLogger`` (``--tensorboard``) or None.
    """
    os.makedirs(out_dir, exist_ok=True)
    world = TrainingWorld()   # --nproc N: DDP, DistributedSampler, rank 0 writes
    if world.check(config):
        raise CLIError(world.check(config))
    log = world.log(log)
    ember.manual_seed(config["seed"])
    model = task.build_model(config)
    if config.get("compile"):
        if config.get("diagnose"):
            raise CLIError("--compile and --diagnose cannot be combined: the diagnostics' hooks make a compiled "
                           "model run eagerly; drop one of them")
        model.compile()
    optimizer = make_optimizer(config, model.parameters())
    scheduler = make_scheduler(config, optimizer)
    data_gen = ember.Generator().manual_seed(config["seed"])
    history, start = [], 0
    if resume is not None:
        if resume.get("fingerprint") != task.fingerprint:
            raise CLIError("--resume: the data differs from the data the checkpoint was trained on "
                           f"(fingerprint {task.fingerprint} vs {resume.get('fingerprint')}); pass the same --data/--root")
        try:
            model.load_state_dict(resume["model"])
            optimizer.load_state_dict(resume["optimizer"])
            if scheduler is not None and resume.get("scheduler") is not None:
                scheduler.load_state_dict(resume["scheduler"])
            ember.set_rng_state(resume["rng"]["global"])
            data_gen.set_state(resume["rng"]["data"])
            history = list(resume["history"])
            start = int(resume["epoch"])
        except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as e:
            raise CLIError(f"--resume: the checkpoint is incomplete or does not fit this model "
                           f"({type(e).__name__}: {e})") from None
        if scheduler is not None and config["scheduler"] == "cosine" and scheduler.T_max != max(1, config["epochs"]):
            log(f"note: the cosine schedule is stretched from {scheduler.T_max} to {config['epochs']} epochs")
            scheduler.T_max = max(1, config["epochs"])
        log(f"resuming {task.name} from epoch {start} ({resume.get('path', 'checkpoint')})")

    diag = Diagnostics(model, optimizer, first_epoch=start + 1) if config.get("diagnose") else None
    train_model = world.wrap(model)
    loss_fn = nn.CrossEntropyLoss()
    bs = config["batch_size"]
    kw = {} if task.collate_fn is None else {"collate_fn": task.collate_fn}
    train_loader = world.train_loader(task.train_set, bs, data_gen, config["seed"], **kw)
    test_loader = DataLoader(task.test_set, batch_size=max(bs, 256), shuffle=False, **kw)
    ckpt_path = os.path.join(out_dir, "checkpoint")
    metrics_path = os.path.join(out_dir, "metrics.json")
    epochs = config["epochs"]
    preds = targets = None
    if start >= epochs:
        log(f"the checkpoint already has {start} epochs (--epochs {epochs}); evaluating only")

    for epoch in range(start, epochs):
        t0 = time.perf_counter()
        model.train()
        lr = optimizer.param_groups[0]["lr"]
        run_loss, run_correct, seen = 0.0, 0, 0
        bar = _progress(len(train_loader), f"epoch {epoch + 1}/{epochs}") if world.is_main else None
        world.set_epoch(train_loader, epoch)
        for xb, yb in train_loader:
            out = train_model(xb)
            loss = loss_fn(out, yb)
            optimizer.zero_grad()
            loss.backward()
            if config.get("clip_grad_norm"):
                nn.utils.clip_grad_norm_(model.parameters(), config["clip_grad_norm"])
            optimizer.step()
            n = len(yb)
            run_loss += loss.item() * n
            run_correct += int((out._data.argmax(1) == yb._data).sum())
            seen += n
            if tensorboard is not None:
                tensorboard.batch(epoch, len(train_loader), loss.item())
            if bar is not None:
                bar.set_postfix(loss=f"{run_loss / seen:.4f}", acc=f"{run_correct / seen:.3f}", refresh=False)
                bar.update(1)
        run_loss, run_correct, seen = world.sums(run_loss, run_correct, seen)
        test_loss, test_acc, preds, targets = evaluate(model, test_loader, loss_fn)
        if scheduler is not None:
            scheduler.step()
        row = {"epoch": epoch + 1, "train_loss": run_loss / max(seen, 1), "train_accuracy": run_correct / max(seen, 1),
               "test_loss": test_loss, "test_accuracy": test_acc, "lr": lr,
               "seconds": round(time.perf_counter() - t0, 4)}
        history.append(row)
        if tensorboard is not None:
            tensorboard.epoch(epoch + 1, row, model)
        if diag is not None:
            diag.end_epoch(**row)
        summary = (f"train_loss {row['train_loss']:.4f}  train_acc {row['train_accuracy']:.4f}"
                   f"  test_loss {test_loss:.4f}  test_acc {test_acc:.4f}  lr {lr:.3g}")
        if bar is not None:  # on a terminal the epoch's bar keeps the summary
            bar.set_postfix_str(summary, refresh=False)
            bar.close()
        else:
            log(f"epoch {epoch + 1:3d}/{epochs}  {summary}")
        if not world.is_main:
            continue
        ember.save({"format": CHECKPOINT_FORMAT, "task": task.name, "epoch": epoch + 1, "config": config,
                    "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": None if scheduler is None else scheduler.state_dict(),
                    "rng": {"global": ember.get_rng_state(), "data": data_gen.get_state()},
                    "history": history, "fingerprint": task.fingerprint, "classes": list(task.classes),
                    **task.extra}, ckpt_path)
        _atomic_write_text(metrics_path, json.dumps(_metrics(task, config, history), indent=1))

    if preds is None:  # nothing trained in this call: evaluate the loaded model
        _, _, preds, targets = evaluate(model, test_loader, loss_fn)
    if not world.is_main:
        world.close()
        return _metrics(task, config, history), model
    world.close()
    k = len(task.classes)
    cm = confusion_matrix(targets, preds, k)
    metrics = _metrics(task, config, history)
    metrics["final"] = {"test_accuracy": float((preds == targets).mean()), "confusion_matrix": cm.tolist(),
                        "classes": [str(c) for c in task.classes]}
    _atomic_write_text(metrics_path, json.dumps(metrics, indent=1))
    curves = os.path.join(out_dir, "curves.png")
    drew = bool(history) and plot_curves(history, curves, f"ember train {task.name}")
    acc = metrics["final"]["test_accuracy"]
    log(f"\nfinal test accuracy: {acc:.4f} ({int((preds == targets).sum())}/{len(targets)})")
    if task.confusion:
        log(format_confusion(cm, task.classes))
    if task.after_fit is not None:
        task.after_fit(model, history, log)
    wrote = [metrics_path, ckpt_path] + ([curves] if drew else []) + write_model_files(model, test_loader, loss_fn, out_dir)
    if diag is not None:
        wrote += diag.report(out_dir, log)
    log("wrote " + ", ".join(wrote))
    if not drew and history:
        log("(no curves.png: matplotlib is not installed; pip install 'ember[plot]')")
    return metrics, model


def write_model_files(model, loader, loss_fn, out_dir):
    """``model.txt`` (``print(model)``) and ``graph.dot`` (the autograd graph of the loss on a few test
    examples, in eval mode) for ``ember report``; the paths written."""
    paths = [os.path.join(out_dir, "model.txt"), os.path.join(out_dir, "graph.dot")]
    _atomic_write_text(paths[0], str(model) + "\n")
    xb, yb = next(iter(loader))
    model.eval()
    try:
        out = model(xb[:4])
        dot = make_dot(loss_fn(out, yb[:out.shape[0]]), params=dict(model.named_parameters()))
    except (ValueError, RuntimeError, TypeError, IndexError):  # a task whose batches do not slice so
        return paths[:1]
    _atomic_write_text(paths[1], dot)
    return paths


def _metrics(task, config, history):
    return {"task": task.name, "config": config, "epochs": history}
