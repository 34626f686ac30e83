"""Layers exported to ONNX match ember's eval output in ONNX Runtime, at another batch size too."""
import pytest

import ember
import ember.nn as nn

from ._check import check, op_types


def x4(n=2, c=3, h=9, w=8):
    return ember.randn(n, c, h, w)


def x3(n=2, c=3, length=11):
    return ember.randn(n, c, length)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(groups=3, padding=2, dilation=2),
                                dict(padding="same", dilation=2), dict(padding="same", padding_mode="reflect"),
                                dict(padding=2, padding_mode="replicate"), dict(padding=1, padding_mode="circular"),
                                dict(bias=False, stride=(2, 1), padding=(0, 2)),
                                dict(kernel_size=(4, 2), padding="same")])
def test_conv2d(kw):
    kw = dict(kw)
    k = kw.pop("kernel_size", 3)
    check(nn.Conv2d(3, 6, k, **kw), x4(), x4(5), dynamic={0: [0]})


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(groups=3, dilation=2, padding="same"),
                                dict(padding=2, padding_mode="reflect"), dict(padding=1, padding_mode="circular"),
                                dict(padding=3, padding_mode="replicate", bias=False)])
def test_conv1d(kw):
    check(nn.Conv1d(3, 6, 3, **kw), x3(), x3(4), dynamic={0: [0]})


@pytest.mark.parametrize("kw", [dict(), dict(stride=2), dict(stride=2, padding=1, output_padding=1),
                                dict(groups=3, dilation=2), dict(bias=False, stride=(1, 2))])
def test_conv_transpose2d(kw):
    check(nn.ConvTranspose2d(3, 6, 3, **kw), x4(), x4(4), dynamic={0: [0]})


@pytest.mark.parametrize("kw", [dict(), dict(stride=3, padding=2, output_padding=1), dict(groups=3, bias=False)])
def test_conv_transpose1d(kw):
    check(nn.ConvTranspose1d(3, 6, 4, **kw), x3(), x3(4), dynamic={0: [0]})


def test_max_pool_with_indices_is_refused_with_its_name():
    with pytest.raises(ember.onnx.errors.UnsupportedOperatorError, match=r"return_indices.*\(in model\)"):
        check(nn.MaxPool2d(2, return_indices=True), x4())


@pytest.mark.parametrize("layer", [nn.MaxPool2d(2), nn.MaxPool2d(3, stride=2, padding=1),
                                   nn.MaxPool2d(3, 2, ceil_mode=True),
                                   nn.MaxPool2d(2, dilation=2), nn.AvgPool2d(2), nn.AvgPool2d(3, 2, padding=1),
                                   nn.AvgPool2d(3, 2, padding=1, count_include_pad=False),
                                   nn.AvgPool2d(3, 2, ceil_mode=True), nn.AdaptiveAvgPool2d(1),
                                   nn.AdaptiveAvgPool2d((3, 4)), nn.AdaptiveAvgPool2d((5, 3)),
                                   nn.AdaptiveMaxPool2d((2, 3))], ids=repr)
def test_pool2d(layer):
    check(layer, x4(), x4(3), dynamic={0: [0]})


@pytest.mark.parametrize("layer", [nn.MaxPool1d(2), nn.MaxPool1d(3, 2, padding=1), nn.AvgPool1d(3, 2),
                                   nn.AvgPool1d(2, ceil_mode=True), nn.AdaptiveAvgPool1d(1), nn.AdaptiveAvgPool1d(4)],
                         ids=repr)
def test_pool1d(layer):
    check(layer, x3(), x3(3), dynamic={0: [0]})


def _trained_bn(bn, x):
    bn.train()
    with ember.no_grad():
        bn(x)
    return bn


def test_batchnorm2d_uses_running_statistics():
    check(_trained_bn(nn.BatchNorm2d(3), x4() * 3 + 1), x4(), x4(5), dynamic={0: [0]})


@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 7)])
def test_batchnorm1d(shape):
    bn = _trained_bn(nn.BatchNorm1d(3, affine=False), ember.randn(*shape) * 2 - 1)
    check(bn, ember.randn(*shape), ember.randn(6, *shape[1:]), dynamic={0: [0]})


@pytest.mark.parametrize("make", [lambda: nn.LayerNorm(8), lambda: nn.LayerNorm((9, 8)),
                                  lambda: nn.LayerNorm(8, elementwise_affine=False),
                                  lambda: nn.GroupNorm(1, 3), lambda: nn.GroupNorm(3, 3),
                                  lambda: nn.GroupNorm(3, 6, affine=False), lambda: nn.InstanceNorm2d(3, affine=True)])
def test_normalization(make):
    layer = make()
    c = 6 if getattr(layer, "num_channels", 3) == 6 else 3
    for p in layer.parameters():       # not the init values (ones and zeros)
        with ember.no_grad():
            p.copy_(ember.randn(*p.shape))
    check(layer, x4(c=c), x4(4, c=c), dynamic={0: [0]})


def test_batchnorm_without_running_statistics_uses_the_batch():
    bn = nn.BatchNorm2d(3, track_running_stats=False)
    with ember.no_grad():
        bn.weight.copy_(ember.randn(3))
    check(bn, x4() * 2 + 1, x4(5) - 1, dynamic={0: [0]})


@pytest.mark.parametrize("layer", [nn.ZeroPad2d((1, 2, 0, 3)), nn.ConstantPad2d(2, -1.5),
                                   nn.ReflectionPad2d((2, 1, 1, 0)),
                                   nn.ReplicationPad2d(2), nn.CircularPad2d(1), nn.ConstantPad1d((0, 3), 2.0),
                                   nn.Identity(), nn.Unflatten(1, (3, 1))], ids=repr)
def test_padding_and_identity_layers(layer):
    x = x3() if isinstance(layer, (nn.ConstantPad1d, nn.Unflatten)) else x4()
    x2 = x3(4) if isinstance(layer, (nn.ConstantPad1d, nn.Unflatten)) else x4(4)
    check(layer, x, x2, dynamic={0: [0]})


def test_dropout_in_eval_is_identity():
    model = nn.Sequential(nn.Linear(4, 6), nn.Dropout(0.5), nn.ReLU(), nn.Dropout1d(0.2), nn.AlphaDropout(0.3))
    check(model, ember.randn(3, 4), ember.randn(7, 4), dynamic={0: [0]})


def test_linear_on_3d_input_and_without_bias():
    model = nn.Sequential(nn.Linear(4, 6), nn.Linear(6, 2, bias=False))
    check(model, ember.randn(2, 5, 4), ember.randn(3, 5, 4), dynamic={0: [0]})


def test_linear_writes_gemm_and_names_parameters():
    proto = check(nn.Sequential(nn.Flatten(), nn.Linear(12, 3)), ember.randn(2, 3, 4), ember.randn(5, 3, 4),
                  dynamic={0: [0]})
    assert "Gemm" in op_types(proto)
    assert {"1.weight", "1.bias"} <= {i.name for i in proto.graph.initializer}


def test_embedding_with_dynamic_batch_and_length():
    model = nn.Sequential(nn.Embedding(10, 4, padding_idx=0), nn.Flatten(), nn.Linear(12, 2))
    idx = ember.tensor([[1, 2, 3], [0, 9, 4]])
    check(model, idx, ember.tensor([[5, 6, 7], [1, 1, 1], [9, 0, 2]]), dynamic={0: [0]})
    check(nn.Embedding(10, 4), idx, ember.tensor([[5, 6, 7, 8, 2]]), dynamic={0: [0, 1]})


@pytest.mark.parametrize("kw", [dict(scale_factor=2), dict(scale_factor=2, mode="bilinear"),
                                dict(size=(5, 13), mode="bilinear", align_corners=True),
                                dict(size=(4, 3), mode="area"),
                                dict(scale_factor=1.5, mode="bicubic"),
                                dict(size=(7, 9), mode="nearest-exact")], ids=str)
def test_upsample(kw):
    check(nn.Upsample(**kw), x4(), x4(3), dynamic={0: [0]})


def test_upsample_1d():
    check(nn.Upsample(scale_factor=3, mode="linear"), x3(), x3(4), dynamic={0: [0]})


def test_embedding_with_max_norm_is_refused():
    with pytest.raises(ember.onnx.errors.UnsupportedOperatorError, match="max_norm"):
        check(nn.Embedding(10, 4, max_norm=1.0), ember.tensor([[1, 2]]))


def test_pools_over_dynamic_spatial_axes():
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding="same"), nn.MaxPool2d(3, 2, ceil_mode=True),
                          nn.AvgPool2d(2, ceil_mode=True), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    check(model, x4(2, 3, 12, 12), x4(3, 3, 17, 9), dynamic={0: [0, 2, 3]})
    with pytest.raises(ember.onnx.errors.UnsupportedOperatorError, match="bins are fixed"):
        check(nn.AdaptiveAvgPool2d(3), x4(2, 3, 12, 12), dynamic={0: [0, 2, 3]})
