"""PyTorch checkpoints both ways: files written by real torch.save load in ember (no pickle run),
ember's format="torch" files load in real torch with weights_only=True, hostile files are refused."""
import io
import os
import pickle
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember
from ember.cli.cifar10 import cifar10_net
from ember.cli.phone_price import PhonePriceMLP


def _torch_bytes(obj, zip_format=True):
    buf = io.BytesIO()
    torch.save(obj, buf, _use_new_zipfile_serialization=zip_format)
    return buf.getvalue()


def _ember_load_bytes(raw, tmp_path, name="x.pt"):
    path = tmp_path / name
    path.write_bytes(raw)
    return ember.load(str(path))


def _same_values(e, t):
    """An ember object against the torch object it was loaded from (or saved as)."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), type(e)
        expected = t.detach().float() if t.dtype == torch.bfloat16 else t.detach()
        assert tuple(e.shape) == tuple(expected.shape)
        assert e._data.dtype == expected.numpy().dtype, (e._data.dtype, t.dtype)
        np.testing.assert_array_equal(e._data, expected.numpy())
        assert isinstance(e, ember.nn.Parameter) == isinstance(t, torch.nn.Parameter)
        assert e.requires_grad == t.requires_grad
    elif isinstance(t, dict):
        assert type(e) is type(t)
        assert list(e.keys()) == list(t.keys())
        for k in t:
            _same_values(e[k], t[k])
    elif isinstance(t, (list, tuple)) and not isinstance(t, torch.Size):
        assert type(e) is type(t) and len(e) == len(t)
        for x, y in zip(e, t):
            _same_values(x, y)
    elif isinstance(t, torch.Size):
        assert isinstance(e, ember.Size) and tuple(e) == tuple(t)
    elif isinstance(t, torch.dtype):
        assert e == getattr(ember, str(t).split(".")[1])
    elif isinstance(t, torch.device):
        assert isinstance(e, ember.device) and str(e) == str(t)
    else:
        assert type(e) is type(t) and e == t


# --------------------------------------------------------------------------------------------
# torch.save -> ember.load
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_state_dicts_of_layers_load_to_identical_values(tmp_path, zip_format):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                              torch.nn.Flatten(), torch.nn.Linear(4 * 4 * 4, 5), torch.nn.BatchNorm1d(5))
    net(torch.randn(8, 3, 6, 6))          # running statistics and num_batches_tracked move
    sd = net.state_dict()
    loaded = _ember_load_bytes(_torch_bytes(sd, zip_format), tmp_path)
    assert isinstance(loaded, OrderedDict)
    _same_values(loaded, sd)
    assert loaded._metadata == sd._metadata      # the module versions torch stores alongside
    assert loaded["5.num_batches_tracked"]._data.dtype == np.int64


def test_tutorial_models_load_and_compute_the_same(tmp_path):
    torch.manual_seed(1)
    t_mlp = torch.nn.Sequential(torch.nn.Linear(20, 128), torch.nn.ReLU(), torch.nn.Linear(128, 256),
                                torch.nn.ReLU(), torch.nn.Linear(256, 4))
    e_mlp = PhonePriceMLP()
    e_mlp.layers.load_state_dict(_ember_load_bytes(_torch_bytes(t_mlp.state_dict()), tmp_path, "mlp.pt"))
    x = np.random.default_rng(0).standard_normal((7, 20)).astype(np.float32)
    np.testing.assert_allclose(e_mlp(ember.tensor(x)).detach().numpy(), t_mlp(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)

    t_cnn = torch.nn.Sequential(
        torch.nn.Conv2d(3, 32, 5, padding=2), torch.nn.MaxPool2d(2), torch.nn.Conv2d(32, 32, 5, padding=2),
        torch.nn.MaxPool2d(2), torch.nn.Conv2d(32, 64, 5, padding=2), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(1024, 64), torch.nn.Linear(64, 10))
    e_cnn = cifar10_net()
    e_cnn.load_state_dict(_ember_load_bytes(_torch_bytes(t_cnn.state_dict()), tmp_path, "cnn.pt"))
    img = np.random.default_rng(1).standard_normal((2, 3, 32, 32)).astype(np.float32)
    np.testing.assert_allclose(e_cnn(ember.tensor(img)).detach().numpy(),
                               t_cnn(torch.tensor(img)).detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_every_dtype_nested_containers_and_plain_values(tmp_path, zip_format):
    torch.manual_seed(2)
    obj = {
        "float32": torch.randn(3, 2), "float64": torch.randn(4, dtype=torch.float64),
        "float16": torch.randn(5).half(), "bfloat16": torch.randn(3).bfloat16(),
        "int64": torch.arange(-3, 3), "int32": torch.arange(4, dtype=torch.int32),
        "int16": torch.tensor([-2, 7], dtype=torch.int16), "int8": torch.tensor([-128, 127], dtype=torch.int8),
        "uint8": torch.tensor([0, 255], dtype=torch.uint8), "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(3.5), "empty": torch.zeros(0, 3),
        "nested": {"list": [1, 2.5, "three", None, True, (4, 5)], "od": OrderedDict(b=1, a=2),
                   "deep": {"t": torch.ones(2, 2), 7: "int key"}},
        "size": torch.Size([2, 3]), "dtype": torch.float16, "device": torch.device("cpu"),
        "bytes": b"\x00\xffab", "set": {1, 2}, "complex": 1 - 2j, "big": 2 ** 70, "neg": -(2 ** 40),
    }
    loaded = _ember_load_bytes(_torch_bytes(obj, zip_format), tmp_path)
    _same_values(loaded, obj)


@pytest.mark.parametrize("zip_format", [True, False], ids=["zip", "legacy"])
def test_views_sharing_storage_and_non_contiguous_tensors(tmp_path, zip_format):
    base = torch.arange(24.0).reshape(4, 6)
    obj = {"base": base, "t": base.t(), "slice": base[1:3, ::2], "row": base[2], "same": base,
           "expanded": torch.arange(3.0).expand(4, 3)}
    loaded = _ember_load_bytes(_torch_bytes(obj, zip_format), tmp_path)
    _same_values(loaded, obj)
    assert loaded["same"] is loaded["base"]                       # one object, as torch.load gives
    assert np.shares_memory(loaded["base"]._data, loaded["slice"]._data)   # one storage, as in torch
    loaded["base"]._data[2, 0] = 100.0
    assert loaded["row"]._data[0] == 100.0


def test_optimizer_state_dict_loads_into_ember_optimizer(tmp_path):
    torch.manual_seed(3)
    t_lin = torch.nn.Linear(3, 2)
    t_opt = torch.optim.Adam(t_lin.parameters(), lr=0.01)
    for _ in range(3):
        t_opt.zero_grad()
        t_lin(torch.randn(5, 3)).pow(2).sum().backward()
        t_opt.step()
    raw = _torch_bytes({"model": t_lin.state_dict(), "optimizer": t_opt.state_dict()})
    ckpt = _ember_load_bytes(raw, tmp_path)
    _same_values(ckpt["optimizer"], t_opt.state_dict())
    e_lin = ember.nn.Linear(3, 2)
    e_lin.load_state_dict(ckpt["model"])
    e_opt = ember.optim.Adam(e_lin.parameters(), lr=0.01)
    e_opt.load_state_dict(ckpt["optimizer"])
    # one more identical step on both sides gives the same weights
    x = np.random.default_rng(4).standard_normal((5, 3)).astype(np.float32)
    t_opt.zero_grad()
    t_lin(torch.tensor(x)).pow(2).sum().backward()
    t_opt.step()
    e_opt.zero_grad()
    e_lin(ember.tensor(x)).pow(2).sum().backward()
    e_opt.step()
    np.testing.assert_allclose(e_lin.weight.detach().numpy(), t_lin.weight.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("protocol", [3, 4, 5])
def test_newer_pickle_protocols(tmp_path, protocol):
    obj = {"w": torch.randn(2, 3), "b": b"bytes", "nested": [OrderedDict(a=torch.arange(3))], "f": frozenset({1})}
    buf = io.BytesIO()
    torch.save(obj, buf, pickle_protocol=protocol)
    _same_values(ember.load(io.BytesIO(buf.getvalue())), obj)


def test_parameters_and_file_objects(tmp_path):
    obj = {"w": torch.nn.Parameter(torch.ones(2, 2)), "frozen": torch.nn.Parameter(torch.zeros(1), requires_grad=False),
           "g": torch.ones(2, requires_grad=True)}
    loaded = ember.load(io.BytesIO(_torch_bytes(obj)))
    _same_values(loaded, obj)


# --------------------------------------------------------------------------------------------
# ember.save(format="torch") -> torch.load(weights_only=True)
# --------------------------------------------------------------------------------------------
def _to_torch(path):
    return torch.load(str(path), weights_only=True)


def test_ember_state_dicts_load_in_torch(tmp_path):
    ember.manual_seed(0)
    e_net = ember.nn.Sequential(ember.nn.Conv2d(3, 4, 3), ember.nn.BatchNorm2d(4), ember.nn.ReLU(),
                                ember.nn.Flatten(), ember.nn.Linear(4 * 4 * 4, 5))
    e_net(ember.randn(6, 3, 6, 6))
    path = tmp_path / "net.pt"
    ember.save(e_net.state_dict(), str(path), format="torch")
    sd = _to_torch(path)
    _same_values(e_net.state_dict(), sd)
    t_net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                                torch.nn.Flatten(), torch.nn.Linear(4 * 4 * 4, 5))
    t_net.load_state_dict(sd)
    e_net.eval(), t_net.eval()
    x = np.random.default_rng(5).standard_normal((2, 3, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(e_net(ember.tensor(x)).detach().numpy(), t_net(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert ember.load(str(path))["1.running_var"]._data.tolist() == sd["1.running_var"].tolist()  # and back


def test_ember_optimizer_and_every_dtype_load_in_torch(tmp_path):
    lin = ember.nn.Linear(3, 2)
    opt = ember.optim.AdamW(lin.parameters(), lr=0.1)
    lin(ember.randn(4, 3)).sum().backward()
    opt.step()
    x = ember.arange(12.0).reshape(3, 4)
    obj = {"opt": opt.state_dict(), "param": lin.weight,
           "tensors": [ember.tensor([1.5], dtype=ember.float64), ember.tensor([1, 2], dtype=ember.int64),
                       ember.tensor([1, 2], dtype=ember.int32), ember.tensor([3], dtype=ember.int16),
                       ember.tensor([-4], dtype=ember.int8), ember.tensor([200], dtype=ember.uint8),
                       ember.tensor([True, False]), ember.tensor([0.5], dtype=ember.float16), ember.tensor(2.0)],
           "transposed": x.t(), "shared": x, "shared_again": x,
           "misc": (None, True, 3, -2 ** 40, 2.25, "s", b"by", ember.Size([1, 2]), ember.float16, {1}, 1j)}
    path = tmp_path / "misc.pt"
    ember.save(obj, str(path), format="torch")
    back = _to_torch(path)
    _same_values(obj["opt"], back["opt"])
    assert isinstance(back["param"], torch.nn.Parameter) and back["param"].requires_grad
    for e, t in zip(obj["tensors"], back["tensors"]):
        _same_values(e, t)
    np.testing.assert_array_equal(back["transposed"].numpy(), x._data.T)
    assert back["shared"] is back["shared_again"]
    assert back["misc"] == (None, True, 3, -2 ** 40, 2.25, "s", b"by", torch.Size([1, 2]), torch.float16, {1}, 1j)


def test_save_torch_format_errors(tmp_path):
    with pytest.raises(TypeError, match="cannot write a .*Linear"):
        ember.save(ember.nn.Linear(2, 2), str(tmp_path / "m.pt"), format="torch")
    with pytest.raises(ValueError, match="format must be"):
        ember.save({}, str(tmp_path / "m.pt"), format="pickle")
    assert not (tmp_path / "m.pt").exists()


def test_default_format_is_still_ember_for_pt_suffix(tmp_path):
    ember.save({"a": ember.ones(2)}, str(tmp_path / "x.pt"))
    assert (tmp_path / "x.pt").read_bytes()[:4] != b"PK\x03\x04"
    assert ember.load(str(tmp_path / "x.pt"))["a"].tolist() == [1.0, 1.0]


# --------------------------------------------------------------------------------------------
# hostile files: refused, nothing run, nothing big allocated
# --------------------------------------------------------------------------------------------
def _zip_with_pickle(pkl, storages=None, prefix="archive/"):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(prefix + "data.pkl", pkl)
        for key, data in (storages or {}).items():
            zf.writestr(prefix + f"data/{key}", data)
        zf.writestr(prefix + "version", b"3\n")
    return buf.getvalue()


class _Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned > " + _Boom.marker,))


def test_reduce_payload_is_refused_and_not_run(tmp_path):
    _Boom.marker = str(tmp_path / "pwned")
    raw = _zip_with_pickle(pickle.dumps({"w": _Boom()}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="posix.system|os.system"):
        _ember_load_bytes(raw, tmp_path)
    assert not os.path.exists(_Boom.marker)
    # the same payload in the legacy layout (a torch.save stream whose object pickle is hostile)
    legacy = _torch_bytes({"w": torch.ones(1)}, zip_format=False)
    head = legacy[:legacy.index(b"\x80\x02", len(b"\x80\x02\x8a\x0a") + 10)]
    rest = legacy[len(head):]
    for _ in range(2):          # skip the protocol and system-info pickles
        rest = rest[rest.index(b".\x80\x02") + 1:]
    hostile = legacy[:len(legacy) - len(rest)] + pickle.dumps(_Boom(), protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="system"):
        _ember_load_bytes(hostile, tmp_path, "legacy.pt")
    assert not os.path.exists(_Boom.marker)


@pytest.mark.parametrize("module,name", [("builtins", "eval"), ("torch", "load"), ("numpy", "frombuffer"),
                                         ("torch._utils", "_rebuild_device_tensor_from_numpy")])
def test_unknown_globals_are_named(tmp_path, module, name):
    pkl = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"X\x01\x00\x00\x001\x85R."
    with pytest.raises(pickle.UnpicklingError, match=f"{module}.{name}"):
        _ember_load_bytes(_zip_with_pickle(pkl), tmp_path)


def test_truncated_zip_is_refused(tmp_path):
    raw = _torch_bytes({"w": torch.ones(100)})
    for cut in (len(raw) // 2, len(raw) - 30, 10):
        with pytest.raises(RuntimeError, match="truncated|damaged|not a valid"):
            _ember_load_bytes(raw[:cut], tmp_path)


def _lying_pickle(numel, size, stride=(1,), offset=0):
    """A state dict whose tensor declares ``numel`` elements in storage '0'."""
    out = bytearray(b"\x80\x02}X\x01\x00\x00\x00wctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storage"
                    b"ctorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpu")
    out += b"\x8a\x08" + struct.pack("<q", numel) + b"tQ"
    out += b"J" + struct.pack("<i", offset)
    for tup in (size, stride):
        out += b"(" + b"".join(b"\x8a\x08" + struct.pack("<q", v) for v in tup) + b"t"
    out += b"\x89ccollections\nOrderedDict\n)RtRs."
    return bytes(out)


def test_lying_storage_sizes_are_refused_without_allocating(tmp_path):
    tiny = np.ones(4, np.float32).tobytes()
    # a storage declaring 2**40 floats but holding 16 bytes
    with pytest.raises(RuntimeError, match="lying or truncated"):
        _ember_load_bytes(_zip_with_pickle(_lying_pickle(2 ** 40, (4,)), {"0": tiny}), tmp_path)
    # a tensor reaching beyond its storage
    with pytest.raises(RuntimeError, match="reaches element"):
        _ember_load_bytes(_zip_with_pickle(_lying_pickle(4, (2 ** 40,)), {"0": tiny}), tmp_path)
    with pytest.raises(RuntimeError, match="reaches element"):
        _ember_load_bytes(_zip_with_pickle(_lying_pickle(4, (2,), offset=3), {"0": tiny}), tmp_path)
    # a well-formed one loads (the helper itself is right)
    ok = _ember_load_bytes(_zip_with_pickle(_lying_pickle(4, (2,), (2,)), {"0": tiny}), tmp_path)
    assert ok["w"].tolist() == [1.0, 1.0]
    # a missing storage record
    with pytest.raises(RuntimeError, match="missing"):
        _ember_load_bytes(_zip_with_pickle(_lying_pickle(4, (4,))), tmp_path)


def test_zip_bomb_record_is_refused(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("archive/data.pkl", _lying_pickle(2 ** 22, (2 ** 22,)))
        zf.writestr("archive/data/0", b"\0" * (16 * 2 ** 20))   # 16 MiB of zeros compress to ~16 KiB
    with pytest.raises(RuntimeError, match="more than"):
        _ember_load_bytes(buf.getvalue(), tmp_path)


def test_garbled_pickles_give_clear_errors(tmp_path):
    for pkl in (b"\x80\x02}", b"\x80\x02X\xff\xff\xff\x7fab", b"\x80\x02h\x05.", b"\x80\x02(t(.", b"\x80\x02\xff."):
        with pytest.raises((RuntimeError, pickle.UnpicklingError), match="ember.load"):
            _ember_load_bytes(_zip_with_pickle(pkl), tmp_path)
