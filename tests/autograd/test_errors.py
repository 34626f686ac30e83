"""Each autograd error named in the issue: type and message content."""
import warnings

import pytest
import torch

import ember


def test_backward_twice_through_freed_graph_names_retain_graph():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True") as err:
        y.backward()
    assert "second time" in str(err.value)
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    yt = (t.exp() * t).sum()
    yt.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        yt.backward()


def test_retain_graph_allows_second_backward():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    g = x.grad.tolist()
    x.grad = None
    (x.exp() * x).sum().backward()
    assert g == pytest.approx([2 * v for v in x.grad.tolist()])


def test_backward_on_non_scalar_without_gradient():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="only for scalar outputs") as err:
        (x * 2).backward()
    msg = str(err.value)
    assert "(2,)" in msg and "gradient=" in msg and ".sum()" in msg


def test_gradient_shape_mismatch():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        (x * 2).backward(ember.ones(3))


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ember.ones(2).sum().backward()
    x = ember.ones(2, requires_grad=True)
    with ember.no_grad():
        y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="no_grad"):
        y.backward()


def test_in_place_change_of_saved_tensor_names_op_and_versions():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = h * h          # MulBackward0 saves h (version 0)
    h.add_(1)          # h is now at version 1
    with pytest.raises(RuntimeError) as err:
        y.sum().backward()
    msg = str(err.value)
    assert "modified by an inplace operation" in msg
    assert "MulBackward0" in msg and "version 1" in msg and "expected version 0" in msg


def test_in_place_on_saved_output_detected():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    e = x.exp()        # ExpBackward0 saves its output
    z = e.sum()
    e.mul_(2)
    with pytest.raises(RuntimeError, match="ExpBackward0.*version 1"):
        z.backward()


def test_in_place_on_unsaved_tensor_is_fine():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    h = x + 1          # AddBackward0 saves nothing
    y = h.sum()
    h.mul_(5)
    y.backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_in_place_on_leaf_requiring_grad():
    x = ember.tensor([1.0, 2.0], requires_grad=True)
    for op in [lambda t: t.add_(1), lambda t: t.mul_(2), lambda t: t.zero_(), lambda t: t.fill_(1.0),
               lambda t: t.copy_(ember.ones(2)), lambda t: t.clamp_(0, 1), lambda t: t.__setitem__(0, 3.0),
               lambda t: t.__iadd__(1), lambda t: t.relu_(), lambda t: t.uniform_()]:
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad") as err:
            op(x)
        assert "no_grad" in str(err.value)
    assert x.tolist() == [1.0, 2.0]


def test_grad_of_non_leaf_warns_and_points_to_retain_grad():
    x = ember.tensor([1.0], requires_grad=True)
    y = x * 2
    y.sum().backward()
    with pytest.warns(UserWarning, match="retain_grad"):
        assert y.grad is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is not None       # no warning for leaves
        z = x * 3
        z.retain_grad()
        z.sum().backward()
        assert z.grad.tolist() == [1.0]  # nor for retained non-leaves


def test_requires_grad_on_integer_tensor():
    with pytest.raises(RuntimeError, match="floating point"):
        ember.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        ember.zeros(2, dtype=ember.int64, requires_grad=True)


def test_requires_grad_false_on_non_leaf():
    x = ember.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        (x * 2).requires_grad_(False)


def test_retain_grad_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="requires_grad=False"):
        ember.ones(2).retain_grad()


def test_assigning_bad_grad():
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="different size"):
        x.grad = ember.ones(3)
    with pytest.raises(TypeError):
        x.grad = [1.0, 2.0]


def test_create_graph_through_an_op_without_double_backward_is_a_clear_error():
    class Opaque(ember.autograd.Op):    # an op whose backward is not written for Tensors
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, grad):
            a, = ctx.saved_tensors
            return 2 * a * grad

    x = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="OpaqueBackward0: second-order gradients"):
        Opaque.apply(x).sum().backward(create_graph=True)


def test_only_values_the_backward_needs_are_version_checked():
    # y = w * x with x constant saves only x: changing w in place afterwards is fine (as torch)
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    x = ember.tensor([3.0, 4.0])
    y = (w * x).sum()
    with ember.no_grad():
        w.add_(1)
    y.backward()
    assert w.grad.tolist() == [3.0, 4.0]
    z = (w * w).sum()
    with ember.no_grad():
        w.add_(1)
    with pytest.raises(RuntimeError, match="MulBackward0"):
        z.backward()
