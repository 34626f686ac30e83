"""Compiled programs notice what they read being replaced: parameters, buffers, submodules."""
import numpy as np

import ember


def test_replacing_a_parameter_buffer_or_submodule_is_seen_by_a_compiled_module():
    # the recorded program read the old tensor objects; a new one must not be ignored
    ember.manual_seed(0)
    m = ember.nn.Sequential(ember.nn.Linear(3, 2), ember.nn.BatchNorm1d(2))
    c = ember.compile(m)
    x = ember.randn(4, 3)
    c(x)
    m[0].weight = ember.nn.Parameter(ember.ones(2, 3))
    np.testing.assert_allclose(c(x).detach().numpy(), m(x).detach().numpy(), rtol=1e-6)
    m.eval()
    c(x)
    m[1].running_mean = ember.full((2,), 5.0)          # a plain tensor assigned to a buffer's name
    np.testing.assert_allclose(c(x).detach().numpy(), m(x).detach().numpy(), rtol=1e-6)
    m[0] = ember.nn.Linear(3, 2)                      # a submodule replaced
    np.testing.assert_allclose(c(x).detach().numpy(), m(x).detach().numpy(), rtol=1e-6)


def test_a_compiled_function_sees_a_replaced_parameter_of_the_model_it_uses():
    model = ember.nn.Linear(3, 1)

    @ember.compile
    def f(x):
        return model(x).sum()

    x = ember.ones(2, 3)
    f(x)
    model.weight = ember.nn.Parameter(ember.full((1, 3), 2.0))
    assert float(f(x)) == float(model(x).sum())
