"""``number - x`` (ember's ``Rsub`` op, PyTorch's ``RsubBackward1``) and ``number / x`` (reciprocal
times the number) export to ONNX and run in onnxruntime with ember's numbers."""
import io

import numpy as np
import pytest

import ember

ort = pytest.importorskip("onnxruntime")


class _Reversed(ember.nn.Module):
    def forward(self, x):
        return (1 - x) * (3 / x) + ember.rsub(x, 2.0)


def test_rsub_and_number_over_tensor_export():
    m = _Reversed()
    x = ember.rand(2, 3) + 0.5
    f = io.BytesIO()
    ember.onnx.export(m, (x,), f)
    session = ort.InferenceSession(f.getvalue())
    out = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    np.testing.assert_allclose(out, m(x).numpy(), rtol=1e-6)
