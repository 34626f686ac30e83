"""ember.utils.diagnostics: the recorder's numbers against PyTorch, hooks, JSON, the picture."""
import json
import math

import numpy as np
import pytest
import torch

import ember
from ember import nn
from ember.utils.diagnostics import Diagnostics, plot_diagnostics


def _pair(seed=0):
    """The same 3-layer MLP in ember and torch, and one batch."""
    rng = np.random.default_rng(seed)
    sizes = [(6, 5), (5, 4), (4, 3)]
    ws = [(rng.normal(0, 0.8, (o, i)).astype(np.float32), rng.normal(0, 0.3, o).astype(np.float32)) for i, o in sizes]
    em = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))
    tm = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 4), torch.nn.Tanh(),
                             torch.nn.Linear(4, 3))
    for k, (w, b) in zip((0, 2, 4), ws):
        em[k].weight._data[...] = w
        em[k].bias._data[...] = b
        with torch.no_grad():
            tm[k].weight.copy_(torch.from_numpy(w))
            tm[k].bias.copy_(torch.from_numpy(b))
    x = rng.normal(0, 2, (16, 6)).astype(np.float32)
    y = rng.integers(0, 3, 16)
    return em, tm, x, y


def test_one_step_numbers_equal_torch():
    em, tm, x, y = _pair()
    opt = ember.optim.SGD(em.parameters(), lr=0.1)
    diag = Diagnostics(em, opt, every=1)
    loss = nn.functional.cross_entropy(em(ember.tensor(x)), ember.tensor(y))
    opt.zero_grad()
    loss.backward()
    opt.step()
    rec = diag.end_epoch(train_loss=loss.item())["layers"]

    acts = {}
    hooks = [tm[i].register_forward_hook(lambda m, a, o, i=i: acts.__setitem__(i, o.detach().numpy()))
             for i in range(5)]
    tloss = torch.nn.functional.cross_entropy(tm(torch.from_numpy(x)), torch.from_numpy(y))
    tloss.backward()
    for h in hooks:
        h.remove()
    for k in (0, 2, 4):
        layer = tm[k]
        g = math.sqrt(layer.weight.grad.pow(2).sum() + layer.bias.grad.pow(2).sum())
        w = math.sqrt(layer.weight.detach().pow(2).sum() + layer.bias.detach().pow(2).sum())
        w1 = math.sqrt((layer.weight - 0.1 * layer.weight.grad).detach().pow(2).sum()
                       + (layer.bias - 0.1 * layer.bias.grad).detach().pow(2).sum())
        upd = 0.1 * g / w                      # plain SGD: ||W1 - W0|| = lr * ||grad||
        assert rec[str(k)]["grad_norm"] == pytest.approx(g, rel=1e-5)
        assert rec[str(k)]["weight_norm"] == pytest.approx(w1, rel=1e-5)   # after the step
        assert rec[str(k)]["update_ratio"] == pytest.approx(upd, rel=1e-4)
    for k in range(5):
        a = acts[k].astype(np.float64)
        assert rec[str(k)]["act_mean"] == pytest.approx(a.mean(), rel=1e-4, abs=1e-6)
        assert rec[str(k)]["act_std"] == pytest.approx(a.std(), rel=1e-4)
    relu = acts[1]
    assert rec["1"]["dead_fraction"] == pytest.approx(1 - (relu > 0).any(0).mean())
    assert rec["1"]["units"] == 5
    t = acts[3]
    assert rec["3"]["saturated_fraction"] == pytest.approx((1 - t * t < 0.05).mean())
    assert "saturated_fraction" not in rec["1"] and "dead_fraction" not in rec["3"]


def test_sampled_statistics_and_every_step_statistics():
    em, _, x, y = _pair()
    opt = ember.optim.SGD(em.parameters(), lr=0.1)
    diag = Diagnostics(em, opt, every=3)
    batches = [ember.tensor(x * s) for s in (1.0, 5.0, 9.0, 0.5, 2.0)]
    relu_out = []
    em[1].register_forward_hook(lambda m, a, o: relu_out.append(o._data.copy()))
    for xb in batches:
        opt.zero_grad()
        nn.functional.cross_entropy(em(xb), ember.tensor(y)).backward()
        opt.step()
    rec = diag.end_epoch()["layers"]
    assert diag.step == 5 and [s["step"] for s in diag.steps] == [1, 4]   # sampled: steps 1 and 4 of 5
    sampled = np.concatenate([relu_out[0], relu_out[3]]).astype(np.float64)  # steps 1 and 4
    assert rec["1"]["act_mean"] == pytest.approx(sampled.mean(), rel=1e-5)
    assert rec["1"]["dead_fraction"] == pytest.approx(1 - (np.concatenate(relu_out) > 0).any(0).mean())
    with pytest.raises(ValueError, match="every must be a positive integer"):
        Diagnostics(em, every=0)


def test_dead_units_are_counted_over_the_whole_epoch():
    lin = nn.Linear(2, 3)
    model = nn.Sequential(lin, nn.ReLU())
    with ember.no_grad():
        lin.weight.copy_(ember.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))
        lin.bias.zero_()
    diag = Diagnostics(model)
    model(ember.tensor([[1.0, -1.0]]))       # unit 0 fires
    model(ember.tensor([[-1.0, 1.0]]))       # unit 1 fires; unit 2 never does
    assert diag.end_epoch()["layers"]["1"]["dead_fraction"] == pytest.approx(1 / 3)
    model(ember.tensor([[1.0, -1.0]]))       # a new epoch starts from scratch
    assert diag.end_epoch()["layers"]["1"]["dead_fraction"] == pytest.approx(2 / 3)


def test_conv_units_are_channels_and_eval_forwards_are_not_recorded():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU())
    with ember.no_grad():
        model[0].bias.copy_(ember.tensor([5.0, 5.0, -50.0, -50.0]))
    diag = Diagnostics(model)
    model(ember.randn(2, 1, 6, 6))
    model.eval()
    model(ember.randn(3, 1, 6, 6) * 100)     # not recorded
    rec = diag.end_epoch()["layers"]["1"]
    assert rec["units"] == 4 and rec["dead_fraction"] == pytest.approx(0.5)
    assert diag.layers["1"].n == 0


def test_without_optimizer_each_backward_is_a_step():
    em, _, x, y = _pair()
    diag = Diagnostics(em)
    for _ in range(3):
        em.zero_grad()
        nn.functional.cross_entropy(em(ember.tensor(x)), ember.tensor(y)).backward()
    rec = diag.end_epoch()
    assert diag.step == 3 and len(diag.steps) == 3
    assert "update_ratio" not in rec["layers"]["0"] and rec["layers"]["0"]["grad_norm"] > 0


def test_gradient_norm_is_what_the_optimizer_receives_or_raw_without_one():
    em, _, x, y = _pair()
    opt = ember.optim.SGD(em.parameters(), lr=0.01)
    with_opt, raw_diag = Diagnostics(em, opt), Diagnostics(em)
    nn.functional.cross_entropy(em(ember.tensor(x)) * 100, ember.tensor(y)).backward()
    raw = math.sqrt(sum(float((p.grad._data.astype(np.float64) ** 2).sum()) for p in em[0].parameters()))
    nn.utils.clip_grad_norm_(em.parameters(), 1e-3)
    clipped = math.sqrt(sum(float((p.grad._data.astype(np.float64) ** 2).sum()) for p in em[0].parameters()))
    opt.step()
    assert clipped < raw / 10
    assert with_opt.end_epoch()["layers"]["0"]["grad_norm"] == pytest.approx(clipped, rel=1e-5)
    assert raw_diag.end_epoch()["layers"]["0"]["grad_norm"] == pytest.approx(raw, rel=1e-5)


def test_remove_takes_every_hook_away():
    em, _, x, y = _pair()
    opt = ember.optim.SGD(em.parameters(), lr=0.1)
    with Diagnostics(em, opt) as diag:
        pass
    loss = nn.functional.cross_entropy(em(ember.tensor(x)), ember.tensor(y))
    loss.backward()
    opt.step()
    assert diag.step == 0 and all(l.n == 0 for l in diag.layers.values())
    assert not any(m._forward_hooks for m in em.modules())


def test_bad_model_is_a_clear_type_error():
    with pytest.raises(TypeError, match="expected an ember.nn.Module.*Diagnostics\\(model, optimizer\\)"):
        Diagnostics([nn.Linear(2, 2)])


def test_save_writes_json_with_findings(tmp_path):
    em, _, x, y = _pair()
    opt = ember.optim.SGD(em.parameters(), lr=0.1)
    diag = Diagnostics(em, opt)
    for epoch in range(2):
        opt.zero_grad()
        nn.functional.cross_entropy(em(ember.tensor(x)), ember.tensor(y)).backward()
        opt.step()
        diag.end_epoch(train_loss=1.0 - epoch)
    data = diag.save(tmp_path / "d.json")
    loaded = json.loads((tmp_path / "d.json").read_text())
    assert loaded == json.loads(json.dumps(data))
    assert loaded["format"] == "ember-diagnostics/1" and len(loaded["epochs"]) == 2
    assert [l["name"] for l in loaded["layers"]] == ["0", "1", "2", "3", "4"]
    assert loaded["layers"][1]["source"] == "0" and loaded["layers"][1]["kind"] == "relu"
    assert loaded["epochs"][1]["metrics"] == {"train_loss": 0.0}
    assert isinstance(loaded["findings"], list)


def test_plot_writes_a_png_or_says_false(tmp_path, monkeypatch):
    em, _, x, y = _pair()
    opt = ember.optim.SGD(em.parameters(), lr=0.1)
    diag = Diagnostics(em, opt)
    for _ in range(2):
        opt.zero_grad()
        nn.functional.cross_entropy(em(ember.tensor(x)), ember.tensor(y)).backward()
        opt.step()
        diag.end_epoch()
    pytest.importorskip("matplotlib")
    path = tmp_path / "d.png"
    assert plot_diagnostics(diag.to_dict(), str(path)) is True
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    monkeypatch.setitem(__import__("sys").modules, "matplotlib.backends.backend_agg", None)
    assert plot_diagnostics(diag.to_dict(), str(tmp_path / "e.png")) is False
    assert not (tmp_path / "e.png").exists()


def test_hooks_leave_layers_with_nothing_to_do_and_rare_units_still_count():
    """Between samples a layer's hook is registered only while it has work: a ReLU layer until all
    its units fired in the epoch. A unit that fires once, on an unsampled step, is still seen."""
    lin = nn.Linear(2, 3)
    relu = nn.ReLU()
    model = nn.Sequential(lin, relu)
    with ember.no_grad():
        lin.weight.copy_(ember.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))
        lin.bias.copy_(ember.tensor([0.0, 0.0, -1.0]))
    opt = ember.optim.SGD(model.parameters(), lr=0.0)
    diag = Diagnostics(model, opt, every=4)
    hooked = []
    for step in range(7):
        x = [[1.0, 1.0]] if step != 6 else [[1.0, 1.0], [0.0, 0.0]]
        out = model(ember.tensor(x))
        if step == 5:                         # unit 2 fires once, on step 6 (unsampled)
            with ember.no_grad():
                lin.bias.copy_(ember.tensor([0.0, 0.0, 5.0]))
        opt.zero_grad()
        out.sum().backward()
        opt.step()
        hooked.append((len(lin._forward_hooks), len(relu._forward_hooks)))
    rec = diag.end_epoch()["layers"]
    assert rec["1"]["dead_fraction"] == 0.0
    # after step 1 (sampled) the Linear layer is unhooked until step 5; the ReLU keeps its hook
    # until unit 2 fires on step 7
    assert hooked[:3] == [(0, 1), (0, 1), (0, 1)] and hooked[3] == (1, 1) and hooked[6] == (0, 0)
    diag.remove()
    assert len(lin._forward_hooks) == len(relu._forward_hooks) == 0


@pytest.mark.parametrize("shape,act", [((6, 5), nn.ReLU), ((6, 5), nn.LeakyReLU), ((3, 4, 5), nn.GELU),
                                       ((2, 5, 3, 3), nn.ReLU), ((2, 5, 3, 3), nn.ELU)])
def test_dead_units_equal_a_brute_force_count_on_sampled_and_unsampled_steps(shape, act):
    """Every unit's outputs over every training step of the epoch, counted by hand: the same
    dead fraction, whichever step (sampled or not) made a unit fire, for dense, sequence and
    image shapes (units: last axis, or channels of an image)."""
    rng = np.random.default_rng(3)
    conv = len(shape) == 4
    lin = nn.Conv2d(5, 5, 1) if conv else nn.Linear(5, 5)
    model = nn.Sequential(lin, act())
    opt = ember.optim.SGD(model.parameters(), lr=0.0)
    diag = Diagnostics(model, opt, every=4)
    seen = []
    model[1].register_forward_hook(lambda m, a, o: seen.append(o._data.copy()))
    for epoch in range(2):
        seen.clear()
        for step in range(11):
            x = rng.normal(0, 1, shape).astype(np.float32)
            x[..., :] = np.minimum(x, -1.0)                  # nothing fires ...
            if step in (2, 5, 9) and epoch == 0:             # ... but once now and then, on unsampled steps
                unit = {2: 1, 5: 3, 9: 0}[step]
                if conv:
                    x[0, unit, 1, 1] = 8.0
                else:
                    x[(0,) * (len(shape) - 1) + (unit,)] = 8.0
            with ember.no_grad():
                if conv:
                    lin.weight.copy_(ember.tensor(np.eye(5, dtype=np.float32).reshape(5, 5, 1, 1)))
                else:
                    lin.weight.copy_(ember.eye(5))
                lin.bias.zero_()
            opt.zero_grad()
            model(ember.tensor(x)).sum().backward()
            opt.step()
        rec = diag.end_epoch()["layers"]["1"]
        outs = np.concatenate([np.moveaxis(o, 1 if conv else -1, -1).reshape(-1, 5) for o in seen])
        assert rec["dead_fraction"] == pytest.approx(1 - (outs > 0).any(0).mean())
        assert rec["dead_fraction"] == (0.4 if epoch == 0 else 1.0)
