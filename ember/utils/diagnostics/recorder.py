"""What training does inside a model, layer by layer: the recorder behind ``ember train --diagnose``.

``Diagnostics(model, optimizer)`` registers hooks and records, per layer:

- **gradient norm** (per sampled step, see ``every``; the epoch's mean and maximum): the L2 norm over the layer's own
  parameters' ``.grad``; with an optimizer, as the optimizer receives it (its step pre-hook, so
  after any clipping), without one as backward leaves it (a post-accumulate-grad hook);
- **weight norm** (at the end of each epoch) and **update-to-weight ratio** ``||W_after - W_before|| / ||W_before||`` of
  each optimizer step (the optimizer's step pre/post hooks; needs ``optimizer``);
- **activation mean and standard deviation** of every leaf module's output over the epoch;
- **dead units**: for a ReLU-family activation, the fraction of units (features, or channels of
  an image) whose output was never above 0 on any training example of the epoch;
- **saturation**: for Sigmoid and Tanh, the fraction of outputs in the flat tails, where the
  local derivative is below 5 % of its peak (sigmoid ``s(1-s) < 0.0125``, tanh ``1-t² < 0.05``);
- the **first NaN/Inf**: the first layer whose output was not finite while its input was (the
  layer that produced it), or the first parameter whose gradient was not finite, or whose
  weights an optimizer step made not finite (output checked every step, so this is exact).

What runs when, to keep the cost low (``benchmarks/diagnostics_overhead.py``): on every training
step the optimizer's step post-hook (it counts) and the model's forward hook (is the output
finite? one dot product); between samples, a ReLU-family layer's watch hook while some of its
units have not fired this epoch (it reads their columns only); on sampled steps, every leaf
module's forward hook and the optimizer's step pre-hook as well. Nothing else is hooked.

Only forwards in training mode are recorded (``model.eval()`` evaluation is not). Call
``end_epoch(**metrics)`` after each epoch (metrics such as ``train_loss``, ``test_loss`` feed the
overfitting rule); ``findings()`` turns the records into plain-language advice (``rules.py``).

Example:
    >>> diag = Diagnostics(model, optimizer)
    >>> for epoch in range(epochs):
    ...     for x, y in loader:
    ...         optimizer.zero_grad(); loss_fn(model(x), y).backward(); optimizer.step()
    ...     diag.end_epoch(train_loss=..., test_loss=...)
    >>> for f in diag.findings(): print(f)
    >>> diag.save("diagnostics.json"); diag.remove()
"""
import json
import math
import os

import numpy as np

from ..._random import get_rng_state, set_rng_state
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...nn.modules.activation import (CELU, ELU, GELU, SELU, Hardsigmoid, Hardswish, LeakyReLU, PReLU, ReLU,
                                      ReLU6, RReLU, SiLU, Sigmoid, Tanh)
from ...nn.modules.module import Module
from . import rules
from .activations import column_sums, sq, still_unfired, tail_count, total
from .hookslot import HookSlot
from .plot import plot_diagnostics
from .snapshot import StepSnapshot

__all__ = ["Diagnostics"]

RELU_FAMILY = (ReLU, ReLU6, LeakyReLU, PReLU, RReLU, ELU, CELU, SELU, GELU, SiLU, Hardswish)


def _kind(module):
    if isinstance(module, RELU_FAMILY) and not isinstance(module, Hardsigmoid):
        return "relu"
    if isinstance(module, (Sigmoid, Tanh)):
        return "sigmoid" if isinstance(module, Sigmoid) else "tanh"
    return "other"


def _first_array(value):
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, (tuple, list)):
        for v in value:
            a = _first_array(v)
            if a is not None:
                return a
    return None


def _mean(values):      # of a few floats, NaN if one is (as NumPy's mean; Python's sum is faster here)
    return sum(values) / len(values)


def _max(values):
    return float("nan") if any(v != v for v in values) else max(values)


class _Layer:
    """One module's records: identity, and the accumulators of the epoch in progress."""
    __slots__ = ("name", "type", "kind", "params", "order", "source", "n", "s", "ss", "units", "units_axis",
                 "sat", "grad_norms", "update_ratios", "before", "gsq", "nonneg", "unfired")

    def __init__(self, name, module, params):
        self.name, self.type, self.kind, self.params = name, type(module).__name__, _kind(module), params
        self.nonneg = isinstance(module, (ReLU, ReLU6))
        self.order = self.source = None
        self.before = None       # ||W||^2 before the sampled step in progress (the copy: ``StepSnapshot``)
        self.gsq = None          # ||grad||^2 of the sampled step in progress (None: no gradient)
        self.reset()

    def reset(self):
        self.n, self.s, self.ss, self.sat = 0, 0.0, 0.0, 0
        self.units = None        # how many units (features, or channels of an image) a ReLU-family layer has
        self.unfired = None      # indices of the units that have not fired yet this epoch (None: not looked yet)
        self.grad_norms, self.update_ratios = [], []

    @property
    def is_weight_layer(self):  # has a matrix or kernel of its own (Linear, Conv, Embedding, RNN ...)
        return any(p.ndim >= 2 for _, p in self.params)

    @property
    def watching_units(self):   # a ReLU-family layer with units not yet seen firing this epoch
        return self.kind == "relu" and (self.unfired is None or self.unfired.size > 0)


class Diagnostics:
    """Hooks on ``model`` (and ``optimizer``, for update ratios) recording per-layer training statistics.

    Args:
        model: any ``nn.Module``; every leaf module's output and every module's own parameters
            are watched.
        optimizer: optional; with it, gradient norms are grouped by optimizer step and the
            update-to-weight ratio of each step is recorded.
        record_steps: keep every sampled step's gradient norms (``steps`` in ``to_dict()``), not
            only the epoch means.
        every: with an optimizer, measure gradient norms, activation mean/std, saturation and
            update-to-weight ratios on every ``every``-th step of an epoch (its first step
            always), to keep the cost low. Dead units and the NaN/Inf check of the model's output
            run on every step (exact); a layer's hook is attached only while it has work (on
            sampled steps; for a ReLU-family layer also until all its units have fired in the
            epoch). The default 16 keeps the cost of leaving diagnostics on low on the smallest
            model of the tutorials, the phone-price MLP, where it weighs most (README, "See what
            training does"). Sampled per-epoch means differ from all-steps means by ~10 % there
            (2 of its 25 steps; less on longer epochs): invisible on the log-scale plots, and the
            rules' thresholds sit orders of magnitude from healthy values. ``every=1``: all steps.
        first_epoch: the number of the first epoch recorded (e.g. ``n + 1`` when resuming after n).

    Example:
        >>> diag = Diagnostics(model, optimizer)      # train as usual, then after each epoch:
        >>> diag.end_epoch(train_loss=0.9, test_loss=1.1)
        >>> print("\\n".join(str(f) for f in diag.findings()))
    """

    def __init__(self, model, optimizer=None, *, record_steps=True, every=16, first_epoch=1):
        if not isinstance(model, Module):
            raise TypeError(f"Diagnostics: expected an ember.nn.Module to watch, got {type(model).__name__}; "
                            "pass the model itself, e.g. Diagnostics(model, optimizer)")
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"Diagnostics: every must be a positive integer (sample every n-th step), got {every!r}")
        self.model, self.optimizer, self.record_steps, self.every = model, optimizer, record_steps, every
        self._epoch_step = 0          # steps completed in the epoch in progress
        self._sample = True           # is the step in progress a sampled one (``every``)?
        self._took_before = False     # weights copied before this step (for its update ratio)
        self.epoch = first_epoch      # the epoch in progress
        self.layers = {}
        self.epochs, self.steps = [], []
        self.step = 0                 # optimizer steps (or backward passes without an optimizer) so far
        self.first_nonfinite = None
        self._handles, self._pending, self._calls, self._last = [], {}, 0, None
        self._hunting = False         # re-running a forward to find the layer that made a NaN/Inf
        self._leaf_hooks = []         # (layer, HookSlot of its forward hook, its watch hook) per leaf
        self._hooks_stale = False     # a ReLU layer's units have all fired: its hook can go until the next epoch
        convs = any(type(m).__name__.startswith(("Conv", "MaxPool1d", "AvgPool1d")) for m in model.modules())
        for name, m in model.named_modules():
            own = [(p_name, p) for p_name, p in m.named_parameters(recurse=False) if p.requires_grad]
            leaf = not any(True for _ in m.children())
            if not own and not leaf:
                continue
            layer = self.layers[name or type(m).__name__] = _Layer(name or type(m).__name__, m, own)
            layer.units_axis = 1 if convs else -1
            if leaf:
                hook = self._forward_hook(layer)
                handle = m.register_forward_hook(hook)
                self._handles.append(handle)
                self._leaf_hooks.append((layer, HookSlot(m._forward_hooks, handle.id, hook),
                                         self._watch_hook(layer) if layer.kind == "relu" else None))
            if optimizer is None:
                for _, p in own:
                    self._handles.append(p.register_post_accumulate_grad_hook(self._grad_hook(layer, p)))
        self._param_layers = [l for l in self.layers.values() if l.params]
        self._snapshot = StepSnapshot([[p for _, p in l.params] for l in self._param_layers])
        self._handles.append(model.register_forward_hook(self._model_hook))
        self._pre_slot = None
        if optimizer is not None:
            pre_step = self._pre_step
            pre = optimizer.register_step_pre_hook(pre_step)
            self._pre_slot = HookSlot(pre._hooks, pre.id, pre_step)
            self._handles += [pre, optimizer.register_step_post_hook(self._post_step)]
        self._attach()

    # -- hooks ---------------------------------------------------------------------------------
    def _forward_hook(self, layer):
        def hook(module, args, output):
            if not module.training:
                return None
            a = output._data if isinstance(output, Tensor) else _first_array(output)
            if self._hunting:
                if a is not None and a.dtype.kind == "f" and not np.isfinite(a).all():
                    self._nonfinite_output(layer, args, a)
                return None
            if layer.order is None:
                layer.order, layer.source = self._calls, self._last
                self._calls += 1
            self._last = layer.name
            if a is None or a.size == 0 or a.dtype.kind != "f":
                return None
            if self._sample:
                self._measure(layer, args, a)
            elif layer.kind == "relu" and a.ndim >= 2:
                self._count_fired(layer, a)
            return None
        return hook

    def _watch_hook(self, layer):
        """Between samples, on a ReLU-family layer with units not fired yet this epoch: did any of
        them fire? Reads only their columns (``still_unfired``); the usual answer is no."""
        def watch(module, args, output):
            a = output._data if isinstance(output, Tensor) else _first_array(output)
            if not module.training or a is None or a.ndim < 2 or not layer.unfired.size:
                return None
            axis = layer.units_axis if a.ndim >= 3 else 1
            if a.shape[axis] != layer.units:
                self._count_fired(layer, a)
                return None
            layer.unfired = still_unfired(layer.unfired, a, axis, False)
            if not layer.unfired.size:
                self._hooks_stale = True
            return None
        return watch

    def _count_fired(self, layer, a, colsum=None):
        """Dead units: drop from ``layer.unfired`` the units that fired in ``a``."""
        axis = layer.units_axis if a.ndim >= 3 else a.ndim - 1
        if layer.units != a.shape[axis]:
            layer.units, layer.unfired = a.shape[axis], None
        if layer.unfired is not None and layer.unfired.size == 0:
            return
        layer.unfired = still_unfired(layer.unfired, a, axis, layer.nonneg, colsum)
        if layer.unfired.size == 0:
            self._hooks_stale = True

    def _measure(self, layer, args, a):
        """A sampled step: the layer's sum, sum of squares, fired units and tails."""
        ss = sq(a)                                # (NaN or Inf when a value is; BLAS-fast)
        colsum = None
        if layer.nonneg and a.ndim == 2:          # one GEMV gives both the total and the fired units
            colsum = column_sums(a)
            s = float(np.add.reduce(colsum))
        else:
            s = total(a)
        if not (math.isfinite(s) and math.isfinite(ss)) and not np.isfinite(a).all():
            self._nonfinite_output(layer, args, a)
            return
        if layer.kind == "relu" and a.ndim >= 2:
            self._count_fired(layer, a, colsum)
        layer.n += a.size
        layer.s += s
        layer.ss += ss
        if layer.kind != "other" and layer.kind != "relu":
            layer.sat += tail_count(a, layer.kind)

    def _model_hook(self, model, args, output):
        """Every training step: is the model's output finite? If not, and no layer was caught
        making the NaN/Inf (layers are checked on sampled steps only), run this forward again
        with every layer checked; the random state and buffers are restored afterwards."""
        if self._hunting or not model.training or self.first_nonfinite is not None:
            return None
        a = output._data if isinstance(output, Tensor) else _first_array(output)
        if a is None or a.dtype.kind != "f" or math.isfinite(sq(a)) or np.isfinite(a).all():
            return None
        rng = get_rng_state()
        buffers = [(b, b._data.copy()) for b in model.buffers()]
        self._hunting = True
        self._attach(everything=True)
        try:
            with no_grad():
                model(*args)
        except Exception:  # noqa: BLE001 - a forward needing keyword arguments: fall back below
            pass
        finally:
            self._hunting = False
            self._attach()
            set_rng_state(rng)
            for b, saved in buffers:
                b._data[...] = saved
        if self.first_nonfinite is None:   # made outside the watched modules (a functional op in forward)
            self._nonfinite_output(_Layer(type(model).__name__, model, []), (), a)
            self.first_nonfinite["where"] = "model"
        return None

    def _attach(self, everything=False):
        """Keep a hook in its table only while it has work: every leaf's forward hook and the
        optimizer's step pre-hook on sampled steps; between samples, a ReLU-family layer's watch
        hook until all its units have fired in the epoch (dead units). Otherwise a layer costs
        nothing, not even a call."""
        self._hooks_stale = False
        on = bool(self._handles)      # after remove(): nothing
        sample = everything or self._sample
        for layer, slot, watch in self._leaf_hooks:
            if not on or not (sample or layer.watching_units):
                slot.set(None)
            elif sample or layer.unfired is None:
                slot.set(slot.hook)
            else:
                slot.set(watch)
        if self._pre_slot is not None:
            self._pre_slot.set(self._pre_slot.hook if on and self._sample else None)

    def _nonfinite_output(self, layer, args, a):
        """Record the first NaN/Inf: ``layer`` output ``a`` (not finite) from ``args``. When the input
        was finite and the layer's own weights are not, the weights went bad in the last optimizer
        step (gradients are checked on sampled steps only): blame that step's gradient if it is
        still there and not finite, else the update."""
        if self.first_nonfinite is not None:
            return
        inp = _first_array(args)
        input_finite = inp is None or inp.dtype.kind != "f" or bool(np.isfinite(inp).all())
        where, step, bad = "output" if input_finite else "input", self.step + 1, a
        for _, p in layer.params if input_finite else ():
            if p._data.dtype.kind == "f" and not np.isfinite(p._data).all():
                g = p.grad
                if g is not None and g._data.dtype.kind == "f" and not np.isfinite(g._data).all():
                    where, bad = "gradient", g._data
                else:
                    where, bad = "weights", p._data
                step = self.step
                break
        self.first_nonfinite = {
            "where": where, "layer": layer.name, "type": layer.type,
            "value": "NaN" if np.isnan(bad).any() else "Inf", "step": step, "epoch": self.epoch,
            "fraction": float(1 - np.isfinite(bad).mean())}

    def _grad_sq(self, layer, g):
        s = sq(g)
        if not math.isfinite(s) and self.first_nonfinite is None and not np.isfinite(g).all():
            self.first_nonfinite = {
                "where": "gradient", "layer": layer.name, "type": layer.type,
                "value": "NaN" if np.isnan(g).any() else "Inf", "step": self.step + 1,
                "epoch": self.epoch, "fraction": float(1 - np.isfinite(g).mean())}
        return s

    def _grad_hook(self, layer, p):
        key = id(p)

        def hook(param):
            if param.grad is None:
                return
            g2 = self._grad_sq(layer, param.grad._data)
            if key in self._pending:
                self._flush()      # the same parameter again: a new backward pass began
            self._pending[key] = (layer, g2)
        return hook

    def _flush(self):
        """Without an optimizer: close a step (a backward pass), its gradient norms per layer."""
        self._post_step(None, (), {})
        if not self._pending:
            return
        sums = {}
        for layer, g2 in self._pending.values():
            sums[layer] = sums.get(layer, 0.0) + g2
        self._pending = {}
        row = {}
        for layer, g2 in sums.items():
            gn = math.sqrt(g2) if g2 >= 0 else float("nan")
            layer.grad_norms.append(gn)
            row[layer.name] = gn
        if self.record_steps:
            self.steps.append({"step": self.step, "epoch": self.epoch, "grad_norm": row})

    def _pre_step(self, optimizer, args, kwargs):
        """A sampled step, before the update: gradient norms, and a copy of the weights."""
        if not self._sample:
            return None
        wsq, gsq = self._snapshot.before()
        for layer, w, g in zip(self._param_layers, wsq, gsq):
            if g is not None and not math.isfinite(g):     # which parameter (and is it really not finite)
                g = sum(self._grad_sq(layer, p.grad._data) for _, p in layer.params if p.grad is not None)
            layer.before, layer.gsq = w, g
        self._took_before = True
        return None

    def _post_step(self, optimizer, args, kwargs):
        """Every step: count it, and decide whether the next one is sampled (hooks follow)."""
        if self._took_before:
            self._close_sample()
        self.step += 1
        self._epoch_step += 1
        sample = self._epoch_step % self.every == 0
        if sample != self._sample or self._hooks_stale:
            self._sample = sample
            self._attach()

    def _close_sample(self):
        """After a sampled step: its update ratios and gradient norms per layer."""
        self._took_before = False
        row = {}
        dsq = self._snapshot.update()
        for i, layer in enumerate(self._param_layers):
            w = layer.before
            if dsq is not None and w > 0:
                layer.update_ratios.append(math.sqrt(dsq[i] / w))
            if layer.gsq is not None:
                gn = math.sqrt(layer.gsq) if layer.gsq >= 0 else float("nan")
                layer.grad_norms.append(gn)
                row[layer.name] = gn
            layer.before = layer.gsq = None
        if row and self.record_steps:
            self.steps.append({"step": self.step + 1, "epoch": self.epoch, "grad_norm": row})

    # -- epochs --------------------------------------------------------------------------------
    def end_epoch(self, **metrics):
        """Close the epoch: summarise its steps per layer and keep ``metrics`` (numbers) beside them."""
        if self._pending:        # without an optimizer, the last backward's gradients
            self._flush()
        self._epoch_step, self._sample = 0, True
        rec = {"epoch": self.epoch,
               "metrics": {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))},
               "layers": {}}
        for layer in self.layers.values():
            s = {}
            if layer.grad_norms:
                s["grad_norm"], s["grad_norm_max"] = _mean(layer.grad_norms), _max(layer.grad_norms)
            if layer.params:
                s["weight_norm"] = math.sqrt(sum(sq(p._data) for _, p in layer.params))
            if layer.update_ratios:
                s["update_ratio"] = _mean(layer.update_ratios)
            if layer.n:
                mean = layer.s / layer.n
                s["act_mean"] = mean
                s["act_std"] = math.sqrt(max(layer.ss / layer.n - mean * mean, 0.0))
                if layer.kind in ("sigmoid", "tanh"):
                    s["saturated_fraction"] = layer.sat / layer.n
            if layer.unfired is not None:
                s["dead_fraction"] = layer.unfired.size / layer.units
                s["units"] = int(layer.units)
            if s:
                rec["layers"][layer.name] = s
            layer.reset()
        self._attach()
        self.epochs.append(rec)
        self.epoch += 1
        return rec

    # -- results -------------------------------------------------------------------------------
    def to_dict(self):
        """Everything recorded, as JSON-ready data (what ``save`` writes and ``rules.find`` reads)."""
        if self._pending or any(l.n or l.grad_norms for l in self.layers.values()):
            self.end_epoch()
        return {"format": "ember-diagnostics/1",
                "layers": [{"name": l.name, "type": l.type, "kind": l.kind, "order": l.order, "source": l.source,
                            "weight_layer": l.is_weight_layer, "parameters": [n for n, _ in l.params]}
                           for l in sorted(self.layers.values(),
                                           key=lambda l: (l.order is None, l.order or 0))],
                "epochs": self.epochs, "steps": self.steps, "first_nonfinite": self.first_nonfinite}

    def findings(self):
        """Plain-language findings (``rules.Finding``) from what was recorded so far."""
        return rules.find(self.to_dict())

    def save(self, path):
        """Write ``to_dict()`` and the findings to ``path`` as JSON."""
        data = self.to_dict()
        data["findings"] = [f.to_dict() for f in rules.find(data)]
        with open(path, "w") as f:
            json.dump(data, f, indent=1)
        return data

    def report(self, out_dir, log=print):
        """Log the findings and write ``out_dir/diagnostics.json`` and ``diagnostics.png``; the paths written.

        Without matplotlib the picture is skipped with a note saying how to get it.
        """
        json_path = os.path.join(out_dir, "diagnostics.json")
        data = self.save(json_path)
        found = data["findings"]
        log(f"\ndiagnostics: {len(found)} finding{'s' if len(found) != 1 else ''}" if found else
            "\ndiagnostics: no problems found (gradients, updates, dead or saturated units, activation scale, NaN/Inf, overfitting)")
        for f in found:
            log("  - " + f["text"])
        png = os.path.join(out_dir, "diagnostics.png")
        if plot_diagnostics(data, png):
            return [json_path, png]
        log("(no diagnostics.png: matplotlib is not installed; pip install 'ember[plot]')")
        return [json_path]

    def remove(self):
        """Remove every hook this object registered."""
        for h in self._handles:
            h.remove()
        self._handles = []
        self._attach()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False
