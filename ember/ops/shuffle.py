"""Rearranging channels: ``pixel_shuffle`` / ``pixel_unshuffle`` (channels <-> spatial blocks) and
``channel_shuffle`` (interleaving channel groups).

Each is a reshape, a permutation of dims and a reshape (``views``), so the gradient is the inverse
rearrangement and every order of derivative works:
    pixel_shuffle:   (*, C r², H, W) -> (*, C, r, r, H, W) -> (*, C, H, r, W, r) -> (*, C, H r, W r)
    channel_shuffle: (N, g k, *) -> (N, g, k, *) -> (N, k, g, *) -> (N, k g, *)
"""
from .rearrange import clone
from .views import permute, reshape

__all__ = ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle"]


def _check(name, input, factor):
    if input.ndim < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input with {input.ndim} "
                           f"dimension(s)")
    if int(factor) <= 0:
        what = "upscale_factor" if name == "pixel_shuffle" else "downscale_factor"
        raise RuntimeError(f"{name} expects a positive {what}, but got {factor}")
    return int(factor)


def pixel_shuffle(input, upscale_factor):
    """(*, C r², H, W) -> (*, C, H r, W r) with r = ``upscale_factor`` (sub-pixel convolution).

    Example:
        >>> ember.nn.functional.pixel_shuffle(ember.randn(1, 8, 3, 3), 2).shape
        ember.Size([1, 2, 6, 6])
    """
    r = _check("pixel_shuffle", input, upscale_factor)
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    n = len(lead)
    x = reshape(input, (*lead, c // (r * r), r, r, h, w))
    x = permute(x, (*range(n), n, n + 3, n + 1, n + 4, n + 2))
    return reshape(x, (*lead, c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r², H, W) with r = ``downscale_factor`` (inverse of pixel_shuffle).

    Example:
        >>> ember.nn.functional.pixel_unshuffle(ember.randn(1, 2, 6, 6), 2).shape
        ember.Size([1, 8, 3, 3])
    """
    r = _check("pixel_unshuffle", input, downscale_factor)
    *lead, c, h, w = input.shape
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)="
                           f"{h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)="
                           f"{w} is not divisible by {r}")
    n = len(lead)
    x = reshape(input, (*lead, c, h // r, r, w // r, r))
    x = permute(x, (*range(n), n, n + 2, n + 4, n + 1, n + 3))
    return reshape(x, (*lead, c * r * r, h // r, w // r))


def channel_shuffle(input, groups):
    """Split the C channels of (N, C, *) into ``groups`` groups and interleave them (ShuffleNet).

    Example:
        >>> ember.nn.functional.channel_shuffle(ember.arange(4.).reshape(1, 4, 1), 2).flatten()
        tensor([0., 2., 1., 3.])
    """
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    g = int(groups)
    if g <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    n, c, *rest = input.shape
    if c % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {g} groups.")
    x = reshape(input, (n, g, c // g, *rest))
    x = permute(x, (0, 2, 1, *range(3, x.ndim)))
    return clone(reshape(x, (n, c, *rest)))


native_channel_shuffle = channel_shuffle
