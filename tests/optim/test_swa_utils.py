"""optim.swa_utils against torch.optim.swa_utils: AveragedModel (SWA, EMA, use_buffers, custom
avg_fn), SWALR learning rates, update_bn running statistics."""
import numpy as np
import pytest
import torch

import ember


def _net(mod):
    mod.manual_seed(0)
    return mod.nn.Sequential(mod.nn.Linear(3, 4), mod.nn.BatchNorm1d(4), mod.nn.ReLU(), mod.nn.Linear(4, 2))


def _x(i):
    return np.random.default_rng(i).standard_normal((6, 3)).astype(np.float32)


def _train_and_average(mod, make_avg, steps=4):
    model = _net(mod)
    avg = make_avg(mod, model)
    opt = mod.optim.SGD(model.parameters(), lr=0.1)
    for i in range(steps):
        opt.zero_grad()
        model(mod.tensor(_x(i))).pow(2).sum().backward()
        opt.step()
        avg.update_parameters(model)
    return avg


def _compare_state(e, t):
    es, ts = e.state_dict(), t.state_dict()
    assert list(es) == list(ts)
    for k in ts:
        assert es[k].dtype == getattr(ember, str(ts[k].dtype).split(".")[1]), k
        np.testing.assert_allclose(es[k].numpy(), ts[k].numpy(), rtol=1e-5, atol=1e-6, err_msg=k)


MAKERS = {
    "swa": lambda mod, m: mod.optim.swa_utils.AveragedModel(m),
    "ema": lambda mod, m: mod.optim.swa_utils.AveragedModel(m, multi_avg_fn=mod.optim.swa_utils.get_ema_multi_avg_fn(0.9)),
    "ema_buffers": lambda mod, m: mod.optim.swa_utils.AveragedModel(
        m, multi_avg_fn=mod.optim.swa_utils.get_ema_multi_avg_fn(0.9), use_buffers=True),
    "swa_buffers": lambda mod, m: mod.optim.swa_utils.AveragedModel(m, use_buffers=True),
    "avg_fn": lambda mod, m: mod.optim.swa_utils.AveragedModel(m, avg_fn=mod.optim.swa_utils.get_ema_avg_fn(0.8)),
    "swa_multi": lambda mod, m: mod.optim.swa_utils.AveragedModel(m, multi_avg_fn=mod.optim.swa_utils.get_swa_multi_avg_fn()),
}


@pytest.mark.parametrize("kind", list(MAKERS))
def test_averaged_model_as_torch(kind):
    e = _train_and_average(ember, MAKERS[kind])
    t = _train_and_average(torch, MAKERS[kind])
    assert int(e.n_averaged) == int(t.n_averaged) == 4
    _compare_state(e, t)
    x = _x(9)
    e.eval()
    t.eval()
    np.testing.assert_allclose(e(ember.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_averaged_model_is_a_copy_and_rejects_both_fns():
    model = _net(ember)
    avg = ember.optim.swa_utils.AveragedModel(model)
    assert avg.module is not model and avg.module[0].weight is not model[0].weight
    with pytest.raises(AssertionError):
        ember.optim.swa_utils.AveragedModel(model, avg_fn=ember.optim.swa_utils.get_swa_avg_fn(),
                                            multi_avg_fn=ember.optim.swa_utils.get_swa_multi_avg_fn())


@pytest.mark.parametrize("strategy", ["cos", "linear"])
@pytest.mark.parametrize("anneal_epochs", [0, 1, 5])
def test_swalr_learning_rates_as_torch(strategy, anneal_epochs):
    lrs = {}
    for mod in (torch, ember):
        w = mod.nn.Parameter(mod.ones(2))
        b = mod.nn.Parameter(mod.ones(1))
        opt = mod.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.3}], lr=1.0)
        sched = mod.optim.swa_utils.SWALR(opt, swa_lr=[0.05, 0.1], anneal_epochs=anneal_epochs, anneal_strategy=strategy)
        seen = [sched.get_last_lr()]
        for _ in range(8):
            opt.step()
            sched.step()
            seen.append(sched.get_last_lr())
        lrs[mod.__name__] = seen
    np.testing.assert_allclose(np.array(lrs["ember"]), np.array(lrs["torch"]), rtol=1e-12)


def test_swalr_errors_and_state_dict():
    for mod in (torch, ember):
        opt = mod.optim.SGD([mod.nn.Parameter(mod.ones(2))], lr=1.0)
        with pytest.raises(ValueError, match="anneal_strategy"):
            mod.optim.swa_utils.SWALR(opt, 0.1, anneal_strategy="exp")
        with pytest.raises(ValueError, match="anneal_epochs"):
            mod.optim.swa_utils.SWALR(opt, 0.1, anneal_epochs=-1)
    opt = ember.optim.SGD([ember.nn.Parameter(ember.ones(2))], lr=1.0)
    s = ember.optim.swa_utils.SWALR(opt, 0.1, anneal_epochs=3)
    state = s.state_dict()
    assert "anneal_func" not in state and "optimizer" not in state
    s2 = ember.optim.swa_utils.SWALR(opt, 0.1, anneal_strategy="linear")
    s2.load_state_dict(state)
    assert s2.anneal_func is s2._cosine_anneal


def test_update_bn_as_torch():
    stats = {}
    for mod in (torch, ember):
        model = _net(mod)
        model.train()
        model(mod.tensor(_x(0)))                       # some running statistics to be replaced
        model.eval()
        loader = [(mod.tensor(_x(i)), mod.zeros(6)) for i in range(3)] + [mod.tensor(_x(5))]
        mod.optim.swa_utils.update_bn(loader, model)
        assert not model.training and model[1].momentum == 0.1
        stats[mod.__name__] = [model[1].running_mean.numpy(), model[1].running_var.numpy(),
                               int(model[1].num_batches_tracked)]
    for e, t in zip(stats["ember"], stats["torch"]):
        np.testing.assert_allclose(e, t, rtol=1e-5, atol=1e-6)
