"""A training script using torch.testing, nn.utils.parametrize/prune, utils.checkpoint and
optim.swa_utils prints the same under ``ember run`` as under real PyTorch."""
import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = textwrap.dedent("""
    import torch
    import torch.nn as nn
    import torch.nn.utils.prune as prune
    from torch.nn.utils import parametrize
    from torch.nn.utils.parametrizations import weight_norm, spectral_norm
    from torch.optim.swa_utils import AveragedModel, SWALR, update_bn, get_ema_multi_avg_fn
    from torch.testing import assert_close
    from torch.utils.checkpoint import checkpoint

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 3))
    weight_norm(model[0])
    spectral_norm(model[4])
    print(sorted(model.state_dict().keys()))
    other = prune.random_unstructured(nn.Linear(3, 3), "weight", amount=4)
    print(other.weight_mask.tolist(), prune.is_pruned(other), prune.is_pruned(model))
    print(parametrize.is_parametrized(model[0]), type(model[0]).__name__)
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(0.9))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = SWALR(opt, swa_lr=0.01, anneal_epochs=3)
    x = torch.randn(16, 4)
    y = torch.randint(0, 3, (16,))
    for step in range(4):
        opt.zero_grad()
        h = checkpoint(lambda t: model[3](model[2](model[1](model[0](t)))), x, use_reentrant=False)
        loss = nn.functional.cross_entropy(model[4](h), y)
        loss.backward()
        opt.step()
        sched.step()
        ema.update_parameters(model)
        print(step, round(loss.item(), 4), [round(v, 5) for v in sched.get_last_lr()])
    update_bn([x[:8], x[8:]], ema)
    print([round(v, 4) for v in ema.module[1].running_mean.tolist()])
    try:
        assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.5]))
    except AssertionError as e:
        print(str(e))
""")


def test_script_prints_the_same_under_ember_run(tmp_path):
    script = tmp_path / "train_utils.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    real = subprocess.run([sys.executable, "-W", "ignore", str(script)], capture_output=True, text=True, env=env,
                          timeout=120)
    ours = subprocess.run([sys.executable, "-W", "ignore", "-m", "ember", "run", str(script)], capture_output=True,
                          text=True, env=env, timeout=120)
    assert real.returncode == 0, real.stderr
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == real.stdout
    assert "parametrizations.weight.original0" in ours.stdout and "Mismatched elements: 1 / 2" in ours.stdout
