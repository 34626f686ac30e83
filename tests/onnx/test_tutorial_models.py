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


def test_cifar10_cnn_file_computes_what_pytorchs_own_export_computes():
    """The same weights in PyTorch's network, exported by torch.onnx (TorchScript exporter): both
    files give the same numbers in ONNX Runtime, and use the same default opset."""
    import io
    import warnings

    import numpy as np
    torch = pytest.importorskip("torch")
    from ._check import export_bytes, onnx, session
    tn = torch.nn
    net = tn.Sequential(tn.Conv2d(3, 32, 5, padding=2), tn.MaxPool2d(2), tn.Conv2d(32, 32, 5, padding=2),
                        tn.MaxPool2d(2), tn.Conv2d(32, 64, 5, padding=2), tn.MaxPool2d(2), tn.Flatten(),
                        tn.Linear(1024, 64), tn.Linear(64, 10)).eval()
    ours = cifar10_net().eval()
    net.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
    theirs = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.zeros(1, 3, 32, 32),), theirs, dynamo=False, input_names=["x"],
                          dynamic_axes={"x": [0]})
    mine = export_bytes(ours, (ember.zeros(1, 3, 32, 32),), input_names=["x"], dynamic_axes={"x": [0]})
    x = np.random.rand(3, 3, 32, 32).astype(np.float32)
    np.testing.assert_allclose(session(mine).run(None, {"x": x})[0], session(theirs.getvalue()).run(None, {"x": x})[0],
                               atol=1e-5, rtol=1e-5)
    assert onnx.load_from_string(mine).opset_import[0].version == \
        onnx.load_from_string(theirs.getvalue()).opset_import[0].version
