"""ember.utils.diagnostics: see what training does, layer by layer, with advice in plain words.

``Diagnostics`` (``recorder.py``) hooks a model and its optimizer and records gradient norms,
weight norms, update-to-weight ratios, activation statistics, dead ReLU units, Sigmoid/Tanh
saturation and the first NaN/Inf; ``find`` (``rules.py``) turns the records into findings;
``plot_diagnostics`` (``plot.py``) draws them. ``ember train ... --diagnose`` uses all three.

Example:
    >>> from ember.utils.diagnostics import Diagnostics
    >>> diag = Diagnostics(model, optimizer)
    >>> ...train one epoch...; diag.end_epoch(train_loss=tl, test_loss=vl)
    >>> for f in diag.findings(): print(f)
"""
from .plot import plot_diagnostics
from .recorder import Diagnostics
from .rules import THRESHOLDS, Finding, find

__all__ = ["Diagnostics", "Finding", "find", "plot_diagnostics", "THRESHOLDS"]
