"""``ember run`` and ember.compat: unmodified PyTorch scripts run on ember."""
import os
import subprocess
import sys
import textwrap

import pytest

import ember
import ember.compat

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = textwrap.dedent("""
    import sys
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import torch.optim as optim
    from torch.utils.data.dataloader import DataLoader
    from torch.utils.data import Dataset, DataLoader as DataLoader2
    from torch.nn.modules.linear import Linear
    from torch.nn.parameter import Parameter
    from torch.optim.lr_scheduler import StepLR
    from torch.optim.optimizer import Optimizer
    from torch.utils.data.sampler import RandomSampler
    import torchvision.transforms as transforms
    import mymodule

    assert DataLoader is DataLoader2 and Linear is nn.Linear and Optimizer is optim.Optimizer
    assert torch.nn.functional is F


    class Squares(Dataset):
        def __len__(self):
            return 32

        def __getitem__(self, i):
            x = torch.tensor([i / 32.0, 1.0])
            return x, (x[0] ** 2).reshape(1)


    def main():
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))
        opt = optim.SGD(model.parameters(), lr=0.1)
        sched = StepLR(opt, 10)
        loader = DataLoader(Squares(), batch_size=8, shuffle=True)
        for epoch in range(3):
            for x, y in loader:
                opt.zero_grad()
                loss = F.mse_loss(model(x), y)
                loss.backward()
                opt.step()
            sched.step()
        print("argv", sys.argv[1:], "helper", mymodule.VALUE, "finite", bool(torch.isfinite(loss)))
        if "--fail" in sys.argv:
            raise ValueError("boom from the script")
        sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 0)


    if __name__ == "__main__":
        main()
""")


def _run(tmp_path, *args):
    (tmp_path / "train.py").write_text(SCRIPT)
    (tmp_path / "mymodule.py").write_text("VALUE = 42\n")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "ember.cli.main", "run", str(tmp_path / "train.py"), *args],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=120)


def test_ember_run_runs_a_pytorch_script_with_its_argv_and_modules(tmp_path):
    proc = _run(tmp_path, "x", "--flag")
    assert proc.returncode == 0, proc.stderr
    assert "argv ['x', '--flag'] helper 42 finite True" in proc.stdout


def test_ember_run_passes_the_exit_status_through(tmp_path):
    assert _run(tmp_path, "3").returncode == 3


def test_ember_run_shows_the_scripts_traceback_and_fails(tmp_path):
    proc = _run(tmp_path, "--fail")
    assert proc.returncode == 1
    assert "ValueError: boom from the script" in proc.stderr
    first = proc.stderr.splitlines()[1]
    assert "train.py" in first and "ember" not in first.replace(str(tmp_path), "")   # starts in the script


def test_aliases_are_the_same_module_objects_and_missing_paths_say_so():
    code = textwrap.dedent("""
        import sys, ember, ember.compat
        ember.compat.install()
        import torch, torch.utils.data.dataloader as dl, torchvision.transforms as T
        assert torch is ember and dl is sys.modules["ember.utils.data.dataloader"]
        assert T is sys.modules["ember.vision.transforms"]
        assert dl.__spec__.name == "ember.utils.data.dataloader"
        try:
            import torch.fft
        except ModuleNotFoundError as e:
            print("missing:", e)
    """)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "missing: No module named 'torch.fft': ember does not provide PyTorch's 'torch.fft' yet" in proc.stdout


def test_install_refuses_when_real_torch_is_already_imported():
    import torch  # noqa: F401  (the test process has the real PyTorch, the oracle)
    with pytest.raises(RuntimeError, match="already imported"):
        ember.compat.install()
    assert not ember.compat.is_installed()


PRINTS = textwrap.dedent("""
    import torch
    x = torch.tensor([[1.0, 3.0], [2.0, 0.0]])
    print(x.shape, x.dtype, x.size(1), torch.int8, torch.get_default_dtype())
    print(torch.zeros(2, dtype=torch.float64))
    print(x.max(0))
    print(x.sort(1))
    loss = (x * x).mean()
    print(f"loss {loss} / {loss:.3f} / {torch.tensor(3)}")
    print(torch.distributions.Normal(0.0, 1.0))
    print(type(x), type(torch.nn.Parameter(x)), type(x) is torch.Tensor)
""")


def test_ember_run_prints_what_the_tutorial_printed(tmp_path):
    # reprs name torch (torch.float32, torch.Size, torch.return_types) and f"{loss}" is the number
    script = tmp_path / "prints.py"
    script.write_text(PRINTS)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    real = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
    ours = subprocess.run([sys.executable, "-m", "ember", "run", str(script)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert real.returncode == 0 and ours.returncode == 0, ours.stderr
    assert ours.stdout == real.stdout
    assert "torch.Size([2, 2])" in ours.stdout and "loss 3.5 / 3.500 / 3" in ours.stdout


def test_plain_ember_reprs_name_ember():
    x = ember.zeros(2, 3)
    assert (repr(x.shape), repr(x.dtype)) == ("ember.Size([2, 3])", "ember.float32")
    assert repr(x.max(0)).startswith("ember.return_types.max(")
    assert (repr(type(x)), repr(ember.nn.Parameter)) == ("<class 'ember.Tensor'>", "<class 'ember.nn.parameter.Parameter'>")

    class Mine(ember.Tensor):
        pass
    assert repr(Mine) == f"<class '{Mine.__module__}.{Mine.__qualname__}'>"
