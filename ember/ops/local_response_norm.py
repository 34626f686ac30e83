"""Local response normalization (AlexNet): each element divided by a power of the mean square of its
neighbours across channels.

    y[n, c] = x[n, c] / (k + alpha / size * sum_{c' in window(c)} x[n, c']²) ** beta

with the window c - size // 2 .. c + (size - 1) // 2, zero beyond the channel range. Built, as
PyTorch does, from a square, a zero pad along channels, an average pool and elementwise ops, so its
gradient (and every higher one) comes from theirs.
"""
from .arithmetic import add, div, mul, pow
from .padding import pad
from .pool import avg_pool2d
from .views import reshape

__all__ = ["local_response_norm"]


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Normalize (N, C, *) across ``size`` neighbouring channels.

    Example:
        >>> ember.nn.functional.local_response_norm(ember.randn(2, 6, 4, 4), size=3).shape
        ember.Size([2, 6, 4, 4])
    """
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)")
    if input.numel() == 0:
        return input
    n, c = input.shape[0], input.shape[1]
    sq = reshape(mul(input, input), (n, 1, c, -1))
    sq = pad(sq, (0, 0, size // 2, (size - 1) // 2))
    div_ = reshape(avg_pool2d(sq, (size, 1), stride=1), input.shape)
    div_ = pow(add(mul(div_, alpha), k), beta)
    return div(input, div_)
