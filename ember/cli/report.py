"""``ember report RUN_DIR``: one self-contained HTML page about an ``ember train`` run.

The page holds the run's settings, its loss and accuracy curves, the final confusion matrix, the
diagnostics' findings and picture (when the run used ``--diagnose``), the model's structure
(``print(model)``) and the computation graph as inline SVG (when Graphviz's ``dot`` is installed;
otherwise the section says so). It reads what ``ember train`` wrote into the directory:
``metrics.json`` (settings, per-epoch rows, final accuracy and confusion matrix), ``model.txt``,
``graph.dot``, ``diagnostics.json``/``diagnostics.png``.

Self-contained: pictures are embedded as ``data:`` URIs (base64 PNG), the graph as inline SVG, the
styles inline; a Content-Security-Policy forbids every network request and all scripts, so the
file can be mailed or opened offline.

Example:
    ember train phone-price --diagnose --out runs/pp
    ember report runs/pp                       # writes runs/pp/report.html
"""
import base64
import html
import io
import json
import os
import re
import shutil
import subprocess

from .compare import Comparison, load_run
from .trainer import CLIError, _atomic_write_text

__all__ = ["build_report", "run", "add_parser"]

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0; } td, th { border: 1px solid #ccc; padding: .25em .6em; text-align: right; }
th { background: #f2f2f2; } td.key { text-align: left; font-family: monospace; }
pre { background: #f6f6f6; padding: .8em; overflow-x: auto; font-size: .9em; }
img { max-width: 100%; } .note { color: #666; font-style: italic; } .graph svg { max-width: 100%; height: auto; }
li.finding { margin: .3em 0; }
"""
MAX_GRAPH_NODES = 400      # larger graphs are not drawn (dot would take long and the picture is unreadable)


def _esc(text):
    return html.escape(str(text), quote=True)


def _png_uri(data):
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _read(path, binary=False):
    try:
        with open(path, "rb" if binary else "r", **({} if binary else {"encoding": "utf-8"})) as f:
            return f.read()
    except (OSError, UnicodeDecodeError):
        return None


def _config_section(config):
    rows = "".join(f"<tr><td class='key'>{_esc(k)}</td><td class='key'>{_esc(json.dumps(v))}</td></tr>"
                   for k, v in config.items())
    return "<h2>Settings</h2><table><tr><th>setting</th><th>value</th></tr>" + rows + "</table>"


def _curves_section(name, metrics):
    rows = metrics["epochs"]
    cmp = Comparison([name], [metrics])
    f = cmp.final[0]
    nums = "".join(f"<tr><td class='key'>{k.replace('_', ' ')}</td><td>{'-' if f[k] is None else f'{f[k]:.4f}'}</td></tr>"
                   for k in ("train_loss", "train_accuracy", "test_loss", "test_accuracy"))
    out = f"<h2>Curves</h2><p>{len(rows)} epochs.</p><table>{nums}</table>"
    buf = io.BytesIO()
    if rows and cmp.plot(buf):
        out += f"<img alt='loss and accuracy per epoch' src='{_png_uri(buf.getvalue())}'>"
    elif rows:
        out += "<p class='note'>No picture: matplotlib is not installed (pip install 'ember[plot]').</p>"
    return out


def _confusion_section(final):
    cm = final.get("confusion_matrix") if isinstance(final, dict) else None
    if not (isinstance(cm, list) and cm and all(isinstance(r, list) and len(r) == len(cm) for r in cm)):
        return "<h2>Confusion matrix</h2><p class='note'>Not in metrics.json (the run did not finish).</p>"
    classes = final.get("classes") or [str(i) for i in range(len(cm))]
    if len(cm) > 30:
        return (f"<h2>Confusion matrix</h2><p class='note'>{len(cm)} classes: too many to show as a table "
                "(see metrics.json).</p>")
    top = max(1, max(max(r) for r in cm))
    head = "".join(f"<th>{_esc(c)}</th>" for c in classes)
    body = ""
    for c, row in zip(classes, cm):
        cells = "".join(f"<td style='background: rgba(31,119,180,{0.85 * v / top:.3f});"
                        f"color: {'#fff' if v / top > 0.55 else '#222'}'>{int(v)}</td>" for v in row)
        body += f"<tr><th>{_esc(c)}</th>{cells}</tr>"
    acc = final.get("test_accuracy")
    acc_text = f" Test accuracy {acc:.4f}." if isinstance(acc, (int, float)) else ""
    return (f"<h2>Confusion matrix</h2><p>Rows: true class, columns: predicted class.{acc_text}</p>"
            f"<table><tr><th></th>{head}</tr>{body}</table>")


def _diagnostics_section(run_dir):
    data = _read(os.path.join(run_dir, "diagnostics.json"))
    if data is None:
        return ("<h2>Diagnostics</h2><p class='note'>The run did not use --diagnose; train with "
                "<code>ember train ... --diagnose</code> to see per-layer findings here.</p>")
    try:
        found = json.loads(data).get("findings", [])
    except (ValueError, AttributeError):
        return "<h2>Diagnostics</h2><p class='note'>diagnostics.json could not be read.</p>"
    items = "".join(f"<li class='finding'>{_esc(f.get('text', f))}</li>" for f in found if isinstance(f, dict))
    out = "<h2>Diagnostics</h2>" + (f"<ul>{items}</ul>" if items else
                                     "<p>No problems found (gradients, updates, dead or saturated units, "
                                     "activation scale, NaN/Inf, overfitting).</p>")
    png = _read(os.path.join(run_dir, "diagnostics.png"), binary=True)
    if png:
        out += f"<img alt='per-layer diagnostics over the epochs' src='{_png_uri(png)}'>"
    return out


def _model_section(run_dir):
    text = _read(os.path.join(run_dir, "model.txt"))
    if text is None:
        return "<h2>Model</h2><p class='note'>No model.txt in the run directory (written by ember train).</p>"
    return f"<h2>Model</h2><pre>{_esc(text.rstrip())}</pre>"


def _svg(dot_text):
    exe = shutil.which("dot")
    if exe is None:
        return None, ("Graphviz's <code>dot</code> is not installed, so the graph is not drawn "
                      "(apt install graphviz / brew install graphviz); graph.dot holds its text.")
    if dot_text.count("->") > MAX_GRAPH_NODES:
        return None, f"The graph has more than {MAX_GRAPH_NODES} edges: too large to draw legibly (see graph.dot)."
    try:
        proc = subprocess.run([exe, "-Tsvg"], input=dot_text.encode(), capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        return None, "Graphviz took more than 60 s to lay out the graph (see graph.dot)."
    if proc.returncode != 0:
        return None, f"Graphviz failed: {_esc(proc.stderr.decode(errors='replace').strip()[:300])}"
    svg = proc.stdout.decode("utf-8", errors="replace")
    svg = svg[svg.find("<svg"):]                     # drop the XML prologue and DOCTYPE: inline SVG
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    return svg, None


def _graph_section(run_dir):
    dot_text = _read(os.path.join(run_dir, "graph.dot"))
    title = "<h2>Computation graph</h2><p>The autograd graph of the loss on four test examples (eval mode): " \
            "leaves (parameters) in blue, the loss in green; backward walks it bottom-up.</p>"
    if dot_text is None:
        return title + "<p class='note'>No graph.dot in the run directory (written by ember train).</p>"
    svg, note = _svg(dot_text)
    return title + (f"<div class='graph'>{svg}</div>" if svg else f"<p class='note'>{note}</p>")


def build_report(run_dir):
    """The HTML text of the report on ``run_dir`` (a directory written by ``ember train``)."""
    name, metrics = load_run(run_dir)
    run_dir = os.path.dirname(os.path.abspath(os.path.join(run_dir, "metrics.json") if os.path.isdir(run_dir)
                                              else run_dir))
    task = metrics.get("task", "?")
    parts = [f"<h1>ember train {_esc(task)}: {_esc(name)}</h1>",
             f"<p>Run directory <code>{_esc(run_dir)}</code>.</p>",
             _config_section(metrics["config"]), _curves_section(name, metrics),
             _confusion_section(metrics.get("final")), _diagnostics_section(run_dir),
             _model_section(run_dir), _graph_section(run_dir)]
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<meta http-equiv='Content-Security-Policy' content=\"{_CSP}\">"
            f"<title>ember report: {_esc(name)}</title><style>{_STYLE}</style></head>\n<body>\n"
            + "\n".join(parts) + "\n</body></html>\n")


def run(args):
    """``ember report RUN_DIR [--out FILE.html]``."""
    if not os.path.isdir(args.run_dir):
        raise CLIError(f"report: {args.run_dir!r} is not a directory; pass the --out DIR of an 'ember train' run")
    page = build_report(args.run_dir)
    out = args.out or os.path.join(args.run_dir, "report.html")
    d = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(d):
        raise CLIError(f"--out: directory {d!r} does not exist")
    _atomic_write_text(out, page)
    print(f"wrote {out} ({len(page.encode()) / 1024:.0f} KiB, self-contained: open it in any browser)")
    return 0


def add_parser(sub):
    """Register ``ember report`` on the command's subparsers."""
    p = sub.add_parser("report", help="one self-contained HTML page about a training run",
                       description="Write one self-contained HTML file about an 'ember train' run: settings, curves, "
                                   "confusion matrix, diagnostics (with --diagnose), the model and its computation "
                                   "graph (SVG, when Graphviz is installed). No network access is needed to view it.")
    p.add_argument("run_dir", metavar="RUN_DIR", help="the run's directory (ember train --out DIR)")
    p.add_argument("--out", default=None, metavar="FILE.html", help="output file (default: RUN_DIR/report.html)")
    return p
