"""The examples in ember.func's docstrings run and show what they claim."""
import doctest
import importlib
import sys

import pytest

import ember

MODULES = ["ember.func", "ember.func._pytree", "ember.func.functional_call", "ember.func.grad", "ember.func.vjp",
           "ember.func.jvp", "ember.func.jacobian", "ember.func.linearize", "ember.func.functionalize",
           "ember.func.batch_norm", "ember.func.stack_module_state", "ember.func.vmap", "ember.nn.utils.stateless"]


@pytest.mark.parametrize("name", MODULES)
def test_examples(name):
    module = sys.modules.get(name) or importlib.import_module(name)
    globs = dict(vars(module), ember=ember)
    result = doctest.testmod(module, globs=globs, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
