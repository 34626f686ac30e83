"""A learner sees the numbers the tutorial printed: the tutorials' phone-price MLP, written for
PyTorch, trained one epoch under real PyTorch and under ``ember run`` from the same seed, prints
the same losses (same default init, same random_split, same shuffles, same dropout masks)."""
import os
import re
import subprocess
import sys
import textwrap

import pytest

from tests.paths import PHONE_CSV as CSV

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import torch
    import torch.nn as nn
    from torch.utils.data import DataLoader, TensorDataset, random_split

    torch.manual_seed(42)
    table = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1, dtype=np.float32)
    X = torch.tensor(table[:, :20])
    y = torch.tensor(table[:, 20], dtype=torch.long)
    X = (X - X.mean(dim=0)) / X.std(dim=0)
    train_set, test_set = random_split(TensorDataset(X, y), [0.8, 0.2])
    train_loader = DataLoader(train_set, batch_size=32, shuffle=True)

    model = nn.Sequential(nn.Linear(20, 128), nn.ReLU(), nn.Dropout(0.2),
                          nn.Linear(128, 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, 4))
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    for epoch in range({epochs}):
        model.train()
        for xb, yb in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            print(f"loss {{loss.item():.8f}}")
    model.eval()
    with torch.no_grad():
        Xt = torch.stack([test_set[i][0] for i in range(len(test_set))])
        yt = torch.stack([test_set[i][1] for i in range(len(test_set))])
        print(f"accuracy {{(model(Xt).argmax(1) == yt).float().mean().item():.6f}}")
        print(f"first test index {{test_set.indices[0]}} weight sum {{model[0].weight.sum().item():.6f}}")
""")


def _losses(cmd, tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.skipif(not os.path.exists(CSV), reason="phone-price data set not found")
def test_phone_price_mlp_one_epoch_prints_pytorchs_losses(tmp_path):
    script = tmp_path / "phone_mlp.py"
    script.write_text(SCRIPT.format(epochs=1))
    with_torch = _losses([sys.executable, str(script), CSV], tmp_path)
    with_ember = _losses([sys.executable, "-m", "ember.cli.main", "run", str(script), CSV], tmp_path)
    t_loss = [float(v) for v in re.findall(r"loss (\S+)", with_torch)]
    e_loss = [float(v) for v in re.findall(r"loss (\S+)", with_ember)]
    assert len(t_loss) == len(e_loss) == 50
    assert max(abs(a - b) for a, b in zip(t_loss, e_loss)) < 1e-4, (t_loss, e_loss)
    # the split, the init and the evaluation agree too
    tail = lambda out: out.splitlines()[-1]
    assert tail(with_torch).split()[:4] == tail(with_ember).split()[:4]
    t_acc = float(re.search(r"accuracy (\S+)", with_torch).group(1))
    e_acc = float(re.search(r"accuracy (\S+)", with_ember).group(1))
    assert abs(t_acc - e_acc) <= 1 / 400
