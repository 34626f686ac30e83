"""``functorch`` (torch.func's old name) and functorch 1.x's make_functional, against torch's functorch."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import ember
from ember import functorch as efunctorch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _pair(shape):
    a = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    return ember.tensor(a), torch.tensor(a)


def _copy_params(src, dst):
    with torch.no_grad():
        for (_, p), (_, q) in zip(src.named_parameters(), dst.named_parameters()):
            q.copy_(torch.tensor(p.detach().numpy()))


def test_make_functional_runs_the_model_with_given_params_and_grads_match_torch():
    import functorch as tfunctorch
    model, ref_model = ember.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    _copy_params(model, ref_model)
    (x, tx) = _pair((4, 3))
    with pytest.warns(FutureWarning, match="functional_call"):
        f, params = efunctorch.make_functional(model)
    with pytest.warns(FutureWarning, match="functional_call"):
        tf, tparams = tfunctorch.make_functional(ref_model)
    assert len(params) == len(tparams) == 2 and params[0] is model.weight
    np.testing.assert_allclose(f(params, x).detach().numpy(), tf(tparams, tx).detach().numpy(), rtol=1e-6)
    g = efunctorch.grad(lambda p, x: f(p, x).pow(2).sum())(params, x)
    with pytest.warns(FutureWarning):
        tg = tfunctorch.grad(lambda p, x: tf(p, x).pow(2).sum())(tparams, tx)
    for a, b in zip(g, tg):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    doubled = tuple(p * 2 for p in params)                       # other params, same model
    np.testing.assert_allclose(f(doubled, x).detach().numpy(),
                               tf(tuple(p * 2 for p in tparams), tx).detach().numpy(), rtol=1e-6)
    with pytest.warns(FutureWarning):
        _, detached = efunctorch.make_functional(model, disable_autograd_tracking=True)
    assert not any(p.requires_grad for p in detached)


@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_make_functional_with_buffers_and_refusals():
    model = ember.nn.BatchNorm1d(3)
    model.eval()
    f, params, buffers = efunctorch.make_functional_with_buffers(model)
    assert len(params) == 2 and len(buffers) == 3
    x = ember.randn(4, 3)
    np.testing.assert_allclose(f(params, buffers, x).detach().numpy(), model(x).detach().numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="make_functional_with_buffers"):
        efunctorch.make_functional(model)
    with pytest.raises(TypeError):
        efunctorch.make_functional(lambda x: x)
    with pytest.raises(ValueError, match="expected 2 parameters"):
        efunctorch.make_functional(ember.nn.Linear(2, 2))[0]((), x)


def test_functorch_imports_under_ember_run(tmp_path):
    script = tmp_path / "old.py"
    script.write_text(textwrap.dedent("""
        import torch
        from functorch import vmap, grad, make_functional
        import functorch
        import warnings
        warnings.simplefilter("ignore", FutureWarning)
        fmodel, params = make_functional(torch.nn.Linear(2, 1))
        print(functorch.__name__, vmap(torch.sum)(torch.ones(2, 3)).tolist(), len(params))
    """))
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "ember", "run", str(script)], capture_output=True, text=True,
                          env=env, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["ember.functorch", "[3.0,", "3.0]", "2"]
