"""ONNX translations of the spatial transformer ops: ``affine_grid`` (a MatMul with the constant base
grid, any opset) and ``grid_sample`` (ONNX ``GridSample``: 4-D from opset 16, 5-D from opset 20)."""
import numpy as np

from ..ops import spatial_transform as ST
from ._registry import UnsupportedOperatorError, translates

_MODES_20 = {"bilinear": "linear", "nearest": "nearest", "bicubic": "cubic"}


@translates(ST.AffineGridGenerator)
def _affine_grid(g, c):
    spatial, align_corners = c.a(1), c.a(2)
    base = ST.base_grid(spatial, align_corners, np.dtype(c.out_dtype()))       # (P, d + 1)
    theta_t = g.node("Transpose", [c.x(0)], perm=[0, 2, 1])                    # (N, d + 1, d)
    grid = g.node("MatMul", [g.const(base, "base_grid"), theta_t])             # (N, P, d)
    return g.node("Reshape", [grid, g.i64([0, *spatial, len(spatial)])])


@translates(ST.GridSampler2D, ST.GridSampler3D)
def _grid_sample(g, c):
    mode, padding_mode, align_corners = c.a(2), c.a(3), c.a(4)
    if g.opset < 20:
        if c.cls is ST.GridSampler3D:
            raise UnsupportedOperatorError("ember.onnx.export: grid_sample of a 5-D input needs ONNX opset 20 "
                                           f"(GridSample is 4-D only before it); got opset {g.opset}")
        onnx_mode = mode
    else:
        onnx_mode = _MODES_20[mode]
    return g.node("GridSample", [c.x(0), c.x(1)], mode=onnx_mode, padding_mode=padding_mode,
                  align_corners=int(bool(align_corners)))
