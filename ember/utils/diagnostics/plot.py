"""``diagnostics.png``: recorded diagnostics as four panels over the epochs.

Gradient norm per weight layer (log scale), update-to-weight ratio per weight layer (log scale),
dead-unit fraction per ReLU-family layer, saturated fraction per Sigmoid/Tanh layer (or, without
such layers, the activation standard deviation per layer). Needs matplotlib (optional extra).

Example:
    >>> plot_diagnostics(diag.to_dict(), "diagnostics.png")   # False when matplotlib is missing
"""

__all__ = ["plot_diagnostics"]


def _series(data, key, names):
    ep = [e["epoch"] for e in data["epochs"]]
    out = []
    for name in names:
        pts = [(x, e["layers"][name][key]) for x, e in zip(ep, data["epochs"]) if key in e["layers"].get(name, {})]
        if pts:
            out.append((name, [p[0] for p in pts], [p[1] for p in pts]))
    return out


def plot_diagnostics(data, path):
    """Draw ``data`` (``Diagnostics.to_dict()``) to ``path``; False when matplotlib is not installed."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return False
    layers = data["layers"]
    types = {l["name"]: l["type"] for l in layers}
    weight = [l["name"] for l in layers if l["weight_layer"]]
    relu = [l["name"] for l in layers if l["kind"] == "relu"]
    sat = [l["name"] for l in layers if l["kind"] in ("sigmoid", "tanh")]
    fig = Figure(figsize=(11, 7.5), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 2).ravel()
    panels = [("gradient norm (mean per step)", "grad_norm", weight, True, None),
              ("update / weight ratio per step", "update_ratio", weight, True, None),
              ("dead units (never fired in the epoch)", "dead_fraction", relu, False, (0, 1.02))]
    panels.append(("saturated outputs (flat tails)", "saturated_fraction", sat, False, (0, 1.02)) if sat else
                  ("activation standard deviation", "act_std", [l["name"] for l in layers], True, None))
    for ax, (title, key, names, log, ylim) in zip(axes, panels):
        series = _series(data, key, names)
        for name, x, y in series:
            ax.plot(x, y, marker="." if len(x) < 30 else None, label=f"{name} ({types.get(name, '?')})")
        if not series:
            ax.text(0.5, 0.5, "no such layers", ha="center", va="center", transform=ax.transAxes, color="grey")
        elif log and all(v > 0 for _, _, y in series for v in y):
            ax.set_yscale("log")
        if series:
            ax.legend(fontsize=7)
        if ylim:
            ax.set_ylim(*ylim)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    fig.suptitle("ember diagnostics")
    fig.tight_layout()
    fig.savefig(path)
    return True
