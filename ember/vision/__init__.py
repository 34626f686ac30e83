"""ember.vision: image data sets and transforms (torchvision's API).

Example:
    >>> from ember.vision import datasets, transforms
    >>> mnist = datasets.MNIST("data", download=True, transform=transforms.ToTensor())
"""
from . import datasets, transforms  # noqa: F401

__all__ = ["datasets", "transforms"]
