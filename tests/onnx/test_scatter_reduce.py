"""scatter_reduce exported as ONNX ScatterElements with a reduction, run in ONNX Runtime and compared
with PyTorch's numbers (and ember's): every reduce, include_self both ways, repeated indices, a src larger
than the index, dynamic sizes, opsets 18 to 20; integer means refused at export time."""
import numpy as np
import pytest
import torch

import ember
import ember.nn as nn

from ._check import check, export_bytes, op_types, session

REDUCES = ["sum", "prod", "mean", "amax", "amin"]
IDX = np.array([[0, 0, 3], [2, 2, 2], [1, 0, 1]])            # repeats within a row: the reduction matters


class ScatterReduce(nn.Module):
    def __init__(self, dim, index, reduce, include_self):
        super().__init__()
        self.dim, self.index, self.reduce, self.include_self = dim, index, reduce, include_self

    def forward(self, x, src):
        lib = torch if isinstance(x, torch.Tensor) else ember
        return x.scatter_reduce(self.dim, lib.tensor(self.index), src * 2, self.reduce, include_self=self.include_self)


def _inputs(dtype=np.float32, src_shape=(3, 3), seed=0):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal((3, 4)).astype(dtype), rng.standard_normal(src_shape).astype(dtype)
    return rng.integers(-5, 6, (3, 4)).astype(dtype), rng.integers(-5, 6, src_shape).astype(dtype)


def _vs_torch(model, arrays, dynamic=None, run_arrays=None, opset=None, atol=1e-5):
    args = tuple(ember.tensor(a) for a in arrays)
    run_arrays = arrays if run_arrays is None else run_arrays
    kw = {} if opset is None else {"opset_version": opset}
    proto = check(model, args, tuple(ember.tensor(a) for a in run_arrays), dynamic=dynamic, **kw)
    got = session(proto.SerializeToString()).run(None, {f"x{i}": a for i, a in enumerate(run_arrays)})[0]
    want = model(*(torch.tensor(a) for a in run_arrays)).numpy()
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, atol=atol, rtol=1e-5)
    return proto


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", REDUCES)
def test_scatter_reduce_in_onnx_runtime_matches_torch(reduce, include_self):
    proto = _vs_torch(ScatterReduce(1, IDX, reduce, include_self), _inputs())
    assert "ScatterElements" in op_types(proto)


@pytest.mark.parametrize("reduce", ["sum", "prod", "amax", "amin"])
def test_integer_scatter_reduce(reduce):
    _vs_torch(ScatterReduce(0, IDX % 3, reduce, False), _inputs(np.int64))


@pytest.mark.parametrize("reduce", REDUCES)
def test_src_larger_than_index_and_dim_0(reduce):
    _vs_torch(ScatterReduce(0, IDX[:2] % 3, reduce, True), _inputs(src_shape=(4, 5)))


@pytest.mark.parametrize("opset", [18, 19, 20])
def test_every_supported_opset(opset):
    proto = _vs_torch(ScatterReduce(1, IDX, "amax", False), _inputs(), opset=opset)
    assert proto.opset_import[0].version == opset


def test_dynamic_src_size():
    # the batch of rows follows the dynamic axis 0 of both inputs; the index is fixed per row count
    class Dyn(nn.Module):
        def forward(self, x, src):
            lib = torch if isinstance(x, torch.Tensor) else ember
            idx = lib.zeros(src.shape, dtype=lib.int64)       # every value into column 0
            return x.scatter_reduce(1, idx, src, "mean", include_self=False)
    small, big = _inputs(src_shape=(3, 2)), _inputs(src_shape=(3, 2), seed=1)
    big = (np.concatenate([big[0], big[0]]), np.concatenate([big[1], big[1]]))
    _vs_torch(Dyn(), small, dynamic={0: [0], 1: [0]}, run_arrays=big)


@pytest.mark.filterwarnings("ignore:index_reduce")
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
def test_index_reduce(reduce):
    class IndexReduce(nn.Module):
        def forward(self, x, src):
            lib = torch if isinstance(x, torch.Tensor) else ember
            return x.index_reduce(0, lib.tensor([2, 0, 2]), src, reduce, include_self=False)
    _vs_torch(IndexReduce(), _inputs(src_shape=(3, 4)))


def test_integer_mean_is_refused_at_export_with_the_reason():
    x, s = (ember.tensor(a) for a in _inputs(np.int64))
    with pytest.raises(ember.onnx.UnsupportedOperatorError, match=r"reduce='mean'.*int64.*floors"):
        export_bytes(ScatterReduce(1, IDX, "mean", True), (x, s))
