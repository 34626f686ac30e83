"""The tutorials' two models exported and matched in ONNX Runtime, with a dynamic batch axis."""
import pytest

import ember
from ember.cli.cifar10 import cifar10_net
from ember.cli.phone_price import PhonePriceMLP

from ._check import check, op_types


def test_cifar10_cnn():
    proto = check(cifar10_net(), ember.rand(1, 3, 32, 32), ember.rand(4, 3, 32, 32), dynamic={0: [0]})
    assert op_types(proto).count("Conv") == 3 and op_types(proto).count("MaxPool") == 3


@pytest.mark.parametrize("kw", [dict(), dict(batchnorm=True, dropout=0.3)], ids=str)
def test_phone_price_mlp(kw):
    model = PhonePriceMLP(**kw)
    if kw.get("batchnorm"):
        model.train()
        with ember.no_grad():
            model(ember.randn(64, 20) * 2 + 1)      # running statistics that are not the initial ones
    check(model, ember.randn(2, 20), ember.randn(9, 20), dynamic={0: [0]})
