"""affine_grid and grid_sample exported to ONNX match ember's output in ONNX Runtime."""
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F

from ._check import check, op_types


class STN(nn.Module):
    """The spatial transformer tutorial's sampling step: theta from a linear map, then resample."""

    def __init__(self, mode="bilinear", padding_mode="zeros", align_corners=False):
        super().__init__()
        self.loc = nn.Linear(64, 6)
        self.kw = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)

    def forward(self, x):
        theta = self.loc(x.flatten(1)).view(-1, 2, 3)
        grid = F.affine_grid(theta, x.size(), align_corners=self.kw["align_corners"])
        return F.grid_sample(x, grid, **self.kw)


@pytest.mark.parametrize("kw", [dict(), dict(align_corners=True), dict(mode="nearest", padding_mode="border"),
                                dict(mode="bicubic", padding_mode="reflection")])
@pytest.mark.parametrize("opset", [18, 20])
def test_stn_exports(kw, opset):
    ember.manual_seed(0)
    proto = check(STN(**kw), ember.randn(3, 1, 8, 8), ember.randn(5, 1, 8, 8), dynamic={0: [0]},
                  opset_version=opset, atol=1e-4)
    assert "GridSample" in op_types(proto)


def test_grid_sample_5d_needs_opset_20():
    x, g = ember.randn(1, 2, 3, 4, 5), ember.rand(1, 2, 2, 2, 3) * 2 - 1
    check(lambda a, b: F.grid_sample(a, b, align_corners=False), (x, g), opset_version=20)
    with pytest.raises(Exception, match="opset 20"):
        check(lambda a, b: F.grid_sample(a, b, align_corners=False), (x, g), opset_version=18)
