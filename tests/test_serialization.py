"""ember.save / ember.load: round trips, safety against crafted files, atomic writes."""
import io
import json
import os
import pickle
import struct
from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember import serialization


def _same(a, b):
    """Deep equality that also checks container types, dtypes and int-vs-str keys."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, ember.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a._data, b._data)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a.keys()) == list(b.keys())
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def _roundtrip(obj, tmp_path):
    path = tmp_path / "ckpt"
    ember.save(obj, path)
    return ember.load(path)


# -- round trips ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "int16", "int8",
                                   "uint8", "bool"])
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3, 4)])
def test_tensor_dtype_and_shape_preserved(tmp_path, dtype, shape):
    rng = np.random.default_rng(0)
    arr = np.asarray((rng.standard_normal(shape) * 5).astype(dtype))
    t = ember.tensor(arr)
    out = _roundtrip({"t": t, "a": arr}, tmp_path)
    _same({"t": t, "a": arr}, out)


def test_model_like_state_dict_with_buffers(tmp_path):
    sd = OrderedDict([
        ("0.weight", ember.randn(4, 3)), ("0.bias", ember.randn(4)),
        ("1.running_mean", ember.zeros(4)), ("1.running_var", ember.ones(4)),
        ("1.num_batches_tracked", ember.tensor(7)),
    ])
    out = _roundtrip(sd, tmp_path)
    _same(sd, out)
    assert out["1.num_batches_tracked"].dtype == ember.int64 and out["1.num_batches_tracked"].dim() == 0


def test_optimizer_like_state_dict_keeps_int_keys(tmp_path):
    sd = {"state": {0: {"step": ember.tensor(3.0), "exp_avg": ember.randn(2, 2), "exp_avg_sq": ember.rand(2, 2)},
                    1: {"step": 3, "momentum_buffer": None}},
          "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
                            "amsgrad": False, "maximize": False, "foreach": None, "params": [0, 1]}]}
    out = _roundtrip(sd, tmp_path)
    _same(sd, out)
    assert list(out["state"].keys()) == [0, 1] and all(type(k) is int for k in out["state"])


def test_scheduler_state_and_metadata(tmp_path):
    obj = {"scheduler": {"step_size": 10, "gamma": 0.1, "base_lrs": [0.1, 0.01], "last_epoch": 4,
                         "_last_lr": [0.1, 0.01], "_get_lr_called_within_step": False, "verbose": False},
           "epoch": 4, "config": {"hidden": (128, 256), "name": "run-é", "dropout": None, "ratio": 0.5,
                                  "nested": [[1, 2], {"x": [3.5, "y"]}]},
           "special": [float("inf"), float("-inf"), float("nan")],
           "np_scalar": np.float32(1.25), "np_int": np.int64(3), "bytes": b"\x00\xff", "dtype": ember.float64,
           "tuple_key": {(1, "a"): "v", None: 1, 2.5: "f", True: "b"}}
    out = _roundtrip(obj, tmp_path)
    _same(obj, out)
    assert out["np_scalar"].dtype == np.float32


def test_ordered_dict_and_plain_dict_kept_apart(tmp_path):
    obj = [OrderedDict([("b", 1), ("a", 2)]), {"b": 1, "a": 2}, (ember.ones(1),), []]
    out = _roundtrip(obj, tmp_path)
    _same(obj, out)


def test_requires_grad_and_shared_tensors(tmp_path):
    w = ember.randn(3, requires_grad=True)
    out = _roundtrip({"a": w, "b": w, "c": w.detach()}, tmp_path)
    assert out["a"].requires_grad and out["a"] is out["b"]
    assert not out["c"].requires_grad


def test_loaded_tensors_are_writable_and_independent(tmp_path):
    out = _roundtrip({"w": ember.zeros(3)}, tmp_path)
    out["w"]._data += 1  # in-place updates (an optimizer step after resume) must work
    np.testing.assert_array_equal(out["w"]._data, [1, 1, 1])


def test_real_model_and_optimizer_state_dicts(tmp_path):
    nn, optim = ember.nn, ember.optim
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    for _ in range(3):
        opt.zero_grad()
        model(ember.randn(8, 3)).pow(2).mean().backward()
        opt.step()
        sched.step()
    ckpt = {"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict()}
    out = _roundtrip(ckpt, tmp_path)
    _same(ckpt, out)

    model2 = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    opt2 = optim.Adam(model2.parameters(), lr=0.01)
    sched2 = optim.lr_scheduler.StepLR(opt2, step_size=2, gamma=0.5)
    model2.load_state_dict(out["model"])
    opt2.load_state_dict(out["optimizer"])
    sched2.load_state_dict(out["scheduler"])
    x = ember.randn(5, 3)
    model.eval(), model2.eval()
    np.testing.assert_array_equal(model(x)._data, model2(x)._data)
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]


def test_file_objects_and_kwargs_ignored(tmp_path):
    buf = io.BytesIO()
    obj = {"w": ember.arange(4)}
    ember.save(obj, buf)
    buf.seek(0)
    _same(obj, ember.load(buf, map_location="cpu", weights_only=True))


def test_interop_with_safetensors(tmp_path):
    from safetensors.numpy import load_file, save_file
    sd = OrderedDict([("fc1.weight", ember.randn(2, 3)), ("fc1.bias", ember.zeros(2))])
    ember.save(sd, tmp_path / "w.safetensors")
    raw = load_file(str(tmp_path / "w.safetensors"))
    assert set(raw) == {"fc1.weight", "fc1.bias"}
    np.testing.assert_array_equal(raw["fc1.weight"], sd["fc1.weight"]._data)
    # and a safetensors file from another tool loads as a flat dict of tensors
    save_file({"x": np.arange(3, dtype=np.int64)}, str(tmp_path / "other.safetensors"))
    other = ember.load(tmp_path / "other.safetensors")
    assert isinstance(other["x"], ember.Tensor) and other["x"].dtype == ember.int64


def test_unsupported_objects_raise_type_error(tmp_path):
    with pytest.raises(TypeError, match=r"obj\['cfg'\]\['fn'\].*function"):
        ember.save({"cfg": {"fn": lambda x: x}}, tmp_path / "c")
    assert not (tmp_path / "c").exists()
    with pytest.raises(TypeError, match="key of type"):
        ember.save({(lambda: 0): 1}, tmp_path / "c")  # a key with no data to store


# -- safety ------------------------------------------------------------------------------------
class _Evil:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_pickle_file_refused_without_running_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "evil.pt").write_bytes(pickle.dumps({"w": _Evil()}, protocol=2))
    with pytest.raises(RuntimeError, match=r"evil\.pt.*pickle"):
        ember.load(tmp_path / "evil.pt")
    assert not (tmp_path / "pwned").exists()


def _craft(tmp_path, structure, tensors=None):
    from safetensors.numpy import save
    meta = {"ember.format": "ember-checkpoint/1", "ember.structure": json.dumps(structure)}
    path = tmp_path / "crafted"
    path.write_bytes(save(tensors or {}, metadata=meta))
    return path


@pytest.mark.parametrize("structure, message", [
    ({"$": "object", "module": "os", "name": "system", "args": ["touch pwned"]}, "unknown node type 'object'"),
    ({"$": "tensor", "name": "missing"}, "not in the file"),
    ({"$": "dict", "items": [[{"$": "tuple", "items": []}]]}, "key, value"),
    ({"$": "dtype", "name": "__import__"}, "unknown dtype"),
    ({"no_tag": 1}, "unexpected JSON value"),
])
def test_crafted_structure_refused(tmp_path, structure, message):
    path = _craft(tmp_path, structure, {"w": np.zeros(2, np.float32)})
    with pytest.raises(RuntimeError, match=message) as e:
        ember.load(path)
    assert "crafted" in str(e.value)


def test_crafted_header_offsets_refused(tmp_path):
    header = json.dumps({"w": {"dtype": "F32", "shape": [1000], "data_offsets": [0, 4000]}}).encode()
    path = tmp_path / "bad"
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\x00" * 16)
    with pytest.raises(RuntimeError, match=r"'w'.*truncated or corrupted"):
        ember.load(path)
    path.write_bytes(struct.pack("<Q", 1 << 60) + b"{}")
    with pytest.raises(RuntimeError, match="header claims"):
        ember.load(path)


@pytest.mark.parametrize("keep", [0, 5, 20, -3])
def test_truncated_file_raises_clear_error(tmp_path, keep):
    path = tmp_path / "ckpt"
    ember.save({"model": OrderedDict(w=ember.randn(10, 10)), "epoch": 1}, path)
    data = path.read_bytes()
    path.write_bytes(data[:keep] if keep >= 0 else data[:keep])
    with pytest.raises(RuntimeError, match=r"ckpt.*(truncated|header)"):
        ember.load(path)


@pytest.mark.parametrize("where", ["data", "structure"])
def test_corrupted_bytes_detected_by_checksum(tmp_path, where):
    path = tmp_path / "ckpt"
    ember.save({"epoch": 12345, "w": ember.ones(100)}, path)
    raw = bytearray(path.read_bytes())
    if where == "data":
        raw[-7] ^= 0x01                       # one bit inside the float data
    else:
        i = raw.index(b"12345")
        raw[i:i + 5] = b"99999"               # a value inside the JSON structure
    path.write_bytes(bytes(raw))
    with pytest.raises(RuntimeError, match=r"ckpt.*checksum does not match.*corrupted"):
        ember.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        ember.load(tmp_path / "nope")


# -- atomic writes -----------------------------------------------------------------------------
def test_crash_mid_save_keeps_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "checkpoint"
    good = {"epoch": 1, "w": ember.ones(1000)}
    ember.save(good, path)
    before = path.read_bytes()

    def crashing_write(fh, data):
        fh.write(memoryview(data)[: len(data) // 2])
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(serialization, "_write_all", crashing_write)
    with pytest.raises(OSError, match="disk full"):
        ember.save({"epoch": 2, "w": ember.zeros(1000)}, path)
    assert path.read_bytes() == before
    _same(good, ember.load(path))
    assert os.listdir(tmp_path) == ["checkpoint"]  # no temp file left behind


def test_save_into_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ember.save({"a": 1}, tmp_path / "no" / "ckpt")


def test_parameters_stay_parameters(tmp_path):
    p = ember.nn.Parameter(ember.randn(2))
    out = _roundtrip({"p": p, "frozen": ember.nn.Parameter(ember.randn(1), requires_grad=False)}, tmp_path)
    assert isinstance(out["p"], ember.nn.Parameter) and out["p"].requires_grad
    assert isinstance(out["frozen"], ember.nn.Parameter) and not out["frozen"].requires_grad


def test_deeply_nested_structure_refused(tmp_path):
    from safetensors.numpy import save
    meta = {"ember.format": "ember-checkpoint/1", "ember.structure": "[" * 100_000 + "]" * 100_000}
    path = tmp_path / "deep"
    path.write_bytes(save({}, metadata=meta))
    with pytest.raises(RuntimeError, match="deep.*(not valid JSON|nested too deeply|lists and objects)"):
        ember.load(path)
