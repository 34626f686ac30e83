"""download=True against a local HTTP server on 127.0.0.1 serving archives the test builds."""
import os
import shutil
import tarfile
import urllib.error

import numpy as np
import pytest

from ember.vision import datasets
from ember.vision.datasets.utils import download_url, extract_archive
from tests.vision._fake import LocalServer, local_cifar, make_cifar, make_mnist, md5, tar_gz


@pytest.fixture
def server(tmp_path, monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    srv_dir = tmp_path / "srv"
    srv_dir.mkdir()
    srv = LocalServer(srv_dir)
    srv.dir = srv_dir
    yield srv
    srv.close()


def test_cifar10_download_verify_extract(tmp_path, server):
    build = tmp_path / "build"
    folder, md5s, content = make_cifar(str(build))
    archive_md5 = tar_gz(folder, str(server.dir / "cifar-10-python.tar.gz"))
    Local = local_cifar(datasets.CIFAR10, md5s)
    Local.url = server.url + "cifar-10-python.tar.gz"
    Local.tgz_md5 = archive_md5
    root = tmp_path / "data"
    train = Local(str(root), train=True, download=True)
    assert len(train) == 30
    np.testing.assert_array_equal(train.data[0].transpose(2, 0, 1).reshape(-1), content["data_batch_1"][0][0])
    assert (root / "cifar-10-python.tar.gz").exists() and not (root / "cifar-10-python.tar.gz.part").exists()
    (server.dir / "cifar-10-python.tar.gz").unlink()  # already verified: no second download
    assert len(Local(str(root), train=False, download=True)) == 6


def test_checksum_mismatch_deletes_download(tmp_path, server):
    folder, md5s, _ = make_cifar(str(tmp_path / "build"))
    tar_gz(folder, str(server.dir / "cifar-10-python.tar.gz"))
    Local = local_cifar(datasets.CIFAR10, md5s)
    Local.url = server.url + "cifar-10-python.tar.gz"
    Local.tgz_md5 = "0" * 32
    root = tmp_path / "data"
    with pytest.raises(RuntimeError, match="Checksum mismatch .* expected md5 0000"):
        Local(str(root), download=True)
    assert not any(root.iterdir())


def test_http_error_propagates(tmp_path, server):
    with pytest.raises(urllib.error.HTTPError):
        download_url(server.url + "missing.tar.gz", str(tmp_path / "d"))
    assert not os.listdir(tmp_path / "d")


def test_mnist_download_tries_mirrors(tmp_path, server):
    good = server.dir / "good"
    content = make_mnist(str(good), gz=True)
    resources = [(f, md5(str(good / f))) for f in sorted(os.listdir(good))]

    class MNIST(datasets.MNIST):
        pass
    MNIST.mirrors = [server.url + "nowhere/", server.url + "good/"]
    MNIST.resources = resources
    train = MNIST(str(tmp_path / "data"), train=True, download=True)
    np.testing.assert_array_equal(train.data.numpy(), content["train"][0])
    raw = tmp_path / "data" / "MNIST" / "raw"
    assert (raw / "train-images-idx3-ubyte").exists() and (raw / "train-images-idx3-ubyte.gz").exists()
    MNIST.mirrors = [server.url + "nowhere/"]
    shutil.rmtree(raw)
    with pytest.raises(RuntimeError, match="(?s)could not download .*nowhere.*404"):
        MNIST(str(tmp_path / "data"), download=True)


@pytest.mark.parametrize("builtin_filter", [True, False])
def test_extract_refuses_paths_outside(tmp_path, monkeypatch, builtin_filter):
    if not builtin_filter:
        monkeypatch.delattr(tarfile, "data_filter", raising=False)  # the check used on older Pythons
    evil = tmp_path / "evil.tar.gz"
    (tmp_path / "x.txt").write_text("x")
    with tarfile.open(evil, "w:gz") as tar:
        tar.add(tmp_path / "x.txt", arcname="../../escaped.txt")
    with pytest.raises((tarfile.TarError, RuntimeError), match="outside"):
        extract_archive(str(evil), str(tmp_path / "out"))
    assert not (tmp_path.parent / "escaped.txt").exists()
    with pytest.raises(RuntimeError, match="unsupported archive"):
        extract_archive(str(tmp_path / "x.txt"))
