"""torch.jit on ember: pass-throughs (ember runs eagerly) and clear NotImplementedErrors, also under ember run."""
import os
import subprocess
import sys
import textwrap
import typing

import numpy as np
import pytest
import torch

import ember
from ember import jit, nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Net(nn.Module):
    scale: jit.Final[float]

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.scale = 2.0
        self.tag = jit.Attribute(5, int)

    @jit.export
    def double(self, x):
        return x * self.scale

    @jit.ignore
    def debug(self):
        return "debug"

    @jit.unused
    def unused_path(self):
        return "unused"

    def forward(self, x):
        if jit.is_scripting() or jit.is_tracing():
            raise AssertionError("ember never scripts or traces")
        return self.double(self.fc(x))


def test_script_and_trace_return_the_object_and_it_runs_eagerly():
    net = Net()
    x = ember.randn(4, 3)
    assert jit.script(net) is net
    assert jit.trace(net, x) is net
    assert jit.trace(net, (x,)) is net
    assert jit.trace(net, example_kwarg_inputs={"x": x}) is net
    assert jit.trace_module(net, {"forward": x, "double": x}) is net
    f = jit.script(lambda t: t + 1)
    np.testing.assert_array_equal(f(ember.zeros(2)).numpy(), [1.0, 1.0])
    assert net.tag == 5 and net.debug() == "debug" and net.unused_path() == "unused"
    assert jit.annotate(typing.List[int], [1]) == [1]
    assert jit.wait(jit.fork(lambda a, b: a + b, 2, b=3)) == 5
    assert jit.ignore(drop=True)(len) is len
    assert jit.script_method(len) is len


def test_trace_runs_the_function_once_so_errors_surface():
    calls = []

    def f(x):
        calls.append(x.shape)
        return x @ ember.ones(3, 1)

    jit.trace(f, ember.ones(2, 3))
    assert calls == [ember.Size([2, 3])]
    with pytest.raises(RuntimeError):
        jit.trace(f, ember.ones(2, 4))           # the mismatch surfaces at trace time, as tracing does
    with pytest.raises(RuntimeError, match="example_inputs"):
        jit.trace(f)


def test_is_scripting_is_tracing_final_match_torch_outside_scripting():
    assert jit.is_scripting() is torch.jit.is_scripting() is False
    assert jit.is_tracing() is torch.jit.is_tracing() is False
    assert jit.Final is torch.jit.Final


@pytest.mark.parametrize("call", [lambda: jit.save(Net(), "m.pt"), lambda: jit.load("m.pt"),
                                  lambda: jit.freeze(Net()), lambda: jit.optimize_for_inference(Net())])
def test_torchscript_only_functions_raise_and_point_to_alternatives(call):
    with pytest.raises(NotImplementedError, match=r"no TorchScript.*ember\.save.*ember\.onnx\.export"):
        call()


def test_import_torch_jit_under_ember_run(tmp_path):
    script = tmp_path / "stn.py"
    script.write_text(textwrap.dedent("""
        import torch
        import torch.jit
        from torch.jit import script, trace
        net = torch.nn.Linear(2, 2)
        assert script(net) is net and torch.jit.trace(net, torch.randn(1, 2)) is net
        assert not torch.jit.is_scripting()
        try:
            torch.jit.save(net, "x.pt")
        except NotImplementedError as e:
            print("refused:", "ember.save" in str(e))
        print(torch.jit.__name__)
    """))
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-m", "ember", "run", str(script)], capture_output=True, text=True,
                          env=env, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["refused:", "True", "ember.jit"]


def test_script_module_subclass_is_an_ordinary_module():
    class Old(jit.ScriptModule):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 1)

        @jit.script_method
        def forward(self, x):
            return self.fc(x)

    m = Old()
    assert m(ember.ones(3, 2)).shape == (3, 1) and len(list(m.parameters())) == 2
    assert not isinstance(nn.Linear(1, 1), jit.ScriptModule)
