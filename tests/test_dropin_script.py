"""End to end: a PyTorch-style training script run unchanged with ``ember run`` (every import form
programs use, device probing, a Dataset with torchvision transforms on NumPy images, a CNN, the
training loop, evaluation, save and reload) gives the same losses as the same script under real
PyTorch; and a failing script's traceback and exit status come through as with ``python SCRIPT``.
(tests/test_compat.py covers argv, the script's own modules, and a plain raise / sys.exit(n).)"""
import os
import re
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TRAIN = r"""
'''A PyTorch-style training script (written for torch; run unchanged by `ember run`).'''
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.init as init
from torch import nn as nn2, optim
from torch.autograd import Variable, grad
from torch.nn.modules.loss import CrossEntropyLoss
from torch.nn.parameter import Parameter
from torch.nn.utils import clip_grad_norm_
from torch.optim.lr_scheduler import StepLR
from torch.optim.optimizer import Optimizer
from torch.utils.data import DataLoader, Dataset, TensorDataset, random_split
from torch.utils.data.dataloader import DataLoader as DL2
from torch.utils.data.sampler import RandomSampler

try:                                   # ember provides torchvision; a bare PyTorch install may not
    import torchvision
    import torchvision.transforms as transforms
    from torchvision import datasets
except ImportError:
    torchvision = None

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--out", default=".")
args = parser.parse_args()

device = torch.device("cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu")
torch.backends.cudnn.benchmark = True
torch.manual_seed(0)

MEAN, STD = 0.5, 0.25
if torchvision is not None:
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))])
    assert hasattr(datasets, "MNIST")
else:
    def transform(img):                # what ToTensor + Normalize do to an HxW uint8 image
        return (torch.from_numpy(img).float().div(255).unsqueeze(0) - MEAN) / STD


class Blobs(Dataset):
    '''8x8 grey images (NumPy, uint8): class = the brightest quadrant (of 4).'''

    def __init__(self, n, seed, transform=None):
        rng = np.random.default_rng(seed)
        self.images = rng.integers(0, 100, (n, 8, 8)).astype(np.uint8)
        self.labels = rng.integers(0, 4, n)
        for img, y in zip(self.images, self.labels):
            r, c = divmod(int(y), 2)
            img[r * 4:r * 4 + 4, c * 4:c * 4 + 4] += 120
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        img = self.images[i]
        if self.transform:
            img = self.transform(img)
        return img, int(self.labels[i])


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn2.Linear(4 * 4 * 4, 4)
        self.scale = Parameter(torch.ones(1))

    def forward(self, x):
        x = self.pool(F.relu(self.conv(x)))
        return self.fc(torch.flatten(x, 1)) * self.scale


def deterministic_init(model):
    '''The same start under any framework (the default init draws from the framework's generator).'''
    for name, p in model.named_parameters():
        if name.endswith("bias"):
            init.zeros_(p)
        elif p.dim() > 1:
            p.data = torch.sin(torch.arange(p.numel(), dtype=torch.float32)).reshape(p.shape) * 0.3


def main():
    train_set = Blobs(64, seed=1, transform=transform)
    test_set = Blobs(32, seed=2, transform=transform)
    holdout, rest = random_split(test_set, [8, 24], generator=torch.Generator().manual_seed(0))
    sampler = RandomSampler(train_set)
    loader = DataLoader(train_set, batch_size=16, shuffle=False)
    test_loader = DL2(test_set, batch_size=16)

    model = Net().to(device)
    deterministic_init(model)
    criterion = CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
    assert isinstance(optimizer, Optimizer) and len(sampler) == 64 and len(holdout) + len(rest) == 32

    for epoch in range(args.epochs):
        model.train()
        total = 0.0
        for images, labels in loader:
            images, labels = Variable(images.to(device)), labels.to(device)
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            clip_grad_norm_(model.parameters(), max_norm=5.0)
            optimizer.step()
            total += loss.item() * images.size(0)
        scheduler.step()
        print(f"epoch {epoch} loss {total / len(train_set):.6f} lr {scheduler.get_last_lr()[0]:.4f}")

    x0, _ = train_set[0]
    x0 = x0.unsqueeze(0).requires_grad_(True)
    g, = grad(model(x0).sum(), x0)
    model.eval()
    correct = 0
    with torch.no_grad():
        for images, labels in test_loader:
            correct += (model(images.to(device)).argmax(dim=1) == labels.to(device)).sum().item()
    path = os.path.join(args.out, "model.pt")
    torch.save(model.state_dict(), path)
    clone = Net()
    clone.load_state_dict(torch.load(path))
    clone.eval()
    with torch.no_grad():
        same = torch.allclose(clone(x0.detach()), model(x0.detach()))
    print(f"device {device} torchvision {'yes' if torchvision is not None else 'no'} input-grad {tuple(g.shape)}")
    print(f"FINAL accuracy {correct}/{len(test_set)} reload {same} holdout {len(holdout)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
"""


def _env(with_ember):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if with_ember:
        env["PYTHONPATH"] = ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")
    return env


def _ember_run(tmp_path, script, *args):
    return subprocess.run([sys.executable, "-m", "ember", "run", str(script), *args], capture_output=True,
                          text=True, env=_env(True), cwd=str(tmp_path), timeout=300)


def _python(tmp_path, script, *args):
    """The same script under plain Python with the real PyTorch (the oracle)."""
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                          env=_env(False), cwd=str(tmp_path), timeout=300)


def _losses(stdout):
    return [float(v) for v in re.findall(r"^epoch \d+ loss ([0-9.]+)", stdout, re.M)]


@pytest.fixture
def train_script(tmp_path):
    path = tmp_path / "train.py"
    path.write_text(TRAIN)
    return path


def test_pytorch_script_runs_unchanged_and_matches_torch(tmp_path, train_script):
    mine = _ember_run(tmp_path, train_script, "--epochs", "3", "--out", str(tmp_path))
    assert mine.returncode == 0, mine.stderr
    assert "torchvision yes" in mine.stdout                      # every import form went through ember
    assert "device cpu" in mine.stdout and "input-grad (1, 1, 8, 8)" in mine.stdout
    assert (tmp_path / "model.pt").is_file()
    final = mine.stdout.strip().splitlines()[-1]
    assert final.startswith("FINAL accuracy ") and final.endswith("reload True holdout 8")

    theirs = _python(tmp_path, train_script, "--epochs", "3", "--out", str(tmp_path))
    assert theirs.returncode == 0, theirs.stderr
    losses, t_losses = _losses(mine.stdout), _losses(theirs.stdout)
    assert len(losses) == len(t_losses) == 3
    assert losses == pytest.approx(t_losses, rel=1e-4, abs=1e-5)
    assert losses[-1] < losses[0]                               # it learned
    assert final == theirs.stdout.strip().splitlines()[-1]      # same accuracy, reload, split sizes


FAILING = textwrap.dedent("""
    import sys
    import torch
    import torch.nn as nn
    import helper


    def forward_bad(model):
        return model(torch.zeros(2, 5))                 # the model wants 3 features


    def train(mode):
        model = nn.Linear(3, 1)
        if mode == "ember-error":
            return forward_bad(model)
        if mode == "script-error":
            return helper.check(-1)
        if mode == "exit-code":
            helper.leave(3)
        if mode == "exit-message":
            sys.exit("stopping: no data")
        if mode == "exit-none":
            raise SystemExit
        return 0


    if __name__ == "__main__":
        print("started", flush=True)
        train(sys.argv[1])
        print("finished")
""")

HELPER = textwrap.dedent("""
    import sys


    def check(n):
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")


    def leave(code):
        sys.exit(code)
""")


@pytest.fixture
def failing_script(tmp_path):
    (tmp_path / "helper.py").write_text(HELPER)
    path = tmp_path / "job.py"
    path.write_text(FAILING)
    return path


def _frames(stderr):
    """(file name, function) of each traceback entry."""
    return [(os.path.basename(f), fn) for f, fn in re.findall(r'File "([^"]+)", line \d+, in (\S+)', stderr)]


def test_error_raised_in_the_scripts_own_module_shows_its_frames(tmp_path, failing_script):
    proc = _ember_run(tmp_path, failing_script, "script-error")
    assert proc.returncode == 1 and proc.stdout == "started\n"
    assert proc.stderr.startswith("Traceback (most recent call last):")
    assert proc.stderr.rstrip().splitlines()[-1] == "ValueError: n must be >= 0, got -1"
    frames = _frames(proc.stderr)
    assert frames == [("job.py", "<module>"), ("job.py", "train"), ("helper.py", "check")]
    theirs = _python(tmp_path, failing_script, "script-error")      # exactly what python SCRIPT shows
    assert theirs.returncode == 1 and _frames(theirs.stderr) == frames
    assert theirs.stderr.rstrip().splitlines()[-1] == proc.stderr.rstrip().splitlines()[-1]


def test_error_raised_inside_ember_starts_at_the_script(tmp_path, failing_script):
    proc = _ember_run(tmp_path, failing_script, "ember-error")
    assert proc.returncode == 1
    frames = _frames(proc.stderr)
    assert frames[:3] == [("job.py", "<module>"), ("job.py", "train"), ("job.py", "forward_bad")]
    assert all("compat" not in f and "runpy" not in f for f, _ in frames)   # no ember run machinery
    last = proc.stderr.rstrip().splitlines()[-1]
    assert last.startswith("RuntimeError") and "5" in last and "3" in last  # PyTorch's type, both sizes


@pytest.mark.parametrize("mode, code, stderr", [("exit-code", 3, ""), ("exit-message", 1, "stopping: no data\n"),
                                                ("exit-none", 0, "")])
def test_exit_status_as_python(tmp_path, failing_script, mode, code, stderr):
    # sys.exit(3) from the script's helper module, sys.exit("message"), a bare SystemExit: Python's
    # rules (code; message on stderr and 1; 0), checked against python SCRIPT for the message form
    proc = _ember_run(tmp_path, failing_script, mode)
    assert (proc.returncode, proc.stdout, proc.stderr) == (code, "started\n", stderr)
    if mode == "exit-message":
        theirs = _python(tmp_path, failing_script, mode)
        assert (theirs.returncode, theirs.stdout, theirs.stderr) == (code, "started\n", stderr)
