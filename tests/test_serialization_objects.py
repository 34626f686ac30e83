"""ember.save / ember.load of whole objects (modules, optimizers, user classes) without pickle.

An object is stored as its class name and its attributes; loading rebuilds only allowed classes
(ember's own with weights_only=False, plus the allowlist) and never imports or calls what a file
names. Behaviour is compared with torch.save / torch.load where it is observable.
"""
import collections
import dataclasses
import enum
import functools
import io
import json
import os
import pickle
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch

import ember
from ember import nn, serialization

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- classes the tests save: one ember and one torch version where both are needed --------------------
def _net_class(lib):
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = lib.nn.Linear(4, 8)
            self.drop = lib.nn.Dropout(0.5)
            self.bn = lib.nn.BatchNorm1d(8)
            self.fc2 = lib.nn.Linear(8, 3)
            self.scale = 2.0
            self.act = lib.nn.functional.relu

        def forward(self, x):
            return self.fc2(self.drop(self.act(self.bn(self.fc1(x))))) * self.scale
    return Net


Net = _net_class(ember)
Net.__qualname__ = Net.__name__ = "Net"
TNet = _net_class(torch)
TNet.__qualname__ = TNet.__name__ = "TNet"


class Tied(nn.Module):
    """Two Linear layers sharing one weight Parameter, and a child that refers to its parent."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(3, 3)
        self.b = nn.Linear(3, 3)
        self.b.weight = self.a.weight
        self.a.__dict__["parent"] = self        # not a submodule: a plain back-reference (a cycle)

    def forward(self, x):
        return self.b(self.a(x))


class Color(enum.Enum):
    RED = 1
    BLUE = 2


@dataclasses.dataclass
class Cfg:
    lr: float = 0.1
    name: str = "run"
    sizes: tuple = (1, 2)

    @classmethod
    def make(cls):
        return cls(name="made")


@dataclasses.dataclass(frozen=True)
class FrozenCfg:
    depth: int = 3


Point = collections.namedtuple("Point", "x y")


class Slotted:
    __slots__ = ("a", "__hidden")

    def __init__(self, a=1):
        self.a = a
        self.__hidden = [a, a]

    def __eq__(self, other):
        return type(other) is type(self) and (self.a, self.__hidden) == (other.a, other.__hidden)


class WithState:
    """Saves only `kept` through __getstate__; __setstate__ marks the rebuild."""

    def __init__(self):
        self.kept, self.cache = 5, object()

    def __getstate__(self):
        return {"kept": self.kept}

    def __setstate__(self, state):
        self.__dict__.update(state, restored=True)


class Tagged(list):
    def __init__(self, items=(), tag=""):
        super().__init__(items)
        self.tag = tag


def helper(x):
    return x + 1


_calls = []


class Trap:
    """Records any construction or state restore: a refused file must not reach these."""

    def __new__(cls, *args, **kwargs):
        _calls.append("new")
        return super().__new__(cls)

    def __init__(self):
        _calls.append("init")

    def __setstate__(self, state):
        _calls.append("setstate")


@pytest.fixture(autouse=True)
def _fresh_allowlists():
    serialization.clear_safe_globals()
    before = torch.serialization.get_safe_globals()
    yield
    serialization.clear_safe_globals()
    torch.serialization.clear_safe_globals()
    torch.serialization.add_safe_globals(before)


def _roundtrip(lib, obj, **load_kwargs):
    buf = io.BytesIO()
    lib.save(obj, buf)
    buf.seek(0)
    return lib.load(buf, **load_kwargs)


def _copy_weights(src, dst):
    dst.load_state_dict({k: torch.tensor(v.numpy()) for k, v in src.state_dict().items()})


# -- whole models ----------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["allowlist", "context"])
def test_user_model_round_trip_matches_torch(mode, tmp_path):
    model, tmodel = Net(), TNet()
    _copy_weights(model, tmodel)
    x = np.random.randn(6, 4).astype(np.float32)
    for m in (model, tmodel):                        # a training step moves the BatchNorm statistics
        m(ember.tensor(x) if m is model else torch.tensor(x)).sum().backward()
    ember.save(model, tmp_path / "net.ckpt")
    torch.save(tmodel, tmp_path / "net.pt")
    if mode == "allowlist":
        serialization.add_safe_globals([Net])
        loaded = ember.load(tmp_path / "net.ckpt", weights_only=False)
    else:
        with serialization.safe_globals([Net]):
            loaded = ember.load(tmp_path / "net.ckpt", weights_only=False)
    tloaded = torch.load(tmp_path / "net.pt", weights_only=False)
    assert type(loaded) is Net and type(tloaded) is TNet
    assert loaded.act is ember.nn.functional.relu and loaded.scale == tloaded.scale == 2.0
    assert loaded.training == tloaded.training is True
    # same state_dict (names, values) as the original, as torch's round trip gives
    sd, lsd, tsd = model.state_dict(), loaded.state_dict(), tloaded.state_dict()
    assert list(lsd) == list(sd) == list(tsd)
    for k in sd:
        np.testing.assert_array_equal(lsd[k].numpy(), sd[k].numpy())
        np.testing.assert_allclose(lsd[k].numpy(), tsd[k].numpy(), rtol=1e-5, atol=1e-6)
    # gradients are not part of a saved Parameter, in either library
    assert loaded.fc1.weight.grad is None and tloaded.fc1.weight.grad is None
    assert loaded.fc1.weight.requires_grad and isinstance(loaded.fc1.weight, nn.Parameter)
    # eval mode: same outputs as the original and as torch
    for m in (model, loaded, tloaded):
        m.eval()
    with ember.no_grad():
        out, lout = model(ember.tensor(x)), loaded(ember.tensor(x))
    np.testing.assert_array_equal(out.numpy(), lout.numpy())
    np.testing.assert_allclose(lout.numpy(), tloaded(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-5)


def test_loaded_model_trains_like_the_original_with_a_recreated_optimizer(tmp_path):
    model = Net()
    ember.save(model, tmp_path / "m")
    with serialization.safe_globals([Net]):
        loaded = ember.load(tmp_path / "m", weights_only=False)
    model.drop.p = loaded.drop.p = 0.0
    x, y = ember.randn(8, 4), ember.randint(0, 3, (8,))
    for m in (model, loaded):
        opt = ember.optim.Adam(m.parameters(), lr=1e-2)
        for _ in range(3):
            opt.zero_grad()
            nn.functional.cross_entropy(m(x), y).backward()
            opt.step()
    for (k, v), (k2, v2) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert k == k2
        np.testing.assert_array_equal(v.numpy(), v2.numpy())


def test_eval_mode_is_saved_as_in_torch():
    model, tmodel = nn.Sequential(nn.Linear(2, 2), nn.Dropout()), torch.nn.Sequential(torch.nn.Linear(2, 2),
                                                                                       torch.nn.Dropout())
    model.eval(), tmodel.eval()
    loaded, tloaded = _roundtrip(ember, model, weights_only=False), _roundtrip(torch, tmodel, weights_only=False)
    assert [m.training for m in loaded.modules()] == [m.training for m in tloaded.modules()] == [False] * 3


def test_model_and_optimizer_together_keep_shared_parameters():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = ember.randn(5, 3)
    model(x).sum().backward()
    opt.step()
    m2, o2 = _roundtrip(ember, {"model": model, "opt": opt}, weights_only=False).values()
    params = list(m2.parameters())
    assert o2.param_groups[0]["params"][0] is params[0]
    assert all(any(k is p for p in params) for k in o2.state)     # state keyed by the same Parameters
    for m, o in ((model, opt), (m2, o2)):                          # one more step: identical results
        o.zero_grad()
        m(x).sum().backward()
        o.step()
    for p, q in zip(model.parameters(), m2.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_tied_weights_and_parent_cycle_load_as_one_object():
    tied = Tied()
    with serialization.safe_globals([Tied]):
        loaded = _roundtrip(ember, tied, weights_only=False)
    assert loaded.a.weight is loaded.b.weight and loaded.a.parent is loaded
    assert len(list(loaded.parameters())) == len(list(tied.parameters())) == 3
    x = ember.randn(2, 3)
    np.testing.assert_array_equal(loaded(x).detach().numpy(), tied(x).detach().numpy())


def test_whole_module_file_has_state_dict_tensor_names(tmp_path):
    from safetensors.numpy import load_file
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    ember.save(model, tmp_path / "m.safetensors")
    assert set(load_file(str(tmp_path / "m.safetensors"))) == set(model.state_dict())


# -- weights_only ----------------------------------------------------------------------------------
def test_weights_only_default_refuses_a_whole_model_like_torch():
    tbuf = io.BytesIO()
    torch.save(torch.nn.Linear(2, 2), tbuf)
    tbuf.seek(0)
    with pytest.raises(Exception) as texc:
        torch.load(tbuf)
    assert type(texc.value) is pickle.UnpicklingError
    buf = io.BytesIO()
    ember.save(nn.Linear(2, 2), buf)
    for kwargs in ({}, {"weights_only": True}, {"weights_only": None}):
        buf.seek(0)
        with pytest.raises(type(texc.value)) as exc:
            ember.load(buf, **kwargs)
        msg = str(exc.value)
        assert "weights_only=False" in msg and "trust" in msg
        assert "ember.serialization.add_safe_globals([ember.nn.modules.linear.Linear])" in msg


def test_weights_only_with_allowlisted_classes_loads_like_torch():
    classes = [nn.Sequential, nn.Linear, nn.ReLU]
    tclasses = [torch.nn.Sequential, torch.nn.Linear, torch.nn.ReLU]
    with serialization.safe_globals(classes):
        loaded = _roundtrip(ember, nn.Sequential(nn.Linear(2, 2), nn.ReLU()))
    with torch.serialization.safe_globals(tclasses + [set]):   # torch also needs set; ember allows it
        tloaded = _roundtrip(torch, torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU()))
    assert [type(m).__name__ for m in loaded.modules()] == [type(m).__name__ for m in tloaded.modules()]
    with pytest.raises(pickle.UnpicklingError, match=r"Unsupported global.*ember\.nn\.modules\.activation\.ReLU"):
        with serialization.safe_globals(classes[:2]):
            _roundtrip(ember, nn.Sequential(nn.Linear(2, 2), nn.ReLU()))


def test_user_class_needs_the_allowlist_even_with_weights_only_false():
    buf = io.BytesIO()
    ember.save(Net(), buf)
    for weights_only in (False, True):
        buf.seek(0)
        with pytest.raises(pickle.UnpicklingError) as exc:
            ember.load(buf, weights_only=weights_only)
        msg = str(exc.value)
        assert f"add_safe_globals([{Net.__module__}.Net])" in msg and "trust" in msg
    buf.seek(0)
    with serialization.safe_globals([Net, nn.Linear, nn.Dropout, nn.BatchNorm1d, nn.functional.relu]):
        assert type(ember.load(buf, weights_only=True)) is Net


# -- other objects, compared with torch ----------------------------------------------------------------
def _objects(lib):
    return {
        "set": ({1, 2}, []), "complex": (1 + 2j, []), "bytearray": (bytearray(b"ab"), []), "bytes": (b"\x00b", []),
        "counter": (collections.Counter("aab"), []), "odict": (collections.OrderedDict(b=1, a=2), []),
        "size": (lib.Size([2, 3]), []), "device": (lib.device("cpu"), []), "dtype": (lib.float64, []),
        "frozenset": (frozenset({1, 3}), [frozenset]), "slice": (slice(1, None, 2), [slice]),
        "range": (range(2, 9, 3), [range]), "enum": (Color.BLUE, [Color]), "dataclass": (Cfg(name="a"), [Cfg]),
        "frozen_dataclass": (FrozenCfg(4), [FrozenCfg]), "namedtuple": (Point(1, [2]), [Point]),
        "function": (helper, [helper]), "builtin_type": (int, [int]), "slots": (Slotted(7), [Slotted]),
    }


@pytest.mark.parametrize("name", list(_objects(ember)))
def test_objects_round_trip_and_weights_only_agrees_with_torch(name):
    obj, needed = _objects(ember)[name]
    tobj, _ = _objects(torch)[name]
    tbuf, buf = io.BytesIO(), io.BytesIO()
    torch.save(tobj, tbuf)
    ember.save(obj, buf)
    tbuf.seek(0)
    try:
        torch.load(tbuf, weights_only=True)
        torch_ok = True
    except pickle.UnpicklingError:
        torch_ok = False
    buf.seek(0)
    try:
        ember.load(buf, weights_only=True)
        ember_ok = True
    except pickle.UnpicklingError:
        ember_ok = False
    assert ember_ok == torch_ok == (not needed)
    with serialization.safe_globals(needed), torch.serialization.safe_globals(needed):
        for weights_only in (True, False):
            tbuf.seek(0)
            buf.seek(0)
            tout, out = torch.load(tbuf, weights_only=weights_only), ember.load(buf, weights_only=weights_only)
            assert type(out).__name__ == type(tout).__name__ and type(out).__module__ == type(obj).__module__
            assert out == obj
            if type(obj).__module__ in ("builtins", "collections"):
                assert repr(out) == repr(tout)


def test_more_objects_round_trip():
    state = WithState()
    tagged = Tagged([1, 2], tag="t")
    dd = collections.defaultdict(list, a=[1])
    with serialization.safe_globals([WithState, Tagged]):
        out = _roundtrip(ember, {"state": state, "tagged": tagged, "dd": dd, "fn": nn.functional.gelu,
                                 "dtypes": [ember.float32, ember.int64], "nan": float("nan")}, weights_only=False)
    assert out["state"].__dict__ == {"kept": 5, "restored": True}
    assert type(out["tagged"]) is Tagged and out["tagged"] == [1, 2] and out["tagged"].tag == "t"
    assert type(out["dd"]) is collections.defaultdict and out["dd"].default_factory is list and out["dd"]["b"] == []
    assert out["fn"] is nn.functional.gelu and out["dtypes"] == [ember.float32, ember.int64]
    assert np.isnan(out["nan"])


def test_shared_and_cyclic_containers_like_torch():
    def build():
        shared = [1, 2]
        d = {"a": shared, "b": shared, "s": {3}}
        d["self"] = d
        cyc = []
        cyc.append(cyc)
        return [d, cyc, d["s"]]
    out, tout = _roundtrip(ember, build(), weights_only=False), _roundtrip(torch, build(), weights_only=False)
    for o in (out, tout):
        assert o[0]["a"] is o[0]["b"] and o[0]["self"] is o[0] and o[1][0] is o[1] and o[2] is o[0]["s"]
    assert out[0]["a"] == tout[0]["a"]


def test_plain_data_keeps_the_original_format(tmp_path):
    ember.save({"w": ember.ones(2), "epoch": 1}, tmp_path / "a")
    ember.save({"m": nn.Linear(1, 1)}, tmp_path / "b")
    formats = [_header(tmp_path / n)["__metadata__"]["ember.format"] for n in "ab"]
    assert formats == ["ember-checkpoint/1", "ember-checkpoint/1.1"]


# written by ember before whole-object support (format ember-checkpoint/1): {"model": Linear(2, 1)
# state_dict, "epoch": 3, "shape": Size([2, 1]) (stored as a tuple then), "lr": inf, "dt": float16,
# "raw": b"ab", "np": np.float32(1.5), "odict": OrderedDict(a=(1, None)), "opt": {0: {"step": tensor(2.)}}}
OLD_CHECKPOINT = (
    "4AMAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJlbWJlci5jcmMzMiI6Ijg0ZDBmY2EyIiwiZW1iZXIuZm9ybWF0IjoiZW1iZXItY2hl"
    "Y2twb2ludC8xIiwiZW1iZXIuc3RydWN0dXJlIjoie1wiJFwiOlwiZGljdFwiLFwiaXRlbXNcIjpbW1wibW9kZWxcIix7XCIkXCI6"
    "XCJvZGljdFwiLFwiaXRlbXNcIjpbW1wid2VpZ2h0XCIse1wiJFwiOlwidGVuc29yXCIsXCJuYW1lXCI6XCJtb2RlbC53ZWlnaHRc"
    "In1dLFtcImJpYXNcIix7XCIkXCI6XCJ0ZW5zb3JcIixcIm5hbWVcIjpcIm1vZGVsLmJpYXNcIn1dXX1dLFtcImVwb2NoXCIsM10s"
    "W1wic2hhcGVcIix7XCIkXCI6XCJ0dXBsZVwiLFwiaXRlbXNcIjpbMiwxXX1dLFtcImxyXCIse1wiJFwiOlwiZmxvYXRcIixcInZh"
    "bHVlXCI6XCJpbmZcIn1dLFtcImR0XCIse1wiJFwiOlwiZHR5cGVcIixcIm5hbWVcIjpcImZsb2F0MTZcIn1dLFtcInJhd1wiLHtc"
    "IiRcIjpcImJ5dGVzXCIsXCJiNjRcIjpcIllXST1cIn1dLFtcIm5wXCIse1wiJFwiOlwibnBzY2FsYXJcIixcIm5hbWVcIjpcIm5w"
    "XCJ9XSxbXCJvZGljdFwiLHtcIiRcIjpcIm9kaWN0XCIsXCJpdGVtc1wiOltbXCJhXCIse1wiJFwiOlwidHVwbGVcIixcIml0ZW1z"
    "XCI6WzEsbnVsbF19XV19XSxbXCJvcHRcIix7XCIkXCI6XCJkaWN0XCIsXCJpdGVtc1wiOltbMCx7XCIkXCI6XCJkaWN0XCIsXCJp"
    "dGVtc1wiOltbXCJzdGVwXCIse1wiJFwiOlwidGVuc29yXCIsXCJuYW1lXCI6XCJvcHQuMC5zdGVwXCJ9XV19XV19XV19In0sIm1v"
    "ZGVsLmJpYXMiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzFdLCJkYXRhX29mZnNldHMiOlswLDRdfSwibW9kZWwud2VpZ2h0Ijp7"
    "ImR0eXBlIjoiRjMyIiwic2hhcGUiOlsxLDJdLCJkYXRhX29mZnNldHMiOls0LDEyXX0sIm5wIjp7ImR0eXBlIjoiRjMyIiwic2hh"
    "cGUiOltdLCJkYXRhX29mZnNldHMiOlsxMiwxNl19LCJvcHQuMC5zdGVwIjp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOltdLCJkYXRh"
    "X29mZnNldHMiOlsxNiwyMF19fSAgICAgIPqGbr4Kf6i+ot4GPwAAwD8AAABA"
)


def test_checkpoints_written_before_objects_still_load():
    import base64
    for weights_only in (None, True, False):
        out = ember.load(io.BytesIO(base64.b64decode(OLD_CHECKPOINT)), weights_only=weights_only)
        assert list(out) == ["model", "epoch", "shape", "lr", "dt", "raw", "np", "odict", "opt"]
        assert type(out["model"]) is collections.OrderedDict and list(out["model"]) == ["weight", "bias"]
        assert out["model"]["weight"].shape == (1, 2) and out["model"]["weight"].dtype == ember.float32
        assert out["epoch"] == 3 and out["shape"] == (2, 1) and out["lr"] == float("inf")
        assert out["dt"] is ember.float16 and out["raw"] == b"ab" and out["np"] == np.float32(1.5)
        assert out["odict"] == collections.OrderedDict(a=(1, None)) and out["opt"][0]["step"].item() == 2.0


def _header(path):
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    return json.loads(raw[8:8 + n])


# -- what cannot be saved ------------------------------------------------------------------------------
@pytest.mark.parametrize("make, what", [
    (lambda: (lambda x: x), "lambda"),
    (lambda: open(os.devnull), "TextIOWrapper"),
    (lambda: (i for i in range(3)), "generator"),
    (lambda: threading.Lock(), "lock"),
])
def test_unrepresentable_attribute_raises_naming_its_path(make, what, tmp_path):
    model = nn.Linear(2, 2)
    value = make()
    model.__dict__["extra"] = {"thing": value}
    try:
        with pytest.raises(TypeError) as exc:
            ember.save(model, tmp_path / "m")
        assert isinstance(exc.value, pickle.PicklingError)
        msg = str(exc.value)
        assert "obj.extra['thing']" in msg and what in msg and "state_dict()" in msg
        assert not (tmp_path / "m").exists()
        with pytest.raises(Exception):         # torch cannot save these either
            torch.save({"thing": value}, io.BytesIO())
    finally:
        if hasattr(value, "close"):
            value.close()


def test_class_defined_in_a_function_cannot_be_saved():
    class Local:
        pass
    with pytest.raises(TypeError, match=r"obj\['x'\].*Local.*defined inside a function"):
        ember.save({"x": Local()}, io.BytesIO())


def test_too_deep_structures_give_a_clear_error():
    deep = nn.Linear(1, 1)
    for _ in range(300):
        outer = nn.Linear(1, 1)
        outer.__dict__["inner"] = deep
        deep = outer
    with pytest.raises(ValueError, match="nested more than 200 levels"):
        ember.save(deep, io.BytesIO())
    ok = cur = {}
    for _ in range(150):
        cur["x"] = {}
        cur = cur["x"]
    assert _roundtrip(ember, ok) == ok


# -- hostile files -------------------------------------------------------------------------------------
def _craft(structure, tensors=None):
    from safetensors.numpy import save
    meta = {"ember.format": "ember-checkpoint/1.1", "ember.structure": json.dumps(structure)}
    return io.BytesIO(save(tensors or {}, metadata=meta))


SENTINEL = "wholeobj_sentinel_module"


@pytest.mark.parametrize("module, qualname", [
    ("os", "system"), ("builtins", "eval"), ("subprocess", "Popen"), ("builtins", "__import__"),
    (SENTINEL, "Evil"), ("ember.serialization", "os.system"), ("ember.serialization", "os"),
    ("ember.__main__", "main"), ("ember", "_tensor.np.load"), ("posix", "system"),
    ("ember.serialization", "save"), ("ember._parallel", "set_num_threads"), ("ember.cli.main", "main"),
    ("ember.compat", "install"),
])
@pytest.mark.parametrize("kind", ["instance", "global", "enum"])
def test_crafted_names_import_and_call_nothing(module, qualname, kind, tmp_path, monkeypatch):
    marker = tmp_path / "imported"
    (tmp_path / f"{SENTINEL}.py").write_text(f"open({str(marker)!r}, 'w').close()\nclass Evil:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    called = []
    monkeypatch.setattr(os, "system", lambda *a: called.append(a))
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: called.append(a))
    node = {"$": kind, "module": module, "qualname": qualname, "name": "X", "args": ["touch pwned"],
            "attrs": {"x": 1}}
    before = set(sys.modules)
    for weights_only in (True, False):
        with pytest.raises(pickle.UnpicklingError, match=r"(not an allowed global|Unsupported global|cannot be used)"):
            ember.load(_craft(node), weights_only=weights_only)
    assert not called and not marker.exists() and SENTINEL not in sys.modules
    assert set(sys.modules) == before


def test_refused_user_class_runs_none_of_its_code():
    _calls.clear()
    node = {"$": "instance", "module": Trap.__module__, "qualname": "Trap", "attrs": {"a": 1}}
    with pytest.raises(pickle.UnpicklingError, match=r"add_safe_globals\(\[.*Trap\]\)"):
        ember.load(_craft(node), weights_only=False)
    assert _calls == []
    with serialization.safe_globals([Trap]):          # allowed: __new__ and __setstate__, never __init__
        ember.load(_craft(node), weights_only=False)
    assert _calls == ["new", "setstate"]


@pytest.mark.parametrize("structure, message", [
    ({"$": "ref", "id": 0}, "not defined before"),
    ([{"$": "list", "id": 0, "items": []}, {"$": "list", "id": 0, "items": []}], "repeated object id"),
    ({"$": "instance", "module": "ember.nn.modules.linear", "qualname": "Linear", "args": {"a": 1}},
     "invalid constructor arguments"),
    ({"$": "instance", "module": "ember.ops.activation", "qualname": "relu"}, "not a class"),
    ({"$": "instance", "module": "builtins", "qualname": "bytes", "args": [10 ** 12]}, "builtin types"),
    ({"$": "instance", "module": "ember._tensor", "qualname": "Size",        # would materialize 10**7 ints
      "args": [{"$": "range", "items": [0, 10 ** 7, 1]}]}, "range of more than"),
    ({"$": "instance", "module": "ember._tensor", "qualname": "device",
      "slots": {"__class__": {"$": "global", "module": "ember.nn.modules.conv", "qualname": "Conv2d"}}},
     "invalid slot name"),
    ({"$": "set", "items": [[1]]}, "unhashable"),
    ({"$": "range", "items": [1, 2, 0]}, "invalid range"),
    ({"$": "size", "items": ["a"]}, "invalid size"),
    ({"$": "device", "type": 3}, "device node"),
])
def test_crafted_structures_refused_with_clear_errors(structure, message):
    with pytest.raises(RuntimeError, match=message):
        ember.load(_craft(structure), weights_only=False)


def test_crafted_deep_nesting_refused_without_recursion_error():
    node = 1
    for _ in range(300):
        node = {"$": "list", "items": [node]}
    with pytest.raises(RuntimeError, match="nested too deeply"):
        ember.load(_craft(node), weights_only=False)


# -- the allowlist API -----------------------------------------------------------------------------------
def test_safe_globals_api_like_torch():
    serialization.add_safe_globals([Cfg, (Color, "renamed.Color")])
    torch.serialization.add_safe_globals([Cfg, (Color, "renamed.Color")])
    assert serialization.get_safe_globals() == [Cfg, (Color, "renamed.Color")]
    assert all(g in torch.serialization.get_safe_globals() for g in serialization.get_safe_globals())
    with serialization.safe_globals([Point]):
        assert Point in serialization.get_safe_globals()
    assert Point not in serialization.get_safe_globals()
    with pytest.raises(KeyError):
        with serialization.safe_globals([Point]):
            raise KeyError("inside")
    assert serialization.get_safe_globals() == [Cfg, (Color, "renamed.Color")]
    serialization.clear_safe_globals()
    assert serialization.get_safe_globals() == []
    with pytest.raises(TypeError, match="list of classes"):
        serialization.add_safe_globals(Cfg)
    with pytest.raises(TypeError, match="classes or functions"):
        serialization.add_safe_globals([3])


def test_renamed_allowlist_entry_is_used_for_that_name():
    node = {"$": "enum", "module": "renamed", "qualname": "Color", "name": "RED"}
    with serialization.safe_globals([(Color, "renamed.Color")]):
        assert ember.load(_craft(node)) is Color.RED


SCRIPT = """
import torch, torch.nn as nn, pickle

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, x):
        return self.fc(x)

assert torch.serialization.add_safe_globals.__module__ == "ember._safe_globals"
model = Net().eval()
torch.save(model, "model.pt")
for kwargs in ({}, {"weights_only": False}):
    try:
        torch.load("model.pt", **kwargs)
        raise SystemExit("loaded a class that is not allowed")
    except pickle.UnpicklingError as e:
        assert "add_safe_globals([Net])" in str(e), str(e)
torch.serialization.add_safe_globals([Net])
loaded = torch.load("model.pt", weights_only=False)
x = torch.randn(2, 3)
assert type(loaded) is Net and not loaded.training and torch.equal(loaded(x), model(x))
print("ok")
"""


def test_unmodified_script_saves_and_loads_a_whole_model_under_ember_run(tmp_path):
    (tmp_path / "script.py").write_text(SCRIPT)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    code = "import sys, ember.compat; sys.exit(ember.compat.run_script('script.py'))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


# -- data pipeline and training-loop objects ---------------------------------------------------------------
def test_generators_dataloader_and_scheduler_round_trip(tmp_path):
    g = ember.Generator().manual_seed(3)
    rng = np.random.default_rng(5)
    bits = np.random.MT19937(7)
    loader = ember.utils.data.DataLoader(ember.utils.data.TensorDataset(ember.arange(10)), batch_size=4,
                                         shuffle=True, generator=ember.Generator().manual_seed(1))
    model = nn.Linear(2, 1)
    opt = ember.optim.SGD(model.parameters(), lr=1.0)
    sched = ember.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    opt.step()
    sched.step()
    ember.save({"g": g, "rng": rng, "bits": bits, "loader": loader, "sched": sched}, tmp_path / "run")
    out = ember.load(str(tmp_path / "run"), map_location="cpu", weights_only=False)   # str path, map_location
    np.testing.assert_array_equal(ember.rand(4, generator=out["g"]).numpy(), ember.rand(4, generator=g).numpy())
    np.testing.assert_array_equal(out["rng"].random(3), rng.random(3))
    assert type(out["bits"]) is np.random.MT19937 and out["bits"].random_raw(3).tolist() == bits.random_raw(3).tolist()
    assert [b[0].tolist() for b in out["loader"]] == [b[0].tolist() for b in loader]
    assert out["sched"].optimizer.param_groups[0]["lr"] == 0.5 and out["sched"].last_epoch == 1
    out["sched"].optimizer.step()
    out["sched"].step()
    assert out["sched"].optimizer.param_groups[0]["lr"] == 0.25
    ember.save([rng], tmp_path / "rng")
    with pytest.raises(pickle.UnpicklingError, match=r"(?s)weights_only=False.*numpy\.random\._generator\.Generator"):
        ember.load(tmp_path / "rng")
    with serialization.safe_globals([np.random.Generator]):
        assert isinstance(ember.load(tmp_path / "rng")[0], np.random.Generator)
    ember.save(bits, tmp_path / "bits")
    with serialization.safe_globals([np.random.BitGenerator]):
        assert ember.load(tmp_path / "bits").random_raw() == bits.random_raw()


def test_module_level_hook_functions_are_saved_by_name():
    model = nn.Linear(2, 2)
    model.register_forward_hook(_double_output)
    with serialization.safe_globals([_double_output]):
        loaded = _roundtrip(ember, model, weights_only=False)
    x = ember.randn(1, 2)
    np.testing.assert_array_equal(loaded(x).detach().numpy(), model(x).detach().numpy())
    np.testing.assert_allclose(loaded(x).detach().numpy(), 2 * nn.functional.linear(x, model.weight, model.bias)
                               .detach().numpy(), rtol=1e-6)


def _double_output(module, args, output):
    return output * 2


class Block(nn.Module):
    """Keeps a partial (layer factory) and a bound method as attributes, as torchvision models do."""

    def __init__(self):
        super().__init__()
        self.make_norm = functools.partial(nn.LayerNorm, eps=1e-3)
        self.norm = self.make_norm(4)
        self.step = self._twice
        self.make = Cfg.make

    def _twice(self, x):
        return 2 * self.norm(x)

    def forward(self, x):
        return self.step(x)


def test_partials_and_bound_methods_round_trip():
    block = Block()
    with serialization.safe_globals([Block, Cfg]):
        loaded = _roundtrip(ember, block, weights_only=False)
    with serialization.safe_globals([Block, Cfg, nn.LayerNorm]):
        with pytest.raises(pickle.UnpicklingError, match="functools.partial"):
            _roundtrip(ember, block, weights_only=True)
    assert loaded.step.__self__ is loaded and loaded.step.__func__ is Block._twice
    assert loaded.make_norm.func is nn.LayerNorm and loaded.make_norm.keywords == {"eps": 1e-3}
    assert loaded.make() == Cfg(name="made")
    x = ember.randn(2, 4)
    np.testing.assert_array_equal(loaded(x).detach().numpy(), block(x).detach().numpy())
    with pytest.raises(TypeError, match=r"obj\['m'\].*bound method"):
        ember.save({"m": [].append}, io.BytesIO())


def test_get_unsafe_globals_in_checkpoint_like_torch():
    def obj(lib):
        return {"m": lib.nn.Sequential(lib.nn.Linear(2, 2)), "d": collections.defaultdict(list), "s": {1},
                "size": lib.Size([1])}
    buf, tbuf = io.BytesIO(), io.BytesIO()
    ember.save(obj(ember), buf)
    torch.save(obj(torch), tbuf)
    for allowed in ([], [nn.Linear]):
        serialization.clear_safe_globals()
        serialization.add_safe_globals(allowed)
        torch.serialization.add_safe_globals([torch.nn.Linear] if allowed else [])
        buf.seek(0)
        tbuf.seek(0)
        names = serialization.get_unsafe_globals_in_checkpoint(buf)
        tnames = [n.replace("torch.", "ember.", 1) for n in torch.serialization.get_unsafe_globals_in_checkpoint(tbuf)]
        assert sorted(names) == sorted(tnames) and len(names) == (4 if not allowed else 3)
    assert serialization.get_unsafe_globals_in_checkpoint(_craft({"w": 1})) == []
