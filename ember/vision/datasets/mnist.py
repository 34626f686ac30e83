"""MNIST and Fashion-MNIST from IDX files (gzipped or not) under ``root/<ClassName>/raw``."""
import gzip
import math
import os
import urllib.error
import zlib

import numpy as np

from ..._tensor import _wrap
from .utils import download_and_extract_archive
from .vision import VisionDataset

__all__ = ["MNIST", "FashionMNIST", "read_idx"]

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """Read an IDX file (``.gz`` or plain) into a NumPy array.

    Example:
        >>> read_idx("MNIST/raw/train-labels-idx1-ubyte").shape
        (60000,)
    """
    gz = str(path).endswith(".gz")
    size = os.path.getsize(path)
    # what the file can hold: its size, or for gzip the most DEFLATE can inflate it to (about 1032:1)
    limit = size * 1032 + (1 << 16) if gz else size
    with (gzip.open if gz else open)(path, "rb") as f:
        head = _read_exactly(f, 4, path)
        if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _IDX_DTYPES:
            raise ValueError(f"{path} is not an IDX file: its first 4 bytes are {bytes(head)!r}, expected 0, 0, a "
                             f"type code ({', '.join(hex(k) for k in _IDX_DTYPES)}) and the number of dimensions")
        ndim = head[3]
        header = 4 + 4 * ndim
        dims = _read_exactly(f, 4 * ndim, path)
        if len(dims) < 4 * ndim:
            raise ValueError(f"{path}: truncated IDX header ({4 + len(dims)} bytes for {ndim} dimensions)")
        shape = tuple(int(x) for x in np.frombuffer(bytes(dims), ">u4", ndim))
        dt = np.dtype(_IDX_DTYPES[head[2]])
        expected = header + math.prod(shape) * dt.itemsize
        if expected > limit:
            raise ValueError(f"{path}: IDX header says shape {shape} of {dt} ({expected} bytes with the header) "
                             f"but the file ({size} bytes{', gzip' if gz else ''}) cannot hold that much; "
                             f"it is truncated or corrupted")
        body = _read_exactly(f, expected - header, path)  # exactly what the header declares, no more
        extra = len(f.read(1))
    if len(body) != expected - header or extra:
        got = header + len(body) if not extra else "more than that"
        raise ValueError(f"{path}: IDX header says shape {shape} of {dt} ({expected} bytes with the header) "
                         f"but the {'decompressed ' if gz else ''}file has {got} bytes; it is truncated or corrupted")
    arr = np.frombuffer(body, dt).reshape(shape)
    return arr if dt.isnative else arr.astype(dt.newbyteorder("="))


def _read_exactly(f, n, path):
    """Up to ``n`` bytes of ``f`` read in chunks, so a short file costs only what it holds."""
    out = bytearray()
    try:
        while len(out) < n:
            chunk = f.read(min(n - len(out), 1 << 24))
            if not chunk:
                break
            out += chunk
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError(f"{path}: cannot be read as IDX data ({type(e).__name__}: {e}); it is corrupted") from None
    return out


class MNIST(VisionDataset):
    """MNIST handwritten digits: 28x28 grey images, labels 0..9 (60,000 train, 10,000 test).

    Reads ``root/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (or the same names
    with ``.gz``). ``data`` is a uint8 tensor (N, 28, 28), ``targets`` an int64 tensor; samples
    are ``(image, label)`` with the image a ``(28, 28)`` uint8 NumPy array (torchvision gives a
    PIL image; ``transforms.ToTensor()`` accepts both). ``mirrors`` and ``resources`` (file name,
    md5) are class attributes.

    Example:
        >>> train = MNIST("data", train=True, download=True, transform=transforms.ToTensor())
        >>> img, label = train[0]; img.shape
        ember.Size([1, 28, 28])
    """
    mirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        prefix = "train" if train else "t10k"
        images = read_idx(self._find(f"{prefix}-images-idx3-ubyte"))
        labels = read_idx(self._find(f"{prefix}-labels-idx1-ubyte"))
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise RuntimeError(f"{type(self).__name__}: expected images (N, H, W) and N labels, got image shape "
                               f"{images.shape} and label shape {labels.shape}")
        self.data = _wrap(np.ascontiguousarray(images.astype(np.uint8)))
        self.targets = _wrap(labels.astype(np.int64))

    @property
    def raw_folder(self):
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def _find(self, name):
        for candidate in (name, name + ".gz"):
            path = os.path.join(self.raw_folder, candidate)
            if os.path.isfile(path):
                return path
        prefix = "train" if self.train else "t10k"
        expected = [os.path.join(self.raw_folder, f"{prefix}-{k}-ubyte") for k in ("images-idx3", "labels-idx1")]
        raise RuntimeError(f"{type(self).__name__}: dataset not found; expected {expected[0]} and {expected[1]} "
                           f"(plain or .gz). Use {type(self).__name__}(root={self.root!r}, download=True) to "
                           f"download them from {self.mirrors[0]}, or place the IDX files there.")

    def _check_exists(self):
        names = [os.path.splitext(f)[0] for f, _ in self.resources]
        return all(os.path.isfile(os.path.join(self.raw_folder, n)) or
                   os.path.isfile(os.path.join(self.raw_folder, n + ".gz")) for n in names)

    def download(self):
        """Fetch the four files from the first mirror that works, verify them and un-gzip them."""
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        for filename, md5 in self.resources:
            errors = []
            for mirror in self.mirrors:
                url = f"{mirror}{filename}"
                try:
                    download_and_extract_archive(url, self.raw_folder, filename=filename, md5=md5)
                    break
                except (urllib.error.URLError, OSError, RuntimeError) as e:
                    errors.append(f"{url}: {e}")
            else:
                raise RuntimeError(f"{type(self).__name__}: could not download {filename}; tried:\n  "
                                   + "\n  ".join(errors))

    def __getitem__(self, index):
        return self._apply(self.data._data[index], int(self.targets._data[index]))

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"


class FashionMNIST(MNIST):
    """Fashion-MNIST: 28x28 grey images of 10 kinds of clothing, same layout as ``MNIST`` under
    ``root/FashionMNIST/raw``.

    Example:
        >>> test = FashionMNIST("data", train=False, download=True); test.classes[9]
        'Ankle boot'
    """
    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]
    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
