"""functional_call, stack_module_state, and the tutorials built on them (per-sample gradients, model
ensembling, the neural tangent kernel), against torch.func on the same weights."""
import numpy as np
import pytest
import torch

import ember
from ember import func as ef

from ._pair import assert_close, raises_like, to_ember

tf = torch.func


class _Net:
    """The same small CNN in both libraries (the per-sample-gradients tutorial's shape, smaller)."""

    @staticmethod
    def build(lib):
        nn = lib.nn
        return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 3 * 3, 10))


def _twins(make=_Net.build):
    t_model = make(torch)
    e_model = make(ember)
    e_model.load_state_dict({k: to_ember(v) for k, v in t_model.state_dict().items()})
    return e_model, t_model


def test_functional_call_uses_the_given_tensors_and_restores_the_module():
    e_model, t_model = _twins()
    x = torch.randn(2, 1, 8, 8)
    new = {k: torch.randn_like(v) for k, v in t_model.named_parameters()}
    e_before = {k: v for k, v in e_model.named_parameters()}
    assert_close(ef.functional_call(e_model, to_ember(new), (to_ember(x),)), tf.functional_call(t_model, new, (x,)))
    assert all(v is e_before[k] for k, v in e_model.named_parameters())
    assert_close(e_model(to_ember(x)), t_model(x))
    # the module's own tensor for a name not given; a tuple of dicts; kwargs; a single argument
    part = {"4.bias": new["4.bias"]}
    assert_close(ef.functional_call(e_model, to_ember(part), to_ember(x)), tf.functional_call(t_model, part, x))
    assert_close(ef.functional_call(e_model, (to_ember(part), {}), (), {"input": to_ember(x)}),
                 tf.functional_call(t_model, (part, {}), (), {"input": x}))


def test_functional_call_restores_the_module_when_the_call_raises():
    e_model, _ = _twins()
    before = {k: v for k, v in e_model.named_parameters()}
    with pytest.raises(RuntimeError):
        ef.functional_call(e_model, {"4.weight": ember.zeros(10, 5)}, (ember.randn(2, 1, 8, 8),))
    assert all(v is before[k] for k, v in e_model.named_parameters())


def test_functional_call_gradients_reach_the_given_tensors():
    e_model, t_model = _twins()
    x = torch.randn(3, 1, 8, 8)
    t_params = {k: v.detach().clone().requires_grad_() for k, v in t_model.named_parameters()}
    e_params = {k: to_ember(v).requires_grad_() for k, v in t_params.items()}
    tf.functional_call(t_model, t_params, (x,)).pow(2).sum().backward()
    ef.functional_call(e_model, e_params, (to_ember(x),)).pow(2).sum().backward()
    assert_close({k: v.grad for k, v in e_params.items()}, {k: v.grad for k, v in t_params.items()}, atol=1e-4)
    assert all(p.grad is None for p in e_model.parameters())


def test_functional_call_buffers_and_tied_weights():
    t_bn, e_bn = torch.nn.BatchNorm1d(3).eval(), ember.nn.BatchNorm1d(3).eval()
    x = torch.randn(4, 3)
    bufs = {"running_mean": torch.randn(3), "running_var": torch.rand(3) + 0.5}
    assert_close(ef.functional_call(e_bn, to_ember(bufs), (to_ember(x),)), tf.functional_call(t_bn, bufs, (x,)))

    def tied(lib):
        a, b = lib.nn.Linear(3, 3), lib.nn.Linear(3, 3)
        b.weight = a.weight
        return lib.nn.Sequential(a, b)

    e_model, t_model = _twins(tied)
    w = {"0.weight": torch.randn(3, 3)}
    for tie in (True, False):
        assert_close(ef.functional_call(e_model, to_ember(w), (to_ember(x),), tie_weights=tie),
                     tf.functional_call(t_model, w, (x,), tie_weights=tie), atol=1e-5)
    def shared(lib):
        a = lib.nn.Linear(3, 3)
        return lib.nn.Sequential(a, lib.nn.Tanh(), a)

    e_shared, t_shared = _twins(shared)
    assert_close(ef.functional_call(e_shared, to_ember(w), (to_ember(x),)), tf.functional_call(t_shared, w, (x,)))
    assert e_shared[0].weight is e_shared[2].weight and isinstance(e_shared[0].weight, ember.nn.Parameter)
    both = {"0.weight": torch.randn(3, 3), "1.weight": torch.randn(3, 3)}
    raises_like(lambda: ef.functional_call(e_model, to_ember(both), (to_ember(x),)),
                lambda: tf.functional_call(t_model, both, (x,)))


@pytest.mark.parametrize("case", ["missing strict", "unexpected strict", "repeated key"])
def test_functional_call_errors_as_torch(case):
    t_model, e_model = torch.nn.Linear(3, 2), ember.nn.Linear(3, 2)
    x = torch.randn(2, 3)
    args = {"missing strict": ({"weight": torch.zeros(2, 3)}, dict(strict=True)),
            "unexpected strict": ({"foo": torch.zeros(2, 3)}, dict(strict=True)),
            "repeated key": (({"weight": torch.zeros(2, 3)}, {"weight": torch.ones(2, 3)}), {})}[case]
    e_msg, t_msg = raises_like(lambda: ef.functional_call(e_model, to_ember(args[0]), (to_ember(x),), **args[1]),
                               lambda: tf.functional_call(t_model, args[0], (x,), **args[1]))
    assert e_msg == t_msg


def test_stack_module_state_as_torch():
    t_models = [torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4)) for _ in range(3)]
    e_models = [ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.BatchNorm1d(4)) for _ in range(3)]
    for e, t in zip(e_models, t_models):
        e.load_state_dict({k: to_ember(v) for k, v in t.state_dict().items()})
    (ep, eb), (tp, tb) = ef.stack_module_state(e_models), tf.stack_module_state(t_models)
    assert_close((ep, eb), (tp, tb))
    for e, t in zip(list(ep.values()) + list(eb.values()), list(tp.values()) + list(tb.values())):
        assert (e.requires_grad, e.is_leaf) == (t.requires_grad, t.is_leaf)
    ep["0.weight"].sum().backward()
    assert e_models[0][0].weight.grad is None        # detached from the models
    frozen = [torch.nn.Linear(2, 2).requires_grad_(False) for _ in range(2)]
    e_frozen = [ember.nn.Linear(2, 2).requires_grad_(False) for _ in range(2)]
    assert ef.stack_module_state(e_frozen)[0]["weight"].requires_grad == \
        tf.stack_module_state(frozen)[0]["weight"].requires_grad


@pytest.mark.parametrize("case", ["empty", "mixed modes", "different shapes"])
def test_stack_module_state_errors_as_torch(case):
    def models(lib):
        return {"empty": [], "mixed modes": [lib.nn.Linear(2, 2), lib.nn.Linear(2, 2).eval()],
                "different shapes": [lib.nn.Linear(2, 2), lib.nn.Linear(2, 3)]}[case]
    e_msg, t_msg = raises_like(lambda: ef.stack_module_state(models(ember)),
                               lambda: tf.stack_module_state(models(torch)))
    assert e_msg == t_msg


def _per_sample_grads(F, lib, model, data, targets):
    params = {k: v.detach() for k, v in model.named_parameters()}
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def compute_loss(params, buffers, sample, target):
        batch, targets = sample.unsqueeze(0), target.unsqueeze(0)
        predictions = F.functional_call(model, (params, buffers), (batch,))
        return lib.nn.functional.cross_entropy(predictions, targets)

    return F.vmap(F.grad(compute_loss), in_dims=(None, None, 0, 0))(params, buffers, data, targets)


def test_per_sample_gradients_tutorial():
    e_model, t_model = _twins()
    data, targets = torch.randn(6, 1, 8, 8), torch.randint(0, 10, (6,))
    e_grads = _per_sample_grads(ef, ember, e_model, to_ember(data), to_ember(targets))
    t_grads = _per_sample_grads(tf, torch, t_model, data, targets)
    assert_close(e_grads, t_grads, atol=1e-5)
    # ... and a loop of ordinary backward calls, one sample at a time
    for i in range(len(data)):
        e_model.zero_grad()
        loss = ember.nn.functional.cross_entropy(e_model(to_ember(data[i:i + 1])), to_ember(targets[i:i + 1]))
        loss.backward()
        for k, p in e_model.named_parameters():
            np.testing.assert_allclose(e_grads[k][i].numpy(), p.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert not any(g.requires_grad for g in e_grads.values())


def test_model_ensembling_tutorial():
    def make(lib):
        return lib.nn.Sequential(lib.nn.Linear(5, 8), lib.nn.GELU(), lib.nn.Linear(8, 3))

    t_models = [make(torch) for _ in range(4)]
    e_models = [make(ember) for _ in range(4)]
    for e, t in zip(e_models, t_models):
        e.load_state_dict({k: to_ember(v) for k, v in t.state_dict().items()})
    minibatches = torch.randn(4, 7, 5)
    minibatch = minibatches[0]

    def ensemble(F, models, *inputs, in_dims):
        params, buffers = F.stack_module_state(models)
        base = models[0]
        return F.vmap(lambda p, b, x: F.functional_call(base, (p, b), (x,)), in_dims=in_dims)(params, buffers, *inputs)

    for inputs, in_dims in (((minibatch,), (0, 0, None)), ((minibatches,), (0, 0, 0))):
        e = ensemble(ef, e_models, *to_ember(inputs), in_dims=in_dims)
        t = ensemble(tf, t_models, *inputs, in_dims=in_dims)
        assert_close(e, t, atol=1e-5)
    loop = ember.stack([m(to_ember(minibatch)) for m in e_models])
    np.testing.assert_allclose(ensemble(ef, e_models, to_ember(minibatch), in_dims=(0, 0, None)).detach().numpy(),
                               loop.detach().numpy(), rtol=1e-6, atol=1e-6)


def test_neural_tangent_kernel_tutorial():
    def make(lib):
        return lib.nn.Sequential(lib.nn.Linear(4, 6), lib.nn.Tanh(), lib.nn.Linear(6, 2))

    e_model, t_model = _twins(make)
    x1, x2 = torch.randn(3, 4), torch.randn(2, 4)

    def ntk(F, lib, model, x1, x2):
        params = {k: v.detach() for k, v in model.named_parameters()}

        def fnet_single(params, x):
            return F.functional_call(model, params, (x.unsqueeze(0),)).squeeze(0)

        jac1 = F.vmap(F.jacrev(fnet_single), (None, 0))(params, x1)
        jac2 = F.vmap(F.jacrev(fnet_single), (None, 0))(params, x2)
        jac1 = [j.flatten(2) for j in jac1.values()]
        jac2 = [j.flatten(2) for j in jac2.values()]
        return lib.stack([lib.einsum("Naf,Mbf->NMab", j1, j2) for j1, j2 in zip(jac1, jac2)]).sum(0)

    assert_close(ntk(ef, ember, e_model, *to_ember((x1, x2))), ntk(tf, torch, t_model, x1, x2), atol=1e-5)


def test_neural_tangent_kernel_by_vector_products():
    """The NTK tutorial's second method: vmap over vjp_fn, jvp along its result, nested vmaps."""
    def make(lib):
        return lib.nn.Sequential(lib.nn.Linear(3, 5), lib.nn.Tanh(), lib.nn.Linear(5, 2))

    e_model, t_model = _twins(make)
    x1, x2 = torch.randn(2, 3), torch.randn(3, 3)

    def ntk(F, lib, model, x1, x2):
        params = {k: v.detach() for k, v in model.named_parameters()}

        def fnet_single(params, x):
            return F.functional_call(model, params, (x.unsqueeze(0),)).squeeze(0)

        def get_ntk(x1, x2):
            output, vjp_fn = F.vjp(lambda p: fnet_single(p, x1), params)

            def get_ntk_slice(vec):
                vjps = vjp_fn(vec)
                return F.jvp(lambda p: fnet_single(p, x2), (params,), vjps)[1]

            basis = lib.eye(output.numel(), dtype=output.dtype).view(output.numel(), -1)
            return F.vmap(get_ntk_slice)(basis)

        return F.vmap(F.vmap(get_ntk, (None, 0)), (0, None))(x1, x2)

    assert_close(ntk(ef, ember, e_model, *to_ember((x1, x2))), ntk(tf, torch, t_model, x1, x2), atol=1e-5)


def test_nn_utils_stateless_functional_call_is_the_deprecated_name():
    from ember.nn.utils import stateless
    t_model, e_model = torch.nn.Linear(3, 2), ember.nn.Linear(3, 2)
    w = {"weight": torch.randn(2, 3)}
    x = torch.randn(4, 3)
    with pytest.warns(FutureWarning, match="torch.func.functional_call"):
        e = stateless.functional_call(e_model, to_ember(w), (to_ember(x),))
    with pytest.warns(FutureWarning):
        t = torch.nn.utils.stateless.functional_call(t_model, w, (x,))
    assert_close(e - to_ember(t_model.bias), t - t_model.bias)


def test_functional_call_on_a_compiled_module_uses_the_given_tensors():
    import warnings
    x = ember.randn(4, 3)
    w = {"0.weight": ember.zeros(2, 3), "0.bias": ember.ones(2)}
    expected = np.full((4, 2), np.tanh(1.0), np.float32)
    for how in ("in place", "wrapper"):
        model = ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.Tanh())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if how == "in place":
                model.compile()
            else:
                model = ember.compile(model)
            before = model(x).detach().numpy()
            model(x)                      # recorded, then replayed
            np.testing.assert_allclose(ef.functional_call(model, w, (x,)).detach().numpy(), expected, rtol=1e-6)
            np.testing.assert_array_equal(model(x).detach().numpy(), before)     # its own weights again
