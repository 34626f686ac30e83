"""Process-wide switches: determinism, default device/tensor type, anomaly, warn-always, typename."""
import warnings

import pytest
import torch

import ember


@pytest.fixture(autouse=True)
def _restore():
    yield
    for m in (torch, ember):
        m.use_deterministic_algorithms(False)
        m.set_warn_always(False)
        m.set_anomaly_enabled(False)
    ember.set_default_dtype(ember.float32)
    torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("steps", [
    [("use", True, False)], [("use", True, True)], [("use", False, False)], [("mode", "warn")],
    [("mode", "error")], [("mode", 1)], [("mode", 2)], [("mode", 2), ("mode", "default")]])
def test_determinism_flags_match_torch(steps):
    for m in (torch, ember):
        for step in steps:
            if step[0] == "use":
                m.use_deterministic_algorithms(step[1], warn_only=step[2])
            else:
                m.set_deterministic_debug_mode(step[1])
    for q in ("are_deterministic_algorithms_enabled", "is_deterministic_algorithms_warn_only_enabled",
              "get_deterministic_debug_mode"):
        assert getattr(ember, q)() == getattr(torch, q)(), q


@pytest.mark.parametrize("bad,error", [("x", RuntimeError), (3, RuntimeError), (1.0, TypeError)])
def test_bad_debug_modes_raise_like_torch(bad, error):
    with pytest.raises(error):
        torch.set_deterministic_debug_mode(bad)
    with pytest.raises(error):
        ember.set_deterministic_debug_mode(bad)


def test_use_deterministic_algorithms_needs_a_bool():
    with pytest.raises(TypeError):
        torch.use_deterministic_algorithms("yes")
    with pytest.raises(TypeError):
        ember.use_deterministic_algorithms("yes")


def test_default_device_is_the_cpu_and_accelerators_raise():
    ember.set_default_device("cpu")
    ember.set_default_device(ember.device("cpu"))
    ember.set_default_device(None)
    assert ember.get_default_device() == ember.device("cpu")
    assert str(ember.get_default_device()) == str(torch.get_default_device()) == "cpu"
    for dev in ("cuda", "cuda:0", "mps"):
        with pytest.raises(RuntimeError, match="CPU only"):
            ember.set_default_device(dev)


def test_set_default_tensor_type_warns_and_sets_the_float_dtype():
    for name in ("torch.DoubleTensor", ember.DoubleTensor):
        with pytest.warns(UserWarning, match="deprecated"):
            ember.set_default_tensor_type(name)
        assert ember.get_default_dtype() == ember.float64 and ember.zeros(1).dtype == ember.float64
        with pytest.warns(UserWarning):
            ember.set_default_tensor_type(ember.FloatTensor)
        assert ember.zeros(1).dtype == ember.float32


@pytest.mark.parametrize("arg", ["LongTensor", "torch.Foo", "float64"])
def test_set_default_tensor_type_rejects_what_torch_rejects(arg):
    t_arg = getattr(torch, arg) if arg == "LongTensor" else torch.float64 if arg == "float64" else arg
    e_arg = getattr(ember, arg) if arg == "LongTensor" else ember.float64 if arg == "float64" else arg
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as te:
            torch.set_default_tensor_type(t_arg)
        with pytest.raises(type(te.value)):
            ember.set_default_tensor_type(e_arg)
    assert ember.get_default_dtype() == ember.float32


def test_legacy_tensor_types_construct_and_check_dtype():
    for name in ("FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ByteTensor", "BoolTensor"):
        e, t = getattr(ember, name)([1, 0]), getattr(torch, name)([1, 0])
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        assert isinstance(e, getattr(ember, name))
    assert not isinstance(ember.ones(2, dtype=ember.float64), ember.FloatTensor)
    assert tuple(ember.FloatTensor().shape) == tuple(torch.FloatTensor().shape) == (0,)
    assert tuple(ember.FloatTensor(2, 3).shape) == (2, 3)


def test_inference_mode_query():
    assert ember.is_inference_mode_enabled() is False
    with ember.inference_mode():
        assert ember.is_inference_mode_enabled() is True
        with ember.inference_mode(False):
            assert ember.is_inference_mode_enabled() is False
        assert ember.is_inference_mode_enabled() is True
    with ember.no_grad():
        assert ember.is_inference_mode_enabled() is False
    assert ember.is_inference_mode_enabled() is False


def test_anomaly_switches_match_torch():
    for m in (torch, ember):
        assert m.is_anomaly_enabled() is False and m.is_anomaly_check_nan_enabled() is True
        m.set_anomaly_enabled(True)
        assert m.is_anomaly_enabled() is True
        m.set_anomaly_enabled(True, False)
        assert m.is_anomaly_check_nan_enabled() is False
        m.set_anomaly_enabled(False)
    with pytest.warns(UserWarning):
        with ember.autograd.detect_anomaly():
            assert ember.is_anomaly_enabled()
    assert not ember.is_anomaly_enabled()


def test_anomaly_enabled_by_the_switch_catches_a_nan_gradient():
    ember.set_anomaly_enabled(True)
    x = ember.tensor([0.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="nan"):
            (x / x).sum().backward()


def test_warn_always_and_interop_threads():
    assert ember.is_warn_always_enabled() is torch.is_warn_always_enabled() is False
    ember.set_warn_always(True)
    assert ember.is_warn_always_enabled() is True
    n = ember.get_num_interop_threads()
    assert isinstance(n, int) and n >= 1
    ember.set_num_interop_threads(3)
    assert ember.get_num_interop_threads() == 3
    ember.set_num_interop_threads(n)
    with pytest.raises(RuntimeError):
        ember.set_num_interop_threads(0)


def test_typename_and_is_storage():
    assert ember.typename(ember.zeros(2)) == "ember.FloatTensor"
    assert ember.typename(ember.zeros(2, dtype=ember.int64)) == "ember.LongTensor"
    assert ember.typename(3) == torch.typename(3) == "int"
    assert ember.typename("a") == torch.typename("a") == "str"
    assert ember.typename(ember.nn.Linear(2, 2)) == "ember.nn.modules.linear.Linear"
    assert ember.typename(ember.nn.Linear) == "ember.nn.modules.linear.Linear"
    assert ember.is_storage(ember.zeros(2)) is torch.is_storage(torch.zeros(2)) is False
