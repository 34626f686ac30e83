"""ember.onnx.export's signature and options, as torch.onnx.export; errors for what is not supported."""
import io
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ember
import ember.nn as nn

from ._check import check, export_bytes, onnx, session

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def mlp():
    return nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Linear(8, 3)).eval()


def test_signature_follows_torch():
    import inspect
    torch = pytest.importorskip("torch")
    ours = inspect.signature(ember.onnx.export).parameters
    theirs = inspect.signature(torch.onnx.export).parameters
    assert list(ours) == list(theirs)
    for name in ("export_params", "do_constant_folding", "input_names", "dynamic_axes", "opset_version",
                 "keep_initializers_as_inputs", "autograd_inlining"):
        assert ours[name].default == theirs[name].default


def test_default_opset_is_torch_default():
    torch = pytest.importorskip("torch")
    from torch.onnx import _constants
    proto = onnx.load_from_string(export_bytes(mlp(), (ember.randn(2, 4),)))
    assert ember.onnx.DEFAULT_OPSET == _constants.ONNX_DEFAULT_OPSET
    assert [o.version for o in proto.opset_import if o.domain == ""] == [_constants.ONNX_DEFAULT_OPSET]


@pytest.mark.parametrize("opset", [18, 19, 20])
def test_supported_opsets(opset):
    model = nn.Sequential(nn.Conv1d(2, 3, 3, padding=1, padding_mode="circular" if opset >= 19 else "zeros"),
                          nn.GELU(), nn.GELU("tanh"))
    proto = check(model, ember.randn(2, 2, 6), opset_version=opset)
    assert proto.opset_import[0].version == opset


@pytest.mark.parametrize("opset", [17, 21, "20"])
def test_other_opsets_are_refused(opset):
    with pytest.raises(ValueError, match="opset_version"):
        export_bytes(mlp(), (ember.randn(2, 4),), opset_version=opset)


def test_writes_to_a_path_and_to_a_file_object(tmp_path):
    model, x = mlp(), ember.randn(2, 4)
    ember.onnx.export(model, (x,), str(tmp_path / "m.onnx"))
    ember.onnx.export(model, x, tmp_path / "p.onnx")                 # a single tensor, a PathLike
    buf = io.BytesIO()
    ember.onnx.export(model, (x,), buf)
    with open(tmp_path / "m.onnx", "rb") as f:
        data = f.read()
    assert data == buf.getvalue() == (tmp_path / "p.onnx").read_bytes()
    np.testing.assert_allclose(session(data).run(None, {"input": x.numpy()})[0], model(x).detach().numpy(),
                               atol=1e-5)


def test_names_and_dynamic_axes_in_the_graph():
    data = export_bytes(mlp(), (ember.randn(2, 4),), input_names=["features"], output_names=["logits"],
                        dynamic_axes={"features": {0: "batch"}, "logits": [0]})
    g = onnx.load_from_string(data).graph
    assert [i.name for i in g.input] == ["features"] and [o.name for o in g.output] == ["logits"]
    assert g.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert g.input[0].type.tensor_type.shape.dim[1].dim_value == 4
    assert g.output[0].type.tensor_type.shape.dim[0].dim_param == "logits_dynamic_axes_1"
    assert session(data).run(None, {"features": np.zeros((9, 4), np.float32)})[0].shape == (9, 3)


def test_without_dynamic_axes_the_shapes_are_static():
    g = onnx.load_from_string(export_bytes(mlp(), (ember.randn(2, 4),))).graph
    assert [d.dim_value for d in g.input[0].type.tensor_type.shape.dim] == [2, 4]


def test_default_input_names_are_the_forward_parameters():
    class Two(nn.Module):
        def forward(self, image, mask):
            return image * mask
    g = onnx.load_from_string(export_bytes(Two(), (ember.randn(2), ember.randn(2)))).graph
    assert [i.name for i in g.input] == ["image", "mask"] and [o.name for o in g.output] == ["output"]


@pytest.mark.parametrize("kw,err", [(dict(input_names=["a", "b"]), "input_names"),
                                    (dict(output_names=["a", "b"]), "output_names"),
                                    (dict(dynamic_axes={"nope": [0]}), "dynamic_axes"),
                                    (dict(dynamic_axes={"input": [3]}), "axis 3")])
def test_bad_names_are_refused(kw, err):
    with pytest.raises(ValueError, match=err):
        export_bytes(mlp(), (ember.randn(2, 4),), **kw)


@pytest.mark.parametrize("kw,err", [(dict(export_params=False), "export_params"),
                                    (dict(keep_initializers_as_inputs=True), "keep_initializers_as_inputs"),
                                    (dict(training=ember.onnx.TrainingMode.TRAINING), "TRAINING"),
                                    (dict(operator_export_type=ember.onnx.OperatorExportTypes.ONNX_ATEN),
                                     "operator_export_type"),
                                    (dict(custom_opsets={"x": 1}), "custom_opsets"),
                                    (dict(export_modules_as_functions=True), "export_modules_as_functions"),
                                    (dict(autograd_inlining=False), "autograd_inlining"),
                                    (dict(dynamic_shapes={"x": {0: "b"}}), "dynamic_axes"),
                                    (dict(verify=True), "verify"), (dict(report=True), "report")])
def test_unsupported_options_are_refused(kw, err):
    with pytest.raises(NotImplementedError, match=err):
        export_bytes(mlp(), (ember.randn(2, 4),), **kw)


def test_preserve_of_a_training_model_is_refused():
    with pytest.raises(NotImplementedError, match="PRESERVE"):
        export_bytes(mlp().train(), (ember.randn(2, 4),), training=ember.onnx.TrainingMode.PRESERVE)


def test_f_is_required():
    with pytest.raises(TypeError, match="f "):
        ember.onnx.export(mlp(), (ember.randn(2, 4),))


@pytest.mark.parametrize("kw", [dict(dynamo=False), dict(dynamo=True), dict(do_constant_folding=False),
                                dict(training=ember.onnx.TrainingMode.PRESERVE), dict(optimize=False)], ids=str)
def test_accepted_options_give_a_working_model(kw):
    check(nn.Sequential(nn.Linear(4, 8), nn.ReLU()), ember.randn(2, 4), ember.randn(5, 4), dynamic={0: [0]}, **kw)


def test_constant_folding_folds_ops_on_parameters_only():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(ember.randn(4, 3))

        def forward(self, x):
            return x @ (self.w * 2).t().t()
    folded = check(M(), ember.randn(2, 4))
    plain = check(M(), ember.randn(2, 4), do_constant_folding=False)
    assert len(folded.graph.node) < len(plain.graph.node)


def test_a_training_model_is_exported_in_eval_mode_and_stays_in_training():
    model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.Dropout(0.5)).train()
    with ember.no_grad():
        model(ember.randn(8, 4))
    data = export_bytes(model, (ember.randn(2, 4),))
    assert model.training and model[1].training
    model.eval()
    x = ember.randn(3, 4)
    np.testing.assert_allclose(session(data).run(None, {"input": x[:2].numpy()})[0], model(x[:2]).detach().numpy(),
                               atol=1e-5)


def test_is_in_onnx_export_and_keyword_arguments():
    seen = []

    class M(nn.Module):
        def forward(self, x, scale=1.0, shift=None):
            seen.append(ember.onnx.is_in_onnx_export())
            return x * scale + shift
    data = export_bytes(M(), (ember.randn(2, 3), 2.0, {"shift": ember.ones(3)}))   # a trailing dict: keywords
    assert seen and all(seen) and not ember.onnx.is_in_onnx_export()
    out = session(data).run(None, {"x": np.ones((2, 3), np.float32), "shift": np.ones(3, np.float32)})[0]
    np.testing.assert_array_equal(out, np.full((2, 3), 3, np.float32))


def test_kwargs_tensors_become_inputs():
    class M(nn.Module):
        def forward(self, x, shift=None):
            return x + shift
    data = export_bytes(M(), (ember.randn(2, 3),), kwargs={"shift": ember.ones(3)})
    g = onnx.load_from_string(data).graph
    assert [i.name for i in g.input] == ["x", "shift"]
    out = session(data).run(None, {"x": np.ones((2, 3), np.float32), "shift": np.full(3, 2, np.float32)})[0]
    np.testing.assert_array_equal(out, np.full((2, 3), 3, np.float32))


def test_verbose_prints_the_graph(capsys):
    export_bytes(mlp(), (ember.randn(2, 4),), verbose=True)
    assert "Gemm" in capsys.readouterr().out


def test_custom_autograd_function_is_inlined():
    class Twice(ember.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2 + x.exp()

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class M(nn.Module):
        def forward(self, x):
            return Twice.apply(x).relu()
    check(M(), ember.randn(3, 4), ember.randn(5, 4), dynamic={0: [0]})


# -- errors ----------------------------------------------------------------------------------------------------
class Block(nn.Module):
    def forward(self, x):
        return ember.roll(x, 1, 1)


def test_an_unsupported_op_is_named_with_its_module_path():
    model = nn.Sequential(nn.Linear(3, 3), nn.Sequential(nn.ReLU(), Block()))
    with pytest.raises(ember.onnx.UnsupportedOperatorError) as e:
        export_bytes(model, (ember.randn(2, 3),))
    msg = str(e.value)
    assert msg.startswith("ember.onnx.export: no ONNX translation for op 'roll'")
    assert "(in model.1.1)" in msg


def test_values_that_bypass_the_ops_are_refused():
    class M(nn.Module):
        def forward(self, x):
            return x + ember.tensor(x.numpy() * 2)
    with pytest.raises(ember.onnx.UnsupportedOperatorError, match="outside ember's ops"):
        export_bytes(M(), (ember.randn(2, 3),))


def test_data_dependent_control_flow_is_refused():
    class M(nn.Module):
        def forward(self, x):
            return x.exp() if x.sum() > 1.0 else x.relu().sigmoid()
    x = ember.full((2, 3), 0.1)                 # the second trace (other values) takes the other branch
    with pytest.raises(ember.onnx.UnsupportedOperatorError, match="different ops"):
        export_bytes(M(), (x,))


def test_missing_onnx_package_names_the_extra():
    code = textwrap.dedent("""
        import sys
        sys.modules["onnx"] = None
        import ember
        try:
            ember.onnx.export(ember.nn.Linear(2, 2), (ember.randn(1, 2),), "x.onnx")
        except ImportError as e:
            print(e)
    """)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert "pip install ember[onnx]" in out.stdout, out.stderr


def test_torch_onnx_through_ember_run(tmp_path):
    script = tmp_path / "export.py"
    script.write_text(textwrap.dedent("""
        import torch
        import torch.nn as nn
        import torch.onnx
        model = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
        torch.onnx.export(model, (torch.randn(1, 3),), "m.onnx", input_names=["x"],
                          dynamic_axes={"x": {0: "batch"}})
        import ember.onnx
        assert torch.onnx is ember.onnx
        print("exported")
    """))
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-m", "ember.cli.main", "run", str(script)], capture_output=True,
                         text=True, env=env, cwd=str(tmp_path), timeout=120)
    assert out.returncode == 0 and "exported" in out.stdout, out.stderr
    assert session(str(tmp_path / "m.onnx")).run(None, {"x": np.zeros((4, 3), np.float32)})[0].shape == (4, 2)


def test_in_place_writes_are_followed():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(2, 3, 3)
            self.act = nn.ReLU(inplace=True)

        def forward(self, x):
            y = self.act(self.conv(x))
            y += 1
            y.mul_(x.mean())
            z = y.flatten(1)
            z.clamp_(max=1.5)
            return z.sigmoid()
    check(M(), ember.randn(2, 2, 5, 5), ember.randn(4, 2, 5, 5), dynamic={0: [0]})


def test_a_view_changed_by_an_in_place_write_is_refused():
    class M(nn.Module):
        def forward(self, x):
            y = x * 2
            v = y[0]
            y.relu_()
            return v + 1
    with pytest.raises(ember.onnx.UnsupportedOperatorError, match="in-place write"):
        export_bytes(M(), (ember.randn(2, 3),))


def test_errors_and_mode_helpers_as_torch():
    torch = pytest.importorskip("torch")
    assert issubclass(ember.onnx.errors.UnsupportedOperatorError, ember.onnx.OnnxExporterError)
    assert issubclass(ember.onnx.OnnxExporterError, RuntimeError)
    for ours, theirs in [(ember.onnx.TrainingMode, torch.onnx.TrainingMode),
                         (ember.onnx.OperatorExportTypes, torch.onnx.OperatorExportTypes)]:
        assert {k: int(v) for k, v in ours.__members__.items()} == {k: int(v) for k, v in theirs.__members__.items()}
    model = mlp().train()
    with ember.onnx.select_model_mode_for_export(model, ember.onnx.TrainingMode.EVAL):
        assert not model.training
    assert model.training
    with ember.onnx.select_model_mode_for_export(model.eval(), ember.onnx.TrainingMode.TRAINING):
        assert model.training
    assert not model.training


def test_a_compiled_module_exports_its_module():
    model = mlp()
    compiled = ember.compile(model)
    x = ember.randn(3, 4)
    compiled(x)                                   # recorded: later calls replay without ops
    data = export_bytes(compiled, (x,), input_names=["x"], dynamic_axes={"x": [0]})
    np.testing.assert_allclose(session(data).run(None, {"x": x.numpy()})[0], model(x).detach().numpy(), atol=1e-5)


def test_values_frozen_inside_a_layer_name_the_layer():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = nn.Linear(4, 4)

        def forward(self, x):
            return self.head(x).sort(1)[0]
    with pytest.raises(ember.onnx.errors.UnsupportedOperatorError, match=r"sort.*\(at op '.*' in model\)"):
        export_bytes(M(), (ember.randn(3, 4),))


def test_a_parameter_named_like_an_input_keeps_them_apart():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.x = nn.Parameter(ember.ones(3) * 2)

        def forward(self, x):
            return x * self.x
    data = export_bytes(M(), (ember.randn(2, 3),))
    out = session(data).run(None, {"x": np.ones((2, 3), np.float32)})[0]
    np.testing.assert_array_equal(out, np.full((2, 3), 2, np.float32))


def test_nothing_stays_patched_after_an_export_or_a_failed_one():
    before = (ember.Tensor.__dict__["__getitem__"], ember.Tensor.__dict__["__gt__"], ember.arange, ember.gt,
              ember.autograd.Function.__dict__["apply"], ember.autograd.function.Op.__dict__.get("apply"))
    model, failing = mlp(), nn.Sequential(Block())
    export_bytes(model, (ember.randn(2, 4),))
    with pytest.raises(ember.onnx.errors.UnsupportedOperatorError):
        export_bytes(failing, (ember.randn(2, 3),))
    after = (ember.Tensor.__dict__["__getitem__"], ember.Tensor.__dict__["__gt__"], ember.arange, ember.gt,
             ember.autograd.Function.__dict__["apply"], ember.autograd.function.Op.__dict__.get("apply"))
    assert all(a is b for a, b in zip(before, after))
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in list(model.modules()) + list(failing.modules()))


def test_integer_values_that_bypass_the_ops_are_refused():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(10, 3)

        def forward(self, ids):
            return self.emb(ember.tensor(ids.tolist()))
    with pytest.raises(ember.onnx.errors.UnsupportedOperatorError, match="outside ember's ops"):
        export_bytes(M(), (ember.tensor([[1, 2, 3]]),))


def test_a_module_compiled_in_place_is_traced_and_stays_compiled():
    import warnings
    model = mlp()
    model.compile()
    x = ember.randn(3, 4)
    model(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")             # no graph-break warning: export does not record into it
        data = export_bytes(model, (x,), input_names=["x"], dynamic_axes={"x": [0]})
        model(x)
    np.testing.assert_allclose(session(data).run(None, {"x": x.numpy()})[0], model(x).detach().numpy(), atol=1e-5)
    assert not ember.compiler.is_compiling()
