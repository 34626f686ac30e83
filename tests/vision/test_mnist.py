"""MNIST / FashionMNIST from IDX files written by the test (plain and gzipped)."""
import gzip
import os

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader
from ember.vision import datasets, transforms
from ember.vision.datasets.mnist import read_idx
from tests.vision._fake import make_mnist, write_idx


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_idx(tmp_path, gz):
    content = make_mnist(str(tmp_path / "MNIST" / "raw"), gz=gz)
    train = datasets.MNIST(str(tmp_path), train=True)
    assert len(train) == 5 and train.data.shape == (5, 28, 28) and train.data.dtype == ember.uint8
    assert train.targets.dtype == ember.int64
    np.testing.assert_array_equal(train.data.numpy(), content["train"][0])
    np.testing.assert_array_equal(train.targets.numpy(), content["train"][1])
    img, label = train[2]
    assert img.shape == (28, 28) and img.dtype == np.uint8 and label == int(content["train"][1][2])
    assert isinstance(label, int)
    test = datasets.MNIST(str(tmp_path), train=False, transform=transforms.ToTensor())
    x, _ = test[0]
    assert x.shape == (1, 28, 28) and x.dtype == ember.float32
    np.testing.assert_allclose(x.numpy()[0], content["t10k"][0][0] / 255.0, rtol=1e-6)
    xb, yb = next(iter(DataLoader(test, batch_size=3)))
    assert xb.shape == (3, 1, 28, 28) and yb.tolist() == content["t10k"][1].tolist()


def test_classes():
    assert datasets.MNIST.classes[3] == "3 - three" and len(datasets.MNIST.classes) == 10
    assert datasets.FashionMNIST.classes[0] == "T-shirt/top" and datasets.FashionMNIST.classes[9] == "Ankle boot"


def test_fashion_mnist_uses_its_own_folder(tmp_path):
    make_mnist(str(tmp_path / "FashionMNIST" / "raw"), gz=True, seed=3)
    ds = datasets.FashionMNIST(str(tmp_path), train=False)
    assert len(ds) == 3 and ds.class_to_idx["Bag"] == 8
    with pytest.raises(RuntimeError, match="MNIST: dataset not found"):
        datasets.MNIST(str(tmp_path))


def test_missing_files_say_where_and_how(tmp_path):
    with pytest.raises(RuntimeError) as err:
        datasets.MNIST(str(tmp_path), train=False)
    msg = str(err.value)
    assert os.path.join(str(tmp_path), "MNIST", "raw", "t10k-images-idx3-ubyte") in msg
    assert "download=True" in msg and ".gz" in msg


def test_read_idx_dtypes_and_errors(tmp_path):
    arr = np.arange(12, dtype=np.int32).reshape(3, 4) - 5
    write_idx(str(tmp_path / "a"), arr)
    back = read_idx(str(tmp_path / "a"))
    assert back.dtype == np.int32 and back.dtype.isnative
    np.testing.assert_array_equal(back, arr)
    f = np.linspace(0, 1, 5, dtype=np.float32)
    write_idx(str(tmp_path / "f.gz"), f, gz=True)
    np.testing.assert_array_equal(read_idx(str(tmp_path / "f.gz")), f)
    (tmp_path / "bad").write_bytes(b"PK\x03\x04rest")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(str(tmp_path / "bad"))
    raw = (tmp_path / "a").read_bytes()
    (tmp_path / "short").write_bytes(raw[:-3])
    with pytest.raises(ValueError, match="truncated or corrupted"):
        read_idx(str(tmp_path / "short"))
    with gzip.open(tmp_path / "short.gz", "wb") as g:
        g.write(raw[:-3])
    with pytest.raises(ValueError, match="truncated"):
        read_idx(str(tmp_path / "short.gz"))
