"""CIFAR-10 and CIFAR-100 from the standard "python version" batch files."""
import os

import numpy as np

from .safe_pickle import safe_load
from .utils import calculate_md5, download_and_extract_archive
from .vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100"]


def _field(entry, *keys):
    """entry[key] for the first key present (str keys, or bytes keys from a Python 3 bytes pickle)."""
    for k in keys:
        for kk in (k, k.encode()):
            if kk in entry:
                return entry[kk]
    return None


class CIFAR10(VisionDataset):
    """CIFAR-10: 32x32 colour images in 10 classes (50,000 train, 10,000 test).

    Reads ``root/cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}`` through a
    restricted unpickler (a crafted file cannot run code) and checks every file's MD5. Samples
    are ``(image, label)`` with the image an ``(32, 32, 3)`` uint8 NumPy array (torchvision gives
    a PIL image; ``transforms.ToTensor()`` accepts both). ``url``, ``tgz_md5``, ``train_list``,
    ``test_list`` and ``meta`` are class attributes, so a subclass can point at a mirror.

    Example:
        >>> train = CIFAR10("data", train=True, download=True, transform=transforms.ToTensor())
        >>> img, label = train[0]; train.classes[label]
    """
    base_folder = "cifar-10-batches-py"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    filename = "cifar-10-python.tar.gz"
    tgz_md5 = "c58f30108f718f92721af3b95e74349a"
    train_list = [
        ["data_batch_1", "c99cafc152244af753f735de768cd75f"],
        ["data_batch_2", "d4bba439e000b95fd0a9bffe97cbabec"],
        ["data_batch_3", "54ebc095f3ab1f0389bbae665268c751"],
        ["data_batch_4", "634d18415352ddfa80567beed471001a"],
        ["data_batch_5", "482c414d41f54cd18b22e5b47cb7c3cb"],
    ]
    test_list = [["test_batch", "40351d587109b95175f43aff81a1287e"]]
    meta = {"filename": "batches.meta", "key": "label_names", "md5": "5ff9c542aee3614f3951f8cda6e48888"}
    size_mb = 163

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train
        if download:
            self.download()
        self._check_files(self.train_list if train else self.test_list)
        data, targets = [], []
        for name, _ in (self.train_list if train else self.test_list):
            path = os.path.join(self.root, self.base_folder, name)
            entry = safe_load(path)
            images = _field(entry, "data") if isinstance(entry, dict) else None
            labels = _field(entry, "labels", "fine_labels") if isinstance(entry, dict) else None
            if not isinstance(images, np.ndarray) or images.ndim != 2 or images.shape[1] != 3072 \
                    or images.dtype != np.uint8 or labels is None or len(labels) != len(images):
                raise RuntimeError(f"{type(self).__name__}: {path} is not a CIFAR batch (expected a dict with "
                                   f"'data': uint8 array (N, 3072) and N 'labels'); delete it and download again")
            data.append(images)
            targets.extend(int(x) for x in labels)
        self.data = np.vstack(data).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)   # NHWC
        self.targets = targets
        self._load_meta()

    def _paths(self, files):
        return [(os.path.join(self.root, self.base_folder, name), md5) for name, md5 in files]

    def _how_to_get(self):
        return (f"Use {type(self).__name__}(root={self.root!r}, download=True) to download it from {self.url} "
                f"(about {self.size_mb} MB), or extract {self.filename} into {self.root}")

    def _check_files(self, files):
        paths = self._paths(files)
        missing = [p for p, _ in paths if not os.path.isfile(p)]
        if missing:
            raise RuntimeError(f"{type(self).__name__}: dataset not found; missing {', '.join(missing)}. "
                               f"{self._how_to_get()}.")
        for p, md5 in paths:
            if md5 is not None and calculate_md5(p) != md5:
                raise RuntimeError(f"{type(self).__name__}: {p} is corrupted (md5 {calculate_md5(p)}, expected "
                                   f"{md5}). Delete it and use download=True to fetch it again.")

    def _check_integrity(self):
        try:
            self._check_files(self.train_list + self.test_list)
        except RuntimeError:
            return False
        return True

    def _load_meta(self):
        self._check_files([[self.meta["filename"], self.meta.get("md5")]])
        path = os.path.join(self.root, self.base_folder, self.meta["filename"])
        meta = safe_load(path)
        names = _field(meta, self.meta["key"]) if isinstance(meta, dict) else None
        if not isinstance(names, list):
            raise RuntimeError(f"{type(self).__name__}: {path} has no '{self.meta['key']}' list of class names")
        self.classes = [n.decode() if isinstance(n, bytes) else n for n in names]
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def download(self):
        """Fetch and extract the archive unless the files are already there and verified."""
        if self._check_integrity():
            print("Files already downloaded and verified")
            return
        download_and_extract_archive(self.url, self.root, filename=self.filename, md5=self.tgz_md5)

    def __getitem__(self, index):
        return self._apply(self.data[index], self.targets[index])

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR-100: like ``CIFAR10`` with 100 fine classes (``root/cifar-100-python/{train, test, meta}``).

    Example:
        >>> test = CIFAR100("data", train=False, download=True)
    """
    base_folder = "cifar-100-python"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    filename = "cifar-100-python.tar.gz"
    tgz_md5 = "eb9058c3a382ffc7106e4002c42a8d85"
    train_list = [["train", "16019d7e3df5f24257cddd939b257f8d"]]
    test_list = [["test", "f0ef6b0ae62326f3e7ffdfab6717acfc"]]
    meta = {"filename": "meta", "key": "fine_label_names", "md5": "7973b15100ade9c7d40fb424638fde48"}
    size_mb = 161
