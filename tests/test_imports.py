"""Every module imports on its own, and the core op families import only downwards.

Each module is imported in a fresh interpreter, so one that only works when something else has been
imported first (an import circle resolved by luck of order) fails here.
"""
import ast
import os
import pkgutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EMBER = os.path.join(ROOT, "ember")


def _modules(path=EMBER, prefix="ember"):
    """All modules and packages below ``ember/``, found on disk (nothing is imported here)."""
    found = [prefix] if prefix == "ember" else []
    for info in pkgutil.iter_modules([path]):
        name = f"{prefix}.{info.name}"
        found.append(name)
        if info.ispkg:
            found += _modules(os.path.join(path, info.name), name)
    return found


@pytest.mark.parametrize("module", _modules())
def test_module_imports_in_a_fresh_interpreter(module):
    proc = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, f"import {module} failed:\n{proc.stderr[-3000:]}"


# The core op families, lowest first: each imports (at module level only) from those before it.
CORE_LAYERS = ["_math", "_cast", "_util",
               "arithmetic", "math_functions", "comparison", "clamp_where", "fill",  # elementwise
               "views", "join_split", "rearrange", "diagonals",  # shape
               "index", "reduce", "cumulative", "sorting", "linalg", "softmax_ops", "activation"]
CORE_LAYERS += ["attention"]  # above views, dropout and the autograd layer
CORE_LAYERS += ["decompositions"]  # above the matrix products, diagonals and reduce
CORE_LAYERS += ["special"]  # extra elementwise and special functions: above the elementwise families
CORE_LAYERS += ["order_stats"]  # above sorting, index, reduce and views
CORE_LAYERS += ["special_extra", "bessel", "orthogonal_polynomials"]  # torch.special's rest: above special


def _imports(tree):
    """(module-level relative imports of sibling ops modules, line numbers of imports inside defs)."""
    top, nested = set(), []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                top.add(node.module.split(".")[0])
            else:
                top.update(a.name for a in node.names)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            nested += [n.lineno for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return top, nested


@pytest.mark.parametrize("name", CORE_LAYERS)
def test_core_op_family_imports_only_downwards(name):
    with open(os.path.join(EMBER, "ops", f"{name}.py")) as f:
        top, nested = _imports(ast.parse(f.read()))
    assert not nested, f"ember/ops/{name}.py imports inside a function or class (lines {nested})"
    below = set(CORE_LAYERS[:CORE_LAYERS.index(name)])
    upward = sorted(m for m in top if m in CORE_LAYERS and m not in below)
    assert not upward, f"ember/ops/{name}.py imports {upward}, which are not below it in {CORE_LAYERS}"
