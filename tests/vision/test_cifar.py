"""CIFAR10/CIFAR100 from small batch files in the real format; the restricted unpickler."""
import os
import pickle
import shlex

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader
from ember.vision import datasets, transforms
from ember.vision.datasets.safe_pickle import safe_load
from tests.vision._fake import dump, local_cifar, make_cifar, md5


@pytest.mark.parametrize("style", ["py2", "p2", "p4"])
def test_cifar10_reads_batches(tmp_path, style):
    _, md5s, content = make_cifar(str(tmp_path), style=style)
    CIFAR10 = local_cifar(datasets.CIFAR10, md5s)
    train = CIFAR10(str(tmp_path), train=True)
    assert len(train) == 30 and train.data.shape == (30, 32, 32, 3) and train.data.dtype == np.uint8
    expect = np.vstack([content[f"data_batch_{i}"][0] for i in range(1, 6)]).reshape(-1, 3, 32, 32)
    np.testing.assert_array_equal(train.data.transpose(0, 3, 1, 2), expect)
    assert train.targets == sum((content[f"data_batch_{i}"][1] for i in range(1, 6)), [])
    assert train.classes[:3] == ["airplane", "automobile", "bird"] and train.class_to_idx["truck"] == 9
    img, label = train[7]
    assert img.shape == (32, 32, 3) and label == train.targets[7] and isinstance(label, int)
    test = CIFAR10(str(tmp_path), train=False)
    assert len(test) == 6 and "Split: Test" in repr(test)


def test_cifar10_with_transforms_and_loader(tmp_path):
    _, md5s, content = make_cifar(str(tmp_path))
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,) * 3, (0.5,) * 3)])
    test = local_cifar(datasets.CIFAR10, md5s)(str(tmp_path), train=False, transform=tf,
                                               target_transform=lambda y: y + 100)
    x, y = test[0]
    assert x.shape == (3, 32, 32) and x.dtype == ember.float32 and y == content["test_batch"][1][0] + 100
    np.testing.assert_allclose(x.numpy(), content["test_batch"][0][0].reshape(3, 32, 32) / 255.0 * 2 - 1,
                               rtol=1e-5, atol=1e-6)
    xb, yb = next(iter(DataLoader(test, batch_size=4)))
    assert xb.shape == (4, 3, 32, 32) and yb.dtype == ember.int64


def test_cifar100(tmp_path):
    _, md5s, content = make_cifar(str(tmp_path), hundred=True)
    train = local_cifar(datasets.CIFAR100, md5s)(str(tmp_path))
    assert len(train) == 6 and train.targets == content["train"][1]
    assert len(train.classes) == 100 and train.classes[3] == "fine3"


def test_missing_files_say_where_and_how(tmp_path):
    with pytest.raises(RuntimeError) as err:
        datasets.CIFAR10(str(tmp_path), train=True)
    msg = str(err.value)
    assert os.path.join(str(tmp_path), "cifar-10-batches-py", "data_batch_1") in msg
    assert "download=True" in msg and datasets.CIFAR10.url in msg


def test_corrupted_file_is_reported(tmp_path):
    folder, md5s, _ = make_cifar(str(tmp_path))
    CIFAR10 = local_cifar(datasets.CIFAR10, md5s)
    with open(os.path.join(folder, "test_batch"), "ab") as f:
        f.write(b"x")
    with pytest.raises(RuntimeError, match="test_batch is corrupted"):
        CIFAR10(str(tmp_path), train=False)


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {shlex.quote(self.marker)}",)


@pytest.mark.parametrize("where", ["top", "nested"])
def test_malicious_pickle_is_refused_without_running(tmp_path, where):
    folder, md5s, _ = make_cifar(str(tmp_path))
    marker = str(tmp_path / "pwned")
    path = os.path.join(folder, "data_batch_1")
    payload = _Evil(marker) if where == "top" else {"data": np.zeros((1, 3072), np.uint8),
                                                   "labels": [0, _Evil(marker)]}
    with open(path, "wb") as f:
        pickle.dump(payload, f, protocol=2)
    md5s["data_batch_1"] = md5(path)  # the checksum matches: only the unpickler stands in the way
    CIFAR10 = local_cifar(datasets.CIFAR10, md5s)
    with pytest.raises(pickle.UnpicklingError, match=r"refusing to load '(posix|nt)\.system'.*nothing in it was run"):
        CIFAR10(str(tmp_path), train=True)
    assert not os.path.exists(marker)
    with open(path, "rb") as f:
        pickle.load(f)  # proof that the file is live: the ordinary unpickler runs the command
    assert os.path.exists(marker)


@pytest.mark.parametrize("payload", [
    b"\x80\x02cbuiltins\neval\nX\x04\x00\x00\x001+1\x85R.",
    b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00aX\x04\x00\x00\x00zlib\x86R.",
    b"\x80\x02cnumpy\ndtype\nX\x01\x00\x00\x00O\x85R.",
    b"\x80\x02cnumpy\nload\nX\x01\x00\x00\x00a\x85R.",
])
def test_safe_load_refuses_other_globals(tmp_path, payload):
    p = tmp_path / "f"
    p.write_bytes(payload)
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        safe_load(str(p))


def test_safe_load_round_trips_plain_data(tmp_path):
    obj = {"a": [1, 2, "x", b"raw"], "n": np.arange(6, dtype=np.int64).reshape(2, 3), "s": np.float32(1.5)}
    for proto in (2, 4, 5):
        p = tmp_path / f"ok{proto}"
        dump(obj, str(p), f"p{proto}")
        back = safe_load(str(p))
        assert back["a"] == obj["a"] and back["s"] == obj["s"]
        np.testing.assert_array_equal(back["n"], obj["n"])
    (tmp_path / "bad").write_bytes(b"\x80\x02}q\x00")
    with pytest.raises(pickle.UnpicklingError, match="not a valid pickle"):
        safe_load(str(tmp_path / "bad"))
