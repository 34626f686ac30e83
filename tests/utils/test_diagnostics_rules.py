"""Each diagnostics rule on a model built to trigger it and on one that must not."""
import numpy as np
import pytest

import ember
from ember import nn
from ember.utils.diagnostics import Diagnostics


class Log(nn.Module):
    def forward(self, x):
        return ember.log(x)


class Sqrt(nn.Module):
    def forward(self, x):
        return ember.sqrt(x)


def _data(n=128, features=8, classes=3, seed=0, noise=False):
    g = np.random.default_rng(seed)
    x = g.normal(size=(n, features)).astype(np.float32)
    y = g.integers(0, classes, n) if noise else np.argmax(x[:, :classes], 1)
    return ember.tensor(x), ember.tensor(y.astype(np.int64))


def _train(model, epochs=2, opt=None, data=None, test=None, batch=32):
    ember.manual_seed(0)
    x, y = data if data is not None else _data()
    opt = opt or ember.optim.Adam(model.parameters(), lr=1e-2)
    diag = Diagnostics(model, opt)
    for _ in range(epochs):
        model.train()
        total = 0.0
        for i in range(0, len(y), batch):
            loss = nn.functional.cross_entropy(model(x[i:i + batch]), y[i:i + batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(y[i:i + batch])
        metrics = {"train_loss": total / len(y)}
        if test is not None:
            model.eval()
            with ember.no_grad():
                metrics["test_loss"] = nn.functional.cross_entropy(model(test[0]), test[1]).item()
        diag.end_epoch(**metrics)
    return diag.findings()


def _rules(findings):
    return [f.rule for f in findings]


def _mlp(act=nn.ReLU, depth=2, width=32, features=8, classes=3):
    ember.manual_seed(1)
    layers, w = [], features
    for _ in range(depth):
        layers += [nn.Linear(w, width), act()]
        w = width
    return nn.Sequential(*layers, nn.Linear(w, classes))


def test_a_healthy_model_has_no_findings():
    assert _train(_mlp(), epochs=3) == []
    assert _train(_mlp(nn.Tanh), epochs=3) == []


def test_dead_relu():
    model = _mlp()
    with ember.no_grad():
        model[0].bias._data[:20] = -100.0     # 20 of 32 units can never fire
    found = [f for f in _train(model) if f.rule == "dead_relu"]
    assert len(found) == 1 and found[0].layer == "1" and found[0].epoch == 1
    assert str(found[0]).startswith("0 -> 1 (ReLU): 62 % of the units never fired in epoch 1")
    assert "(dead ReLU); try a lower learning rate" in str(found[0])
    assert found[0].evidence["dead_fraction"] == pytest.approx(20 / 32)
    model = _mlp()
    with ember.no_grad():
        model[0].bias._data[:8] = -100.0      # 25 %: below the threshold
    assert "dead_relu" not in _rules(_train(model))


def test_saturation():
    model = _mlp(nn.Tanh)
    with ember.no_grad():
        model[0].weight.mul_(20.0)            # pre-activations of tens: tanh sits at +-1
    found = [f for f in _train(model) if f.rule == "saturation"]
    assert [f.layer for f in found] == ["1"]
    assert "flat tails in epoch 1" in found[0].message and "try ReLU" in found[0].suggestion
    assert found[0].evidence["saturated_fraction"] > 0.5
    sig = _mlp(nn.Sigmoid)
    with ember.no_grad():
        sig[0].weight.mul_(20.0)
    assert "saturation" in _rules(_train(sig))
    assert "saturation" not in _rules(_train(_mlp(nn.Sigmoid)))


def test_vanishing():
    found = _train(_mlp(nn.Sigmoid, depth=10, width=16), epochs=1)
    v = [f for f in found if f.rule == "vanishing"]
    assert len(v) == 1 and v[0].layer == "0" and v[0].evidence["ratio"] < 1e-3
    assert "of the last layer's (20)" in v[0].message and "(vanishing gradients)" in v[0].message
    he = _mlp(nn.ReLU, depth=10, width=16)    # He initialisation keeps the gradient's scale through depth
    for m in he.modules():
        if isinstance(m, nn.Linear):
            nn.init.kaiming_normal_(m.weight)
            nn.init.zeros_(m.bias)
    assert "vanishing" not in _rules(_train(he, epochs=1))


def test_exploding():
    model = _mlp(nn.Identity, depth=2)        # a deep linear model diverges at a high learning rate
    found = _train(model, epochs=4, opt=ember.optim.SGD(model.parameters(), lr=3.0))
    e = [f for f in found if f.rule == "exploding"]
    assert len(e) == 1 and e[0].epoch in (2, 3) and e[0].evidence["grad_norm"] > 100 * e[0].evidence["first_epoch"]
    assert "times epoch 1's largest" in e[0].message and "(exploding gradients)" in e[0].message
    assert "clip_grad_norm_" in e[0].suggestion
    model = _mlp(nn.Identity, depth=2)
    assert _train(model, epochs=4, opt=ember.optim.SGD(model.parameters(), lr=0.01)) == []


def test_large_and_small_updates():
    model = _mlp()
    found = _train(model, opt=ember.optim.SGD(model.parameters(), lr=50.0))
    assert "large_updates" in _rules(found)
    f = next(f for f in found if f.rule == "large_updates")
    assert "updates too large" in f.message and "10 times lower" in f.suggestion
    model = _mlp()
    found = _train(model, opt=ember.optim.SGD(model.parameters(), lr=1e-8))
    assert _rules(found) == ["small_updates"]
    assert "barely move" in found[0].message and found[0].evidence["update_ratios"]["0"] < 1e-5
    model = _mlp()
    assert _train(model, opt=ember.optim.SGD(model.parameters(), lr=0.05)) == []


def test_unscaled_inputs():
    x, y = _data()
    x = ember.tensor(x._data * np.array([1000, 1, 1, 1, 500, 1, 1, 2000], np.float32))   # raw, like RAM in MB
    found = [f for f in _train(_mlp(), epochs=1, data=(x, y)) if f.rule == "unscaled"]
    assert len(found) == 1 and found[0].layer == "0" and found[0].evidence["act_std"] > 100
    assert "standardize the input features" in found[0].suggestion
    logits_only = _mlp(depth=0)               # the last layer's (logit) scale is not judged
    assert "unscaled" not in _rules(_train(logits_only, epochs=1, data=(x, y)))
    assert "unscaled" not in _rules(_train(_mlp(), epochs=1))


def test_overfitting():
    train, test = _data(24, 8, noise=True, seed=0), _data(200, 8, noise=True, seed=1)
    found = _train(_mlp(width=128), epochs=40, data=train, test=test, batch=8)
    o = [f for f in found if f.rule == "overfitting"]
    assert len(o) == 1 and o[0].evidence["best_epoch"] <= 35 and "(overfitting)" in o[0].message
    assert o[0].message.startswith("test loss rising for") and "early stopping" in o[0].suggestion
    train, test = _data(512, 8, seed=0), _data(200, 8, seed=1)
    found = _train(_mlp(width=16), epochs=10, data=train, test=test)
    assert "overfitting" not in _rules(found)


def test_nonfinite_names_the_layer_that_produced_it():
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), Log(), nn.Linear(16, 3))   # log of negative numbers
    found = _train(model, epochs=1)
    assert found[0].rule == "nonfinite" and found[0].layer == "1"
    assert found[0].message.startswith("1 (Log) produced NaN from a finite input at step 1 (epoch 1")
    x, y = _data()
    x._data[5, 2] = np.nan
    found = _train(_mlp(), epochs=1, data=(x, y))
    assert found[0].rule == "nonfinite" and found[0].evidence["where"] == "input" and found[0].layer == "0"
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), Sqrt(), nn.Linear(16, 3))   # d sqrt / dx at 0 is inf
    found = _train(model, epochs=1)
    nf = [f for f in found if f.rule == "nonfinite"]
    assert nf and nf[0].evidence["where"] == "gradient" and nf[0].layer == "0"
    assert "nonfinite" not in _rules(_train(_mlp(), epochs=1))


class LogInForward(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(8, 3)

    def forward(self, x):
        return ember.log(self.lin(x))          # not a leaf module: the model itself makes the NaN


def test_nonfinite_on_an_unsampled_step_is_found_by_rerunning_the_forward():
    x, y = _data()
    x._data[40, 1] = np.inf                  # batch 2 of 4: a step whose layers are not sampled
    found = _train(_mlp(), epochs=1, data=(x, y))
    assert found[0].rule == "nonfinite" and found[0].evidence["where"] == "input"
    assert found[0].layer == "0" and found[0].evidence["step"] == 2
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.5), nn.BatchNorm1d(16), nn.Linear(16, 3))
    x, y = _data()
    x._data[40, 1] = np.nan
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    diag = Diagnostics(model, opt)
    states = []
    for i in range(0, 64, 32):
        model(x[i:i + 32]).sum().backward()
        states.append((ember.get_rng_state()._data.copy(), model[3].running_mean._data.copy()))
        opt.step()
    nf = diag.first_nonfinite
    assert nf["where"] == "input" and nf["layer"] == "0" and nf["step"] == 2
    ember.manual_seed(0)                      # the same two forwards without diagnostics
    plain = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.5), nn.BatchNorm1d(16), nn.Linear(16, 3))
    opt = ember.optim.SGD(plain.parameters(), lr=0.1)
    for i, (rng, mean) in zip(range(0, 64, 32), states):
        plain(x[i:i + 32]).sum().backward()
        np.testing.assert_array_equal(ember.get_rng_state()._data, rng)      # the rerun left no trace
        np.testing.assert_array_equal(plain[3].running_mean._data, mean)
        opt.step()
    found = _train(LogInForward(), epochs=1)
    assert found[0].evidence["where"] == "model" and "outside its leaf modules" in found[0].message


class SqrtScale(nn.Module):
    """sqrt(|x * w|): d/dw is NaN where x is 0 (0 / 0)."""

    def __init__(self, features=8):
        super().__init__()
        self.w = nn.Parameter(ember.ones(features))

    def forward(self, x):
        return ember.sqrt((x * self.w).abs() + 0.0)


def test_nonfinite_gradient_on_an_unsampled_step_is_named_at_its_step():
    """Gradients are checked on sampled steps only; a NaN gradient on another step makes NaN weights,
    and the next step's output check finds them: the step and the cause are still the right ones."""
    x, y = _data()
    x._data[40] = 0.0                         # batch 2 of 4 (not sampled): d sqrt|x w| / dw = 0 / 0
    model = nn.Sequential(SqrtScale(), nn.Linear(8, 3))
    found = _train(model, epochs=1, opt=ember.optim.SGD(model.parameters(), lr=0.1), data=(x, y))
    nf = [f for f in found if f.rule == "nonfinite"]
    assert nf and nf[0].evidence["where"] == "gradient" and nf[0].layer == "0"
    assert nf[0].evidence["step"] == 2 and nf[0].evidence["value"] == "NaN"
    model = nn.Sequential(SqrtScale(), nn.Linear(8, 3))    # zero_grad after the step: the update is blamed
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    diag = Diagnostics(model, opt)
    for i in range(0, 96, 32):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x[i:i + 32]), y[i:i + 32]).backward()
        opt.step()
        opt.zero_grad()
    nf = diag.first_nonfinite
    assert nf["where"] == "weights" and nf["layer"] == "0" and nf["step"] == 2
    text = [f.message for f in diag.findings() if f.rule == "nonfinite"][0]
    assert text.startswith("the weights of 0 (SqrtScale) became NaN in the optimizer step") and "at step 2" in text
    model = nn.Sequential(SqrtScale(), nn.Linear(8, 3))
    with ember.no_grad():
        model[0].w[3] = float("inf")
    diag = Diagnostics(model, ember.optim.SGD(model.parameters(), lr=0.1))
    model(x[:32])
    assert diag.first_nonfinite["where"] == "weights" and diag.first_nonfinite["step"] == 0
    assert "before the first step" in diag.findings()[0].message and "at step" not in diag.findings()[0].message
