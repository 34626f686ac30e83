"""Image data sets with torchvision's API: CIFAR10, CIFAR100, MNIST, FashionMNIST.

Example:
    >>> from ember.vision import datasets, transforms
    >>> train = datasets.CIFAR10("data", train=True, download=True, transform=transforms.ToTensor())
"""
from .cifar import CIFAR10, CIFAR100
from .mnist import MNIST, FashionMNIST
from .vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100", "MNIST", "FashionMNIST", "VisionDataset"]
