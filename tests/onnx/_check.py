"""Export a model with ember.onnx, run the file in ONNX Runtime, compare with ember's eval output."""
import io

import numpy as np
import pytest

import ember

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")


def _flat(obj, out):
    if isinstance(obj, ember.Tensor):
        out.append(obj)
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            _flat(o, out)
    return out


def session(data):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])


def export_bytes(model, args, **kw):
    f = io.BytesIO()
    ember.onnx.export(model, args, f, **kw)
    return f.getvalue()


def check(model, args, run_args=None, dynamic=None, atol=1e-5, rtol=1e-5, **kw):
    """Export ``model`` on ``args``; run the file on ``run_args`` (other sizes along the axes in
    ``dynamic``: {input index: [axes]}) and compare every output with ember's. Returns the model proto."""
    args = args if isinstance(args, tuple) else (args,)
    run_args = args if run_args is None else (run_args if isinstance(run_args, tuple) else (run_args,))
    if hasattr(model, "eval"):
        model.eval()
    names = [f"x{i}" for i in range(len(args))]
    dyn = {names[i]: list(axes) for i, axes in (dynamic or {}).items()}
    data = export_bytes(model, args, input_names=names, dynamic_axes=dyn or None, **kw)
    proto = onnx.load_from_string(data)
    onnx.checker.check_model(proto)
    with ember.no_grad():
        want = _flat(model(*run_args), [])
    got = session(data).run(None, {n: a.numpy() for n, a in zip(names, run_args)})
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == tuple(w.shape)
        assert g.dtype == w.numpy().dtype
        np.testing.assert_allclose(g, w.numpy(), atol=atol, rtol=rtol)
    return proto


def op_types(proto):
    return [n.op_type for n in proto.graph.node]
