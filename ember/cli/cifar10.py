"""``ember train cifar10``: the tutorial's CIFAR-10 network on the CIFAR-10 python-version files.

``--root DIR`` is the directory holding ``cifar-10-batches-py/`` (as extracted from
``cifar-10-python.tar.gz``); the files are read by ``ember.vision.datasets.CIFAR10`` (restricted
unpickler, MD5 checks). The official 50,000/10,000 train/test split is used; pixels are scaled
to [0, 1] and standardized per channel with the training images' statistics
(``--no-standardize``: [0, 1] only). ``--limit N`` trains on the first N training images (and
evaluates on the first N/5 test images) for a quick run: NumPy convolutions take minutes per
full epoch.

``--synthetic`` replaces the files by random 32x32x3 images with random labels (1,024 train,
256 test): a smoke test of the whole pipeline, not a benchmark; expect chance accuracy (~0.1).

Model (the tutorial's): Conv2d(3, 32, 5, padding=2) -> MaxPool2d(2) -> Conv2d(32, 32, 5,
padding=2) -> MaxPool2d(2) -> Conv2d(32, 64, 5, padding=2) -> MaxPool2d(2) -> Flatten ->
Linear(1024, 64) -> Linear(64, 10).
"""
import numpy as np

import ember
from ember import nn
from ember.utils.data import Dataset

from .trainer import CLIError, Task, fingerprint

DEFAULTS = {"epochs": 10, "batch_size": 64, "lr": 1e-3, "optimizer": "adam", "scheduler": "cosine",
            "weight_decay": 0.0, "standardize": True, "seed": 0, "root": None, "synthetic": False, "limit": None}
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def cifar10_net():
    """The tutorial's network for 3x32x32 images and 10 classes."""
    return nn.Sequential(
        nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 10))


class ImageArrayDataset(Dataset):
    """uint8 NHWC images + int labels -> (float32 CHW tensor, int64 label), batched in one NumPy step."""

    def __init__(self, images, labels, mean, std):
        self.images, self.labels = images, np.asarray(labels, np.int64)
        self.scale = (1.0 / (255.0 * std)).astype(np.float32)
        self.shift = (mean / std).astype(np.float32)

    def __len__(self):
        return len(self.images)

    def _convert(self, imgs):
        x = imgs.astype(np.float32) * self.scale - self.shift       # NHWC, per-channel affine
        return np.ascontiguousarray(x.transpose(0, 3, 1, 2))

    def __getitem__(self, i):
        return ember.tensor(self._convert(self.images[i:i + 1])[0]), ember.tensor(self.labels[i])

    def __getitems__(self, indices):
        idx = np.asarray(indices)
        return [ember.tensor(self._convert(self.images[idx])), ember.tensor(self.labels[idx])]


def _batch_is_ready(batch):
    """collate_fn for ImageArrayDataset: __getitems__ already returns the stacked batch."""
    return batch


def load_arrays(config):
    if config["synthetic"]:
        rng = np.random.default_rng(config["seed"] % 2 ** 64)  # negative seeds are valid, as in PyTorch
        n_train, n_test = 1024, 256
        if config.get("limit"):
            n_train, n_test = min(n_train, config["limit"]), min(n_test, max(1, config["limit"] // 5))
        return (rng.integers(0, 256, (n_train, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, n_train),
                rng.integers(0, 256, (n_test, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, n_test),
                list(CLASSES), "synthetic random images")
    if not config["root"]:
        raise CLIError("cifar10 needs --root DIR (the folder holding cifar-10-batches-py/) or --synthetic")
    try:
        from ember.vision.datasets import CIFAR10
        train = CIFAR10(config["root"], train=True)
        test = CIFAR10(config["root"], train=False)
    except RuntimeError as e:
        raise CLIError(f"--root: {e}") from None
    xtr, ytr, xte, yte = train.data, np.asarray(train.targets), test.data, np.asarray(test.targets)
    if config.get("limit"):
        n = config["limit"]
        xtr, ytr, xte, yte = xtr[:n], ytr[:n], xte[:max(1, n // 5)], yte[:max(1, n // 5)]
    return xtr, ytr, xte, yte, list(train.classes), config["root"]


def build_task(config):
    xtr, ytr, xte, yte, classes, source = load_arrays(config)
    if config["standardize"]:
        mean = xtr.reshape(-1, 3).mean(0) / 255.0
        std = xtr.reshape(-1, 3).std(0) / 255.0
        std[std == 0] = 1.0
    else:
        mean, std = np.zeros(3), np.ones(3)
    task = Task(name="cifar10",
                train_set=ImageArrayDataset(xtr, ytr, mean, std),
                test_set=ImageArrayDataset(xte, yte, mean, std),
                build_model=lambda cfg: cifar10_net(), classes=classes, collate_fn=_batch_is_ready,
                fingerprint=fingerprint(xtr[:256], ytr, xte[:64], yte),
                extra={"standardization": {"mean": mean.astype(np.float32), "std": std.astype(np.float32)}})
    return task, source
