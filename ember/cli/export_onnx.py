"""``ember export onnx CHECKPOINT --out model.onnx``: a model trained by ``ember train`` as ONNX.

The checkpoint's task and config rebuild the model (as ``--resume`` does), its weights are
loaded and ``ember.onnx.export`` writes it with a dynamic batch axis (and a dynamic sequence
length for the LSTM language model). What each task's file takes and gives:

- phone-price: ``features`` (batch, 20) raw feature values -> ``logits`` (batch, 4); the
  training-set standardization saved in the checkpoint is part of the graph;
- cifar10: ``images`` (batch, 3, 32, 32) pixel values in [0, 1] -> ``logits`` (batch, 10); the
  per-channel standardization is part of the graph;
- charlm: ``ids`` (batch, time) character ids (int64) -> ``logits`` (batch * time, vocabulary);
  any length for ``--model lstm``, up to the training ``--seq-len`` for ``--model gpt``.

When onnxruntime is installed the file is run once on random inputs and compared with ember.
"""
import argparse
import os

import numpy as np

import ember
from ember import nn

from . import charlm, cifar10, phone_price
from .trainer import CHECKPOINT_FORMAT, CLIError


class Standardized(nn.Module):
    """``model((x - mean) / std)``, with mean and std broadcast over ``shape``."""

    def __init__(self, model, mean, std, shape):
        super().__init__()
        self.model = model
        self.register_buffer("mean", ember.tensor(np.asarray(mean, np.float32).reshape(shape)))
        self.register_buffer("std", ember.tensor(np.asarray(std, np.float32).reshape(shape)))

    def forward(self, x):
        return self.model((x - self.mean) / self.std)


def add_parser(sub):
    """Register ``ember export onnx`` on the top-level subparsers ``sub``."""
    export = sub.add_parser("export", help="export a model trained by 'ember train' (ONNX)",
                            description="Export a model trained by 'ember train'.")
    formats = export.add_subparsers(dest="format", metavar="{onnx}", required=True)
    p = formats.add_parser("onnx", help="write an ONNX file (needs pip install 'ember[onnx]')",
                           description="Write the model of an 'ember train' checkpoint as an ONNX file, with a "
                                       "dynamic batch axis; standardization saved in the checkpoint is part of "
                                       "the graph, so the file takes raw inputs.",
                           formatter_class=argparse.RawDescriptionHelpFormatter,
                           epilog="example:\n  ember train phone-price --epochs 5\n"
                                  "  ember export onnx runs/phone-price/checkpoint --out phone.onnx")
    p.add_argument("checkpoint", metavar="CHECKPOINT", help="a checkpoint written by 'ember train' (DIR/checkpoint)")
    p.add_argument("--out", metavar="FILE.onnx", default=None,
                   help="output file (default: model.onnx beside the checkpoint)")
    p.add_argument("--opset", type=int, default=None, metavar="N",
                   help=f"ONNX opset version (default: {ember.onnx.DEFAULT_OPSET}, as PyTorch)")


def _load(path):
    if not os.path.isfile(path):
        raise CLIError(f"no such checkpoint file {path!r}")
    try:
        ckpt = ember.load(path)
    except (RuntimeError, OSError, ValueError) as e:
        raise CLIError(f"{path!r}: {e}") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise CLIError(f"{path!r} is not a checkpoint written by 'ember train'")
    return ckpt


def rebuild(ckpt):
    """(model in eval mode with the checkpoint's weights, example inputs, input name, dynamic axes)."""
    task, config = ckpt.get("task"), dict(ckpt.get("config") or {})
    classes = ckpt.get("classes") or []
    if task == "phone-price":
        n_in = len(ckpt["columns"])
        core = phone_price.PhonePriceMLP(n_in, config["hidden"], len(classes), config["batchnorm"],
                                         config["dropout"])
        norm = ckpt["standardization"]
        model = Standardized(core, norm["mean"], norm["std"], (1, n_in))
        example, name, axes = ember.zeros(1, n_in), "features", {0: "batch"}
    elif task == "cifar10":
        core = cifar10.cifar10_net()
        norm = ckpt["standardization"]
        model = Standardized(core, norm["mean"], norm["std"], (1, 3, 1, 1))
        example, name, axes = ember.zeros(1, 3, 32, 32), "images", {0: "batch"}
    elif task == "charlm":
        core = model = charlm.build_model(config, len(ckpt["vocabulary"]))
        # the GPT's positions go up to --seq-len: traced at half of it (the exporter also traces longer)
        t = config["seq_len"] if config["model"] == "lstm" else max(1, config["seq_len"] // 2)
        example, name, axes = ember.zeros(1, t, dtype=ember.int64), "ids", {0: "batch", 1: "time"}
    else:
        raise CLIError(f"the checkpoint's task {task!r} is not one ember export knows "
                       "(phone-price, cifar10, charlm)")
    try:
        core.load_state_dict(ckpt["model"])
    except (KeyError, RuntimeError) as e:
        raise CLIError(f"the checkpoint's weights do not fit its {task} model: {e}") from None
    return model.eval(), example, name, axes


def _compare(path, model, example, name, axes):
    """Largest |onnxruntime - ember| on a random input with another batch size, or None without onnxruntime."""
    try:
        import onnxruntime
    except ImportError:
        return None
    shape = list(example.shape)
    shape[0] = 3
    if example.dtype == ember.int64:
        x = ember.zeros(*shape, dtype=ember.int64)
    else:
        x = ember.rand(*shape)
    with ember.no_grad():
        want = model(x).numpy()
    sess = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = sess.run(None, {name: x.numpy()})[0]
    return float(np.abs(got - want).max())


def run(args):
    """``ember export onnx``: returns the exit status."""
    ckpt = _load(args.checkpoint)
    out = args.out or os.path.join(os.path.dirname(os.path.abspath(args.checkpoint)), "model.onnx")
    d = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(d):
        raise CLIError(f"--out: directory {d!r} does not exist")
    model, example, name, axes = rebuild(ckpt)
    try:
        ember.onnx.export(model, (example,), out, input_names=[name], output_names=["logits"],
                          dynamic_axes={name: axes, "logits": {0: "rows" if ckpt["task"] == "charlm" else "batch"}},
                          opset_version=args.opset)
    except ImportError as e:
        raise CLIError(str(e)) from None
    except ValueError as e:
        raise CLIError(f"--opset: {e}") from None
    dims = ", ".join(f"{k}: {v}" for k, v in axes.items())
    print(f"wrote {out}: {ckpt['task']} model, input {name!r} {tuple(example.shape)} (dynamic {dims}), "
          f"output 'logits', opset {args.opset or ember.onnx.DEFAULT_OPSET}")
    diff = _compare(out, model, example, name, axes)
    if diff is not None:
        print(f"checked with onnxruntime at batch 3: max |difference| from ember {diff:.2e}")
    return 0
