"""python -m ember.distributed.run, ember run --nproc, ember train --nproc."""
import json
import sys

from . import launch

SCRIPT = """
import os, sys
import ember, ember.distributed as dist
dist.init_process_group()
t = ember.ones(1); dist.all_reduce(t)
print("RANK", os.environ["RANK"], os.environ["LOCAL_RANK"], os.environ["WORLD_SIZE"], os.environ["OMP_NUM_THREADS"],
      dist.get_rank(), t.item(), sys.argv[1:], flush=True)
"""

TORCH_SCRIPT = """
import torch, torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data.distributed import DistributedSampler
dist.init_process_group("gloo")
model = DDP(torch.nn.Linear(3, 1))
model(torch.ones(2, 3) * dist.get_rank()).sum().backward()
print("GRAD", dist.get_rank(), model.module.weight.grad.tolist(), list(DistributedSampler(range(5))), flush=True)
"""


def _run(args, tmp_path, **env):
    import subprocess
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=90,
                          env=launch.env(**env), cwd=str(tmp_path))


def test_python_m_ember_distributed_run(tmp_path):
    (tmp_path / "s.py").write_text(SCRIPT)
    env = launch.env()
    env.pop("OMP_NUM_THREADS")
    import subprocess
    proc = subprocess.run([sys.executable, "-m", "ember.distributed.run", "--nproc-per-node", "2", "s.py", "--x", "1"],
                          capture_output=True, text=True, timeout=90, env=env, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = sorted(line for line in proc.stdout.splitlines() if line.startswith("RANK"))
    assert lines == ["RANK 0 0 2 1 0 2.0 ['--x', '1']", "RANK 1 1 2 1 1 2.0 ['--x', '1']"]


def test_ember_run_nproc_runs_a_torch_script(tmp_path):
    (tmp_path / "t.py").write_text(TORCH_SCRIPT)
    proc = _run(["-m", "ember.cli.main", "run", "--nproc", "2", "t.py"], tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = sorted(line for line in proc.stdout.splitlines() if line.startswith("GRAD"))
    # the average of rank 0's zero input and rank 1's ones; each rank's share of range(5) as torch's sampler
    from torch.utils.data.distributed import DistributedSampler
    shares = [list(DistributedSampler(range(5), num_replicas=2, rank=r)) for r in range(2)]
    assert lines == [f"GRAD {r} [[1.0, 1.0, 1.0]] {shares[r]}" for r in range(2)], lines


def test_ember_train_phone_price_nproc_2(tmp_path):
    out = tmp_path / "run"
    proc = _run(["-m", "ember.cli.main", "train", "phone-price", "--epochs", "2", "--nproc", "2", "--out", str(out)],
                tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("final test accuracy") == 1          # rank 0 alone reports
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["epochs"]) == 2 and metrics["final"]["test_accuracy"] > 0.5
    assert metrics["epochs"][0]["train_loss"] > metrics["epochs"][1]["train_loss"]
    assert "nproc" not in metrics["config"]
    # the checkpoint holds the unwrapped model: it resumes in one process
    proc = _run(["-m", "ember.cli.main", "train", "phone-price", "--epochs", "3", "--resume", str(out / "checkpoint")],
                tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(json.loads((out / "metrics.json").read_text())["epochs"]) == 3


def test_ember_train_nproc_errors(tmp_path):
    proc = _run(["-m", "ember.cli.main", "train", "phone-price", "--epochs", "1", "--nproc", "3", "--batch-size", "64",
                 "--out", str(tmp_path / "o")], tmp_path)
    assert proc.returncode != 0
    assert "must be a multiple of --nproc 3" in proc.stderr
    proc = _run(["-m", "ember.cli.main", "run", "--nproc", "0", "x.py"], tmp_path)
    assert proc.returncode == 1 and "ember: error: --nproc: expected a positive integer" in proc.stderr
