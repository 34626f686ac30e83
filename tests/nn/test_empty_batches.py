"""A batch of size 0 goes through layers and losses as in PyTorch: an empty output of the right
shape, empty input gradients, zero parameter gradients, running statistics unchanged."""
import pytest

from tests.both import assert_same

LAYERS = [
    ("BatchNorm1d(3)", (0, 3)), ("BatchNorm1d(3)", (0, 3, 5)), ("BatchNorm2d(3)", (0, 3, 4, 4)),
    ("Linear(3, 2)", (0, 3)), ("Linear(3, 2)", (2, 0, 3)),
    ("Conv2d(3, 2, 3)", (0, 3, 5, 5)), ("Conv2d(3, 2, 3, padding=1, stride=2)", (0, 3, 5, 5)),
    ("Conv2d(4, 2, 3, groups=2)", (0, 4, 5, 5)), ("Conv1d(3, 2, 3)", (0, 3, 5)),
    ("ConvTranspose2d(3, 2, 3)", (0, 3, 5, 5)), ("ConvTranspose1d(3, 2, 3)", (0, 3, 5)),
    ("MaxPool2d(2)", (0, 3, 4, 4)), ("AvgPool2d(2)", (0, 3, 4, 4)), ("MaxPool1d(2)", (0, 3, 4)),
    ("AdaptiveAvgPool2d(1)", (0, 3, 4, 4)), ("AdaptiveMaxPool2d(2)", (0, 3, 4, 4)),
    ("AdaptiveMaxPool1d(2)", (0, 3, 4)),
    ("LayerNorm(3)", (0, 3)), ("GroupNorm(1, 3)", (0, 3, 4)), ("InstanceNorm1d(3)", (0, 3, 4)),
    ("InstanceNorm2d(3)", (0, 3, 4, 4)),
    ("Softmax(dim=1)", (0, 3)), ("Flatten()", (0, 3, 2)),
    ("Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), "
     "nn.Linear(4, 2))", (0, 3, 4, 4)),
]


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("layer,shape", LAYERS)
def test_layer_on_empty_batch(layer, shape, train):
    def f(t):
        t.manual_seed(0)
        m = eval(f"nn.{layer}", {"nn": t.nn})
        m.train(train)
        x = t.zeros(*shape, requires_grad=True)
        y = m(x)
        y.sum().backward()
        grads = [p.grad if p.grad is not None else "no grad" for p in m.parameters()]
        return [y, x.grad] + grads + list(m.buffers())
    assert_same(f)


def test_adaptive_max_pool_indices_on_empty_batch():
    assert_same(lambda t: t.nn.functional.adaptive_max_pool2d(t.zeros(0, 3, 4, 4), 2, return_indices=True))


def test_conv_weight_gradient_of_empty_batch_is_twice_differentiable():
    def f(t):
        x = t.zeros(0, 3, 5, 5, requires_grad=True)
        w = t.ones(2, 3, 3, 3, requires_grad=True)
        g, = t.autograd.grad(t.nn.functional.conv2d(x, w).sum(), w, create_graph=True)
        return g
    assert_same(f)


LOSSES = ["CrossEntropyLoss({r})(x, t.zeros(0, dtype=t.long))",
          "CrossEntropyLoss({r}, label_smoothing=0.1)(x, t.zeros(0, dtype=t.long))",
          "CrossEntropyLoss({r})(x, t.zeros(0, 3))",
          "NLLLoss({r})(x, t.zeros(0, dtype=t.long))",
          "MSELoss({r})(x, t.zeros(0, 3))", "L1Loss({r})(x, t.zeros(0, 3))",
          "BCELoss({r})(x.sigmoid(), t.zeros(0, 3))", "BCEWithLogitsLoss({r})(x, t.zeros(0, 3))",
          "SmoothL1Loss({r})(x, t.zeros(0, 3))", "KLDivLoss({r})(x, t.zeros(0, 3))"]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss", LOSSES)
def test_loss_on_empty_batch(loss, reduction):
    def f(t):
        x = t.zeros(0, 3, requires_grad=True)
        out = eval("t.nn." + loss.format(r=f"reduction='{reduction}'"), {"t": t, "x": x})
        out.sum().backward()
        return out, x.grad
    assert_same(f)
