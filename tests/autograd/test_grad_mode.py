"""no_grad / enable_grad / set_grad_enabled / inference_mode as context managers and decorators."""
import pytest

import ember


def _x():
    return ember.ones(2, requires_grad=True)


def test_no_grad_context():
    x = _x()
    with ember.no_grad():
        assert not ember.is_grad_enabled()
        y = x * 2
    assert ember.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_no_grad_decorator_and_with_call():
    x = _x()

    @ember.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    assert f.__name__ == "f"
    assert (x * 2).requires_grad


def test_enable_grad_inside_no_grad():
    x = _x()
    with ember.no_grad():
        with ember.enable_grad():
            y = x * 2
        z = x * 2
    assert y.requires_grad and not z.requires_grad

    @ember.enable_grad()
    def g(t):
        return t * 2

    with ember.no_grad():
        assert g(x).requires_grad


def test_set_grad_enabled_all_forms():
    x = _x()
    with ember.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert ember.is_grad_enabled()
    ember.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        ember.set_grad_enabled(True)
    assert (x * 2).requires_grad

    @ember.set_grad_enabled(False)
    def f(t):
        return t * 2

    assert ember.is_grad_enabled()  # decorating does not change the mode
    assert not f(x).requires_grad and ember.is_grad_enabled()
    with ember.no_grad():
        with ember.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not ember.is_grad_enabled()


def test_inference_mode_forms():
    x = _x()
    with ember.inference_mode():
        assert not (x * 2).requires_grad
    with ember.inference_mode(False):
        assert (x * 2).requires_grad
    assert ember.is_grad_enabled()

    @ember.inference_mode()
    def f(t):
        return t * 2

    @ember.inference_mode
    def g(t):
        return t * 2

    @ember.inference_mode(mode=False)
    def h(t):
        return t * 2

    assert not f(x).requires_grad and not g(x).requires_grad and h(x).requires_grad
    assert ember.is_grad_enabled()


def test_modes_restore_after_exception():
    for make in [ember.no_grad, ember.inference_mode, lambda: ember.set_grad_enabled(False)]:
        with pytest.raises(ValueError):
            with make():
                raise ValueError("boom")
        assert ember.is_grad_enabled()

    @ember.no_grad()
    def bad():
        raise KeyError("x")

    with pytest.raises(KeyError):
        bad()
    assert ember.is_grad_enabled()


def test_nested_and_reusable():
    ng = ember.no_grad()
    with ng:
        with ng:
            assert not ember.is_grad_enabled()
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled()
    with ng:
        pass
    assert ember.is_grad_enabled()


def test_decorated_generator_function_keeps_mode_per_call():
    @ember.no_grad()
    def f():
        return ember.is_grad_enabled()

    assert f() is False and ember.is_grad_enabled()


def test_in_place_on_leaf_allowed_under_no_grad():
    w = _x()
    with ember.no_grad():
        w.mul_(3).sub_(1)
        w[0] = 5.0
    assert w.tolist() == [5.0, 2.0] and w.is_leaf and w.requires_grad


def test_autograd_namespace_exports():
    assert ember.autograd.no_grad is ember.no_grad
    assert ember.autograd.grad_mode.set_grad_enabled is ember.set_grad_enabled
    assert ember.autograd.is_grad_enabled() is True
