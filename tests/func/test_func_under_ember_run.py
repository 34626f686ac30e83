"""``import torch.func`` / ``from torch.func import ...`` / ``torch.vmap`` under ``ember run``."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = '''
import torch
import torch.func
from torch.func import functional_call, grad, vmap

model = torch.nn.Linear(3, 1)
params = {k: v.detach() for k, v in model.named_parameters()}

def loss(p, x, y):
    return ((functional_call(model, p, (x.unsqueeze(0),)) - y) ** 2).mean()

x, y = torch.randn(5, 3), torch.randn(5, 1)
g = vmap(grad(loss), in_dims=(None, 0, 0))(params, x, y)
print(type(torch).__name__, torch.__name__, torch.func.__name__, torch.vmap is vmap,
      tuple(g["weight"].shape), tuple(torch.func.jacrev(torch.sin)(torch.zeros(2)).shape))
'''


def test_torch_func_imports_resolve_to_ember_func(tmp_path):
    (tmp_path / "script.py").write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "ember.cli.main", "run", str(tmp_path / "script.py")],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["module", "ember", "ember.func", "True", "(5,", "1,", "3)", "(2,", "2)"]
