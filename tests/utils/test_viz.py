"""ember.utils.viz: DOT text of the autograd graph, and rendering through Graphviz."""
import os
import re
import stat

import pytest

import ember
from ember.utils.viz import make_dot, render


def _nodes(dot):
    """{node id: label} and the list of (src, dst) edges parsed from the DOT text."""
    nodes = dict(re.findall(r'^\t(\w+) \[label="((?:[^"\\]|\\.)*)"', dot, re.M))
    edges = re.findall(r"^\t(\w+) -> (\w+)$", dot, re.M)
    return nodes, edges


def test_two_weight_backprop_graph():
    x = ember.tensor(2.0)
    w1 = ember.tensor(1.5, requires_grad=True)
    w2 = ember.tensor(0.5, requires_grad=True)
    loss = 0.5 * (ember.tensor(10.0) - w2 * (w1 * x)) ** 2
    dot = make_dot(loss, params={"w1": w1, "w2": w2})
    assert dot.startswith("digraph {") and dot.rstrip().endswith("}")
    nodes, edges = _nodes(dot)
    labels = list(nodes.values())
    # the op chain of the forward pass, by backward-node name
    for op in ("MulBackward0", "SubBackward0", "PowBackward0"):
        assert any(lab.startswith(op) for lab in labels), (op, labels)
    assert sum(lab.startswith("MulBackward0") for lab in labels) == 3
    # named leaves, marked as requiring grad, drawn blue
    leaf_ids = {k for k, v in nodes.items() if v.startswith(("w1", "w2"))}
    assert len(leaf_ids) == 2
    assert all("requires_grad" in nodes[k] for k in leaf_ids)
    assert len(re.findall(r"fillcolor=lightblue", dot)) == 2
    # edges go from the leaves forward to the output, and the graph is connected to it
    assert any(src in leaf_ids for src, _ in edges)
    assert edges[-1][1] == "out0"
    assert "AccumulateGrad" not in dot


def test_shapes_come_from_the_forward_values():
    x = ember.randn(5, 3)
    w = ember.randn(3, 4, requires_grad=True)
    h = x @ w                    # (5, 4)
    loss = h.relu().sum()        # ()
    nodes, _ = _nodes(make_dot(loss, params={"w": w}))
    labels = set(nodes.values())
    assert r"w\n(3, 4)\nrequires_grad" in labels
    assert r"ReluBackward0\n(5, 4)" in labels
    assert any(lab.endswith(r"\n(5, 4)") and "Mm" in lab for lab in labels)  # MmBackward0 (x @ w)
    assert r"SumBackward0\n()" in labels


def test_shared_subgraph_drawn_once():
    w = ember.randn(3, requires_grad=True)
    a = w * 2.0
    loss = (a + a).sum()
    nodes, edges = _nodes(make_dot(loss))
    assert sum(v.startswith("MulBackward0") for v in nodes.values()) == 1
    add = next(k for k, v in nodes.items() if v.startswith("AddBackward0"))
    mul = next(k for k, v in nodes.items() if v.startswith("MulBackward0"))
    assert edges.count((mul, add)) == 2  # both inputs of the add come from the same node


def test_unnamed_leaf_and_dtype_option():
    w = ember.randn(2, dtype=ember.float64, requires_grad=True)
    nodes, _ = _nodes(make_dot((w * w).sum(), show_dtype=True))
    assert r"(2) float64\nrequires_grad" in nodes.values()


def test_tensor_without_graph_and_several_roots():
    x = ember.randn(2)
    assert "does not require grad" in make_dot(x)
    w = ember.randn(2, requires_grad=True)
    nodes, edges = _nodes(make_dot([w.sum(), (w * 3.0).mean(), w]))
    assert {"out0", "out1", "out2"} <= set(nodes)
    assert sum("requires_grad" in v for v in nodes.values()) == 2  # the leaf node and w as a root


def test_deep_graph_does_not_recurse():
    w = ember.randn(1, requires_grad=True)
    y = w
    for _ in range(3000):
        y = y * 1.0
    nodes, _ = _nodes(make_dot(y))
    assert len(nodes) == 3002


def test_labels_are_escaped():
    w = ember.randn(1, requires_grad=True)
    dot = make_dot(w * 2.0, params={'say "hi"\\': w})
    assert r'say \"hi\"\\' in dot


def test_bad_arguments():
    with pytest.raises(TypeError, match="expected a Tensor"):
        make_dot([1, 2])
    w = ember.randn(1, requires_grad=True)
    with pytest.raises(TypeError, match=r"params\['w'\]"):
        make_dot(w * 2.0, params={"w": 3})


def test_render_without_dot_gives_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="Graphviz.*not found.*Install"):
        render("digraph {}", tmp_path / "g.svg")
    # a .dot target needs no Graphviz
    assert render("digraph {}\n", tmp_path / "g.dot") == str(tmp_path / "g.dot")
    assert (tmp_path / "g.dot").read_text() == "digraph {}\n"
    with pytest.raises(ValueError, match="suffix"):
        render("digraph {}", tmp_path / "g")


def test_render_calls_dot(tmp_path, monkeypatch):
    """With a stand-in `dot` on PATH: the format comes from the suffix and the DOT text is piped in."""
    fake = tmp_path / "dot"
    fake.write_text('#!/bin/sh\n# args: -Tfmt -o path\ncat > "$3.in"; echo "$1" > "$3"\n'
                    'case "$1" in -Tbad) echo "Format: bad not recognized" >&2; exit 1;; esac\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ.get("PATH", ""))
    w = ember.randn(1, requires_grad=True)
    text = make_dot(w * 2.0)
    out = tmp_path / "g.png"
    assert render(text, out) == str(out)
    assert out.read_text().strip() == "-Tpng"
    assert (tmp_path / "g.png.in").read_text() == text
    with pytest.raises(RuntimeError, match="not recognized"):
        render(text, tmp_path / "g.x", format="bad")
