"""linearize, functionalize, debug_unwrap, replace_all_batch_norm_modules_ against torch.func."""
import pytest
import torch

import ember
from ember import func as ef

from ._pair import assert_close, raises_like, to_ember

tf = torch.func


def test_linearize_matches_jvp_and_torch():
    x, y = torch.randn(3, dtype=torch.float64), torch.randn(3, dtype=torch.float64)

    def make(lib):
        return lambda x, y: (lib.sin(x) * y, {"s": (x * y).sum()})

    e_out, e_fn = ef.linearize(make(ember), *to_ember((x, y)))
    t_out, t_fn = tf.linearize(make(torch), x, y)
    assert_close(e_out, t_out)
    for _ in range(2):
        tx, ty = torch.randn(3, dtype=torch.float64), torch.randn(3, dtype=torch.float64)
        assert_close(e_fn(*to_ember((tx, ty))), t_fn(tx, ty))
    e_jvp = ef.jvp(make(ember), to_ember((x, y)), to_ember((tx, ty)))[1]
    assert_close(e_fn(*to_ember((tx, ty))), tf.jvp(make(torch), (x, y), (tx, ty))[1])
    assert_close(e_jvp, t_fn(tx, ty))


@pytest.mark.parametrize("tangents", [(torch.ones(2),), (torch.ones(3), torch.ones(3)), ((torch.ones(3),),)])
def test_linearize_errors_as_torch(tangents):
    x = torch.randn(3)
    e_fn, t_fn = ef.linearize(ember.sin, to_ember(x))[1], tf.linearize(torch.sin, x)[1]
    e_msg, t_msg = raises_like(lambda: e_fn(*to_ember(tangents)), lambda: t_fn(*tangents))
    if isinstance(tangents[0], torch.Tensor) and tangents[0].shape == (2,):
        assert e_msg.replace("ember.Size", "torch.Size") == t_msg


def test_functionalize_gives_the_same_results_and_checks_remove():
    def f(lib):
        def run(x):
            y = x.clone()
            y.mul_(2)
            x.add_(1)
            return y
        return run

    x = torch.randn(4)
    xe = to_ember(x)
    assert_close(ef.functionalize(f(ember))(xe), tf.functionalize(f(torch))(x))
    assert_close(xe, x)          # the input's mutation is kept, as PyTorch's functionalize copies it back
    e_msg, t_msg = raises_like(lambda: ef.functionalize(ember.sin, remove="foo"),
                               lambda: tf.functionalize(torch.sin, remove="foo"))
    assert e_msg == t_msg
    x = ember.ones(2)
    assert ef.debug_unwrap(x) is x


def test_replace_all_batch_norm_modules_then_vmap_over_a_model():
    def make(lib):
        norm = lib.nn.InstanceNorm1d(4, affine=True, track_running_stats=True)
        return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), norm)

    t_model, e_model = make(torch), make(ember)
    e_model.load_state_dict({k: to_ember(v) for k, v in t_model.state_dict().items()})
    assert tf.replace_all_batch_norm_modules_(t_model) is t_model
    assert ef.replace_all_batch_norm_modules_(e_model) is e_model
    for e, t in zip(e_model.modules(), t_model.modules()):
        for name in ("running_mean", "running_var", "num_batches_tracked", "track_running_stats"):
            if hasattr(t, name):
                tv, ev = getattr(t, name), getattr(e, name)
                assert (tv is None) == (ev is None) and (not isinstance(tv, bool) or tv == ev), (type(t), name)
    assert sorted(dict(e_model.named_buffers())) == sorted(dict(t_model.named_buffers()))
    x = torch.randn(5, 6, 3)
    assert_close(ef.vmap(e_model[:2])(to_ember(x)), torch.vmap(t_model[:2])(x), atol=1e-5)


def test_vmap_over_batch_norm_with_running_stats():
    x = torch.randn(3, 5, 4)
    t_bn, e_bn = torch.nn.BatchNorm1d(4), ember.nn.BatchNorm1d(4)
    e_msg, t_msg = raises_like(lambda: ef.vmap(e_bn)(to_ember(x)), lambda: torch.vmap(t_bn)(x))
    assert e_msg == t_msg
    assert_close(dict(e_bn.named_buffers()), dict(t_bn.named_buffers()))      # nothing was updated
    # an ensemble of batch norms in training mode: each updates its own slice of the stacked buffers
    t_models = [torch.nn.BatchNorm1d(4) for _ in range(3)]
    e_models = [ember.nn.BatchNorm1d(4) for _ in range(3)]
    (ep, eb), (tp, tb) = ef.stack_module_state(e_models), tf.stack_module_state(t_models)
    e = ef.vmap(lambda p, b, x: ef.functional_call(e_models[0], (p, b), (x,)))(ep, eb, to_ember(x))
    t = torch.vmap(lambda p, b, x: tf.functional_call(t_models[0], (p, b), (x,)))(tp, tb, x)
    assert_close((e, eb), (t, tb), atol=1e-5)


def test_linearize_composes_with_grad():
    """d/da sum(J(a) 1) for sin is -sin(a): what jvp gives under grad (PyTorch's linearize gives 0 here,
    its traced jvp_fn treats the primal as a constant: README's differences)."""
    x = torch.tensor([0.5, 1.0, -1.0])
    e = ef.grad(lambda a: ef.linearize(ember.sin, a)[1](ember.ones(3)).sum())(to_ember(x))
    assert_close(e, tf.grad(lambda a: tf.jvp(torch.sin, (a,), (torch.ones(3),))[1].sum())(x))
    assert_close(e, -torch.sin(x))
