"""ember._fast: the fast path is on by default, EMBER_FAST=0 gives the reference path, and the two
give bit-identical training results."""
import os
import subprocess
import sys
import textwrap

import numpy as np

import ember
from ember import _fast
from ember.autograd import engine
from ember.autograd.function import Op

_TRAIN = textwrap.dedent("""
    import sys
    import numpy as np
    import ember
    from ember import nn
    ember.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(36, 16), nn.BatchNorm1d(16), nn.Tanh(), nn.Dropout(0.2), nn.Linear(16, 3))
    opt = ember.optim.Adam(model.parameters(), lr=1e-2)
    x = ember.randn(8, 1, 8, 8)
    y = ember.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    for _ in range(5):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y) + (x * 2 + 1).pow(2).mean() * 0
        loss.backward()
        opt.step()
    arrays = [p.detach().numpy() for p in model.parameters()] + [p.grad.numpy() for p in model.parameters()]
    np.savez(sys.argv[1], *arrays)
""")


def _train(tmp_path, mode):
    out = tmp_path / f"run{mode}.npz"
    env = dict(os.environ, EMBER_FAST=mode)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    subprocess.run([sys.executable, "-c", _TRAIN, str(out)], check=True, env=env, cwd=root)
    with np.load(out) as f:
        return [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]


def test_fast_and_reference_paths_train_identically(tmp_path):
    fast, reference = _train(tmp_path, "1"), _train(tmp_path, "0")
    assert len(fast) == len(reference)
    for a, b in zip(fast, reference):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_switch_matches_the_environment():
    expected = os.environ.get("EMBER_FAST", "1") != "0"
    assert _fast.ENABLED is expected
    assert (Op.apply.__func__ is _fast._op_apply) is expected
    assert (engine.leaf_grad_policy is _fast._AdoptingLeafGrads) is expected


def test_fast_leaf_grads_adopt_only_private_arrays():
    policy = _fast._AdoptingLeafGrads()
    private = np.ones(3, np.float32)
    assert policy.first_grad(private, np.dtype(np.float32)) is private
    shown = np.ones(3, np.float32)
    policy.seen_by_user(shown)
    assert policy.first_grad(shown, np.dtype(np.float32)) is not shown
    view = np.ones(6, np.float32)[::2]
    assert policy.first_grad(view, np.dtype(np.float32)) is not view
    same = np.ones(2, np.float32)
    node = ember.tensor([1.0], requires_grad=True).add(1.0).grad_fn
    a, b = policy.distinct(node, (same, same))
    assert a is same and b is not same and np.array_equal(a, b)


def test_reference_leaf_grads_always_copy():
    policy = engine.CopyLeafGrads()
    g = np.ones(3, np.float32)
    assert policy.first_grad(g, np.dtype(np.float32)) is not g
