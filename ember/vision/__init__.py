"""ember.vision: image data sets, transforms and helpers (torchvision's API).

Example:
    >>> from ember.vision import datasets, transforms
    >>> mnist = datasets.MNIST("data", download=True, transform=transforms.ToTensor())
"""
from . import datasets, transforms, utils  # noqa: F401

__all__ = ["datasets", "transforms", "utils"]
