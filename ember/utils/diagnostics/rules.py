"""Plain-language findings from recorded diagnostics: each rule, its threshold, its advice.

Every rule reads the JSON-ready data of ``Diagnostics.to_dict()`` (so it also runs on a saved
``diagnostics.json``) and returns ``Finding`` objects: what was seen, the numbers behind it
(``evidence``), and what to try. The thresholds are rules of thumb, stated here once:

==============  ===========================================================================
rule            fires when
==============  ===========================================================================
nonfinite       a layer's output, a parameter's gradient or an update held NaN or Inf
vanishing       first weight layer's gradient norm < 1e-3 x the last one's (in some epoch)
exploding       the largest layer gradient norm of an epoch > 100 x the first epoch's
dead_relu       >= 40 % of a ReLU-family layer's units never fired (output > 0) in an epoch
saturation      >= 30 % of a Sigmoid/Tanh layer's outputs in the flat tails in an epoch
large_updates   a weight layer's mean update-to-weight ratio per step > 0.3 in an epoch
small_updates   every weight layer's update-to-weight ratio < 1e-5 in the first epoch recorded
unscaled        a weight layer other than the last has outputs with standard deviation > 10
                in an epoch (raw, unstandardized inputs: the phone-price tutorial's case)
overfitting     test loss rose for >= 5 epochs since its minimum (by > 5 %) while the train
                loss kept falling
==============  ===========================================================================

Example:
    >>> for f in find(json.load(open("runs/phone-price/diagnostics.json"))):
    ...     print(f)
"""
from dataclasses import asdict, dataclass, field

__all__ = ["Finding", "find", "THRESHOLDS"]

THRESHOLDS = {"vanishing": 1e-3, "exploding_growth": 100.0, "dead_relu": 0.4,
              "saturation": 0.3, "large_updates": 0.3, "small_updates": 1e-5, "unscaled": 10.0, "overfitting_epochs": 5,
              "overfitting_rise": 0.05}


@dataclass
class Finding:
    """One diagnosis: ``rule`` name, the ``layer`` and ``epoch`` it concerns, the ``message``
    (what was seen, with numbers), ``suggestion`` (what to try) and the raw ``evidence``."""
    rule: str
    message: str
    suggestion: str
    layer: str = None
    epoch: int = None
    evidence: dict = field(default_factory=dict)

    def __str__(self):
        return f"{self.message}; {self.suggestion}"

    def to_dict(self):
        d = asdict(self)
        d["text"] = str(self)
        return d


def _pct(x):
    return f"{100 * x:.0f} %"


def _weight_layers(data):
    ls = [l for l in data["layers"] if l["weight_layer"] and l["order"] is not None]
    return sorted(ls, key=lambda l: l["order"])


def _nonfinite(data):
    nf = data.get("first_nonfinite")
    if not nf:
        return []
    where = {"output": f"{nf['layer']} ({nf['type']}) produced {nf['value']} from a finite input",
             "input": f"the input of {nf['layer']} ({nf['type']}) already held {nf['value']} "
                      "(the data, or a step outside the watched modules)",
             "gradient": f"the gradient of {nf['layer']} ({nf['type']}) held {nf['value']}",
             "weights": f"the weights of {nf['layer']} ({nf['type']}) became {nf['value']} in the optimizer "
                        "step (a non-finite gradient on a step not sampled, or an update that overflowed)"
                        if nf["step"] else f"the weights of {nf['layer']} ({nf['type']}) held {nf['value']} "
                        "before the first step (initialisation or a loaded checkpoint)",
             "model": f"the model's output held {nf['value']}, made outside its leaf modules (an operation "
                      "in its forward)"}[nf["where"]]
    at = f" at step {nf['step']}" if nf["step"] else ""
    return [Finding("nonfinite", f"{where}{at} (epoch {nf['epoch']}; "
                                 f"{_pct(nf['fraction'])} of the values)",
                    "try a lower learning rate, gradient clipping (nn.utils.clip_grad_norm_), or check the "
                    "input data and any log/division/exp in the model for invalid values",
                    nf["layer"], nf["epoch"], dict(nf))]


def _depth_ratios(data):
    """Per epoch: (epoch, first layer's grad norm / last layer's, first, last)."""
    wl = _weight_layers(data)
    if len(wl) < 2:
        return []
    first, last = wl[0]["name"], wl[-1]["name"]
    out = []
    for e in data["epochs"]:
        a, b = e["layers"].get(first, {}).get("grad_norm"), e["layers"].get(last, {}).get("grad_norm")
        if a is not None and b is not None and b > 0 and a == a and b == b:
            out.append((e["epoch"], a / b, a, b, first, last))
    return out


def _vanishing(data):
    for epoch, r, a, b, first, last in _depth_ratios(data):
        if r < THRESHOLDS["vanishing"]:
            return [Finding("vanishing", f"gradient norm at layer 1 ({first}) is {r:.1e} of the last layer's "
                                         f"({last}) in epoch {epoch}: {a:.2e} vs {b:.2e} (vanishing gradients)",
                            "try ReLU instead of Sigmoid/Tanh, BatchNorm, fewer layers or residual connections",
                            first, epoch, {"ratio": r, "first": a, "last": b})]
    return []


def _exploding(data):
    peaks = []
    for e in data["epochs"]:
        norms = [(s["grad_norm_max"], name) for name, s in e["layers"].items() if "grad_norm_max" in s]
        if norms:
            peaks.append((e["epoch"],) + max(norms))
    if len(peaks) >= 2 and peaks[0][1] > 0:
        for epoch, g, name in peaks[1:]:
            if g > THRESHOLDS["exploding_growth"] * peaks[0][1]:
                return [Finding("exploding", f"{name}: gradient norm reached {g:.2e} in epoch {epoch}, "
                                             f"{g / peaks[0][1]:.3g} times epoch {peaks[0][0]}'s largest ({peaks[0][1]:.2e}) "
                                             "(exploding gradients)",
                                "try gradient clipping (nn.utils.clip_grad_norm_) or a lower learning rate",
                                name, epoch, {"grad_norm": g, "first_epoch": peaks[0][1]})]
    return []


def _by_layer(data, key, threshold):
    """First epoch per layer where ``key`` >= threshold: [(layer, epoch, value, last value)]."""
    hits = []
    for l in data["layers"]:
        seq = [(e["epoch"], e["layers"][l["name"]][key]) for e in data["epochs"]
               if key in e["layers"].get(l["name"], {})]
        for epoch, v in seq:
            if v >= threshold:
                hits.append((l, epoch, v, seq[-1]))
                break
    return hits


def _named(l):
    return f"{l['source']} -> {l['name']} ({l['type']})" if l.get("source") else f"{l['name']} ({l['type']})"


def _dead_relu(data):
    out = []
    for l, epoch, v, (last_epoch, last) in _by_layer(data, "dead_fraction", THRESHOLDS["dead_relu"]):
        tail = "" if last_epoch == epoch else f"; {_pct(last)} in the last epoch ({last_epoch})"
        out.append(Finding("dead_relu", f"{_named(l)}: {_pct(v)} of the units never fired in epoch {epoch}{tail} "
                                        "(dead ReLU)",
                           "try a lower learning rate, LeakyReLU, or BatchNorm before the activation",
                           l["name"], epoch, {"dead_fraction": v, "last_dead_fraction": last}))
    return out


def _saturation(data):
    out = []
    for l, epoch, v, (last_epoch, last) in _by_layer(data, "saturated_fraction", THRESHOLDS["saturation"]):
        tail = "" if last_epoch == epoch else f"; {_pct(last)} in the last epoch ({last_epoch})"
        out.append(Finding("saturation", f"{_named(l)}: {_pct(v)} of the outputs sit in the flat tails in epoch "
                                         f"{epoch}{tail}, where the derivative is under 5 % of its peak (saturation)",
                           "try ReLU, BatchNorm before the activation, standardized inputs or smaller initial weights",
                           l["name"], epoch, {"saturated_fraction": v, "last_saturated_fraction": last}))
    return out


def _updates(data):
    out = []
    for l, epoch, v, _ in _by_layer(data, "update_ratio", THRESHOLDS["large_updates"]):
        if l["weight_layer"]:
            out.append(Finding("large_updates", f"{l['name']}: each step changed the weights by {_pct(v)} of their norm "
                                                f"in epoch {epoch} (updates too large)",
                               "try a learning rate 10 times lower (a healthy ratio is around 1e-3)",
                               l["name"], epoch, {"update_ratio": v}))
            break
    if data["epochs"]:
        first = data["epochs"][0]["layers"]
        ratios = {l["name"]: first[l["name"]]["update_ratio"] for l in _weight_layers(data)
                  if "update_ratio" in first.get(l["name"], {})}
        if ratios and max(ratios.values()) < THRESHOLDS["small_updates"]:
            name = max(ratios, key=ratios.get)
            epoch = data["epochs"][0]["epoch"]
            out.append(Finding("small_updates", f"the largest update-to-weight ratio in epoch {epoch} is {ratios[name]:.1e} "
                                                f"({name}): the weights barely move (updates too small)",
                               "try a learning rate 10 to 100 times higher (a healthy ratio is around 1e-3)",
                               name, epoch, {"update_ratios": ratios}))
    return out


def _overfitting(data):
    rows = [(e["epoch"], e["metrics"].get("train_loss"), e["metrics"].get("test_loss")) for e in data["epochs"]]
    rows = [r for r in rows if r[1] is not None and r[2] is not None]
    if len(rows) < THRESHOLDS["overfitting_epochs"] + 1:
        return []
    best = min(range(len(rows)), key=lambda i: rows[i][2])
    (e0, tr0, te0), (e1, tr1, te1) = rows[best], rows[-1]
    n = e1 - e0
    if n >= THRESHOLDS["overfitting_epochs"] and te1 > te0 * (1 + THRESHOLDS["overfitting_rise"]) and tr1 < tr0:
        return [Finding("overfitting", f"test loss rising for {n} epochs ({te0:.3f} at epoch {e0} -> {te1:.3f} at "
                                       f"epoch {e1}) while train loss falls ({tr0:.3f} -> {tr1:.3f}) (overfitting)",
                        "try weight decay, Dropout, more data or early stopping (keep the epoch-"
                        f"{e0} weights)", None, e1,
                        {"best_epoch": e0, "best_test_loss": te0, "test_loss": te1, "train_loss": [tr0, tr1]})]
    return []


def _unscaled(data):
    wl = _weight_layers(data)[:-1]          # the last layer's outputs are logits: any scale is fine
    hits = _by_layer({"layers": wl, "epochs": data["epochs"]}, "act_std", THRESHOLDS["unscaled"])
    if not hits:
        return []
    l, epoch, v, _ = min(hits, key=lambda h: h[0]["order"])
    return [Finding("unscaled", f"{l['name']} ({l['type']}): outputs have standard deviation {v:.3g} in epoch {epoch} "
                                "(activations far from unit scale)",
                    "standardize the input features (subtract the mean, divide by the standard deviation of the "
                    "training data) or add BatchNorm", l["name"], epoch, {"act_std": v})]


RULES = [_nonfinite, _vanishing, _exploding, _dead_relu, _saturation, _updates, _unscaled, _overfitting]


def find(data):
    """All findings for recorded diagnostics ``data`` (``Diagnostics.to_dict()`` or a loaded JSON)."""
    out = []
    for rule in RULES:
        out.extend(rule(data))
    return out
