"""Image helpers: ``make_grid`` tiles a batch of images into one image (torchvision.utils)."""
import math

import numpy as np

from .._tensor import Tensor, _wrap

__all__ = ["make_grid"]


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """Tile images ``(B, C, H, W)`` (or a list of ``(C, H, W)``) into one ``(C, H', W')`` image,
    ``nrow`` per row with ``padding`` pixels of ``pad_value`` around each.

    Grey images become 3-channel. ``normalize`` rescales to [0, 1] using ``value_range`` (default:
    the min and max of the batch, or of each image with ``scale_each``).

    Example:
        >>> make_grid(ember.rand(16, 3, 32, 32), nrow=4).shape
        ember.Size([3, 138, 138])
    """
    if isinstance(tensor, (list, tuple)):
        arr = np.stack([t._data if isinstance(t, Tensor) else np.asarray(t) for t in tensor])
    elif isinstance(tensor, Tensor):
        arr = tensor._data
    else:
        raise TypeError(f"make_grid: expected a Tensor or a list of Tensors, got {type(tensor).__name__}")
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        arr = np.concatenate([arr] * 3) if arr.shape[0] == 1 else arr
        arr = arr[None]
    if arr.ndim != 4:
        raise ValueError(f"make_grid: expected images (B, C, H, W), (C, H, W) or (H, W), got shape {arr.shape}")
    if arr.shape[1] == 1:
        arr = np.concatenate([arr] * 3, axis=1)
    if normalize:
        arr = arr.astype(np.float32) if arr.dtype.kind != "f" else arr.copy()

        def rescale(x, lo, hi):
            np.clip(x, lo, hi, out=x)
            x -= lo
            x /= max(hi - lo, 1e-5)
        if scale_each:
            for img in arr:
                lo, hi = value_range if value_range is not None else (img.min(), img.max())
                rescale(img, lo, hi)
        else:
            lo, hi = value_range if value_range is not None else (arr.min(), arr.max())
            rescale(arr, lo, hi)
    if arr.shape[0] == 1:
        return _wrap(arr[0].copy())
    b, c, h, w = arr.shape
    per_row = min(nrow, b)
    rows = int(math.ceil(b / per_row))
    cell_h, cell_w = h + padding, w + padding
    grid = np.full((c, cell_h * rows + padding, cell_w * per_row + padding), pad_value, dtype=arr.dtype)
    for k in range(b):
        y, x = divmod(k, per_row)
        grid[:, y * cell_h + padding:y * cell_h + padding + h, x * cell_w + padding:x * cell_w + padding + w] = arr[k]
    return _wrap(grid)
