"""Device probing (ember.accelerator, ember.backends, ember.cuda, matmul precision, tensor flags) vs PyTorch on this CPU-only machine."""
import warnings

import pytest
import torch

import ember


def _error(fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001  (the type and message are what is compared)
        return type(e), str(e)


@pytest.fixture
def restore_flags():
    """Backend flags and matmul precision are global: put both libraries' back after each test."""
    names = [(m, n) for m, ns in [("cudnn", ["benchmark", "deterministic", "enabled", "allow_tf32"]),
                                  ("mkldnn", ["enabled"])] for n in ns]
    mm = ["allow_tf32", "allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction"]
    saved = [(lib, {(m, n): getattr(getattr(lib.backends, m), n) for m, n in names},
              {n: getattr(lib.backends.cuda.matmul, n) for n in mm}, lib.get_float32_matmul_precision())
             for lib in (torch, ember)]
    yield
    for lib, flags, matmul, precision in saved:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lib.set_float32_matmul_precision(precision)
        for (m, n), v in flags.items():
            setattr(getattr(lib.backends, m), n, v)
        for n, v in matmul.items():
            setattr(lib.backends.cuda.matmul, n, v)


def test_accelerator_as_torch():
    for lib in (torch, ember):
        assert lib.accelerator.is_available() is False
        assert lib.accelerator.current_accelerator() is None
        assert lib.accelerator.device_count() == 0


def test_backend_availability():
    assert ember.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert ember.backends.mps.is_built() is torch.backends.mps.is_built() is False
    assert ember.backends.cuda.is_built() is torch.backends.cuda.is_built() is False
    assert ember.backends.cudnn.is_available() is torch.backends.cudnn.is_available() is False
    assert ember.backends.cudnn.version() is torch.backends.cudnn.version() is None
    # ember has no oneDNN and no OpenMP (PyTorch's CPU build has both): it answers for itself.
    assert ember.backends.mkldnn.is_available() is False
    assert ember.backends.openmp.is_available() is False


@pytest.mark.parametrize("module,name", [("cudnn", "benchmark"), ("cudnn", "deterministic"), ("cudnn", "enabled"),
                                         ("cudnn", "allow_tf32"), ("mkldnn", "enabled"),
                                         ("cuda.matmul", "allow_tf32"),
                                         ("cuda.matmul", "allow_fp16_reduced_precision_reduction"),
                                         ("cuda.matmul", "allow_bf16_reduced_precision_reduction")])
def test_backend_flags_default_set_and_checked(module, name, restore_flags):
    def target(lib):
        obj = lib.backends
        for part in module.split("."):
            obj = getattr(obj, part)
        return obj
    assert getattr(target(ember), name) == getattr(target(torch), name), "default"
    for value in (True, False):
        setattr(target(ember), name, value)
        setattr(target(torch), name, value)
        assert getattr(target(ember), name) is getattr(target(torch), name) is value
    for bad in ("x", 1):
        e = _error(lambda: setattr(target(ember), name, bad))
        t = _error(lambda: setattr(target(torch), name, bad))
        assert e == t and e[0] in (RuntimeError, TypeError)


@pytest.mark.parametrize("value", [(True,), (False, True), [True, False], (1,), (), (True, 1)])
def test_reduced_precision_reduction_tuples_as_torch(value, restore_flags):
    for name in ("allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction"):
        e = _error(lambda: setattr(ember.backends.cuda.matmul, name, value))
        t = _error(lambda: setattr(torch.backends.cuda.matmul, name, value))
        assert e == t
        assert getattr(ember.backends.cuda.matmul, name) is getattr(torch.backends.cuda.matmul, name)


def test_unknown_matmul_flag_as_torch():
    e = _error(lambda: setattr(ember.backends.cuda.matmul, "foo", True))
    t = _error(lambda: setattr(torch.backends.cuda.matmul, "foo", True))
    assert e == t and e[0] is AttributeError


def test_cuda_queries():
    for lib in (torch, ember):
        assert lib.cuda.is_available() is False
        assert lib.cuda.device_count() == 0
        assert lib.cuda.is_initialized() is False
        assert lib.cuda.is_bf16_supported() is False
        assert lib.cuda.manual_seed(0) is None and lib.cuda.manual_seed_all(0) is None
        assert lib.cuda.seed() is None and lib.cuda.seed_all() is None
        assert lib.cuda.empty_cache() is None
        assert lib.cuda.memory_allocated() == lib.cuda.max_memory_allocated() == 0


def test_cuda_seeding_does_not_touch_the_cpu_stream():
    ember.manual_seed(3)
    a = ember.rand(4)
    ember.manual_seed(3)
    ember.cuda.manual_seed_all(99)
    assert ember.equal(a, ember.rand(4))


@pytest.mark.parametrize("name,args", [("current_device", ()), ("get_device_name", ()), ("get_device_name", (0,)),
                                       ("get_device_properties", (0,)), ("get_device_capability", ()),
                                       ("synchronize", ()), ("init", ())])
def test_cuda_calls_needing_a_gpu_raise_as_torch(name, args):
    e = _error(lambda: getattr(ember.cuda, name)(*args))
    t = _error(lambda: getattr(torch.cuda, name)(*args))
    assert e == t and e[0] is AssertionError


def test_cuda_is_a_module():
    import ember.cuda
    import ember.cuda.amp
    assert type(ember.cuda).__name__ == "module" and ember.cuda.amp.GradScaler is not None


@pytest.mark.parametrize("value", ["high", "medium", "highest", "low", "HIGH", 3])
def test_float32_matmul_precision(value, restore_flags):
    assert ember.get_float32_matmul_precision() == torch.get_float32_matmul_precision() == "highest"
    with warnings.catch_warnings(record=True) as we:
        warnings.simplefilter("always")
        e = _error(lambda: ember.set_float32_matmul_precision(value))
    with warnings.catch_warnings(record=True) as wt:
        warnings.simplefilter("always")
        t = _error(lambda: torch.set_float32_matmul_precision(value))
    assert e == t
    assert [w.category for w in we] == [w.category for w in wt]
    if wt:
        assert str(we[0].message) in str(wt[0].message).replace("currentsetFloat32", "current setFloat32")
    assert ember.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
    assert ember.backends.cuda.matmul.allow_tf32 is torch.backends.cuda.matmul.allow_tf32


@pytest.mark.parametrize("attr", ["is_cuda", "is_xpu", "is_mps", "is_meta", "is_sparse", "is_quantized"])
def test_tensor_device_flags(attr):
    assert getattr(ember.zeros(2), attr) is getattr(torch.zeros(2), attr) is False
    assert getattr(ember.nn.Parameter(ember.zeros(2)), attr) is False
