"""Image transforms with torchvision's API.

Images are ember Tensors ``(..., C, H, W)``, NumPy arrays ``(H, W)`` / ``(H, W, C)`` (what
ember's data sets return) or PIL images when Pillow is installed (it is not required). Random
transforms draw from ember's global random stream, so ``ember.manual_seed`` repeats them and
DataLoader workers (seeded per worker) give different augmentations.

Example:
    >>> t = Compose([RandomCrop(32, padding=4), RandomHorizontalFlip(), ToTensor(),
    ...              Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))])
"""
import enum
import numbers

import numpy as np

from .. import _dtype
from .._creation import as_tensor
from .. import _sampling
from .._random import default_generator
from .._tensor import Tensor, _wrap

__all__ = ["Compose", "ToTensor", "PILToTensor", "Normalize", "RandomHorizontalFlip", "RandomVerticalFlip",
           "RandomCrop", "CenterCrop", "Lambda", "Resize", "InterpolationMode"]

try:  # Pillow is optional: used only when the input is a PIL image
    from PIL import Image as _PILImage
except ImportError:  # pragma: no cover
    _PILImage = None


def _is_pil(img):
    return _PILImage is not None and isinstance(img, _PILImage.Image)


def _check_image(img, who):
    if not (isinstance(img, (Tensor, np.ndarray)) or _is_pil(img)):
        raise TypeError(f"{who}: expected an image as an ember Tensor (..., C, H, W), a NumPy array (H, W) or "
                        f"(H, W, C), or a PIL image; got {type(img).__name__}")


def _size_hw(img):
    """(height, width) of a Tensor (..., H, W), an ndarray (H, W[, C]) or a PIL image."""
    if isinstance(img, Tensor):
        if img._data.ndim < 2:
            raise ValueError(f"expected a tensor image of shape (..., H, W), got shape {tuple(img.shape)}")
        return img._data.shape[-2], img._data.shape[-1]
    if isinstance(img, np.ndarray):
        if img.ndim not in (2, 3):
            raise ValueError(f"expected a NumPy image of shape (H, W) or (H, W, C), got shape {img.shape}")
        return img.shape[0], img.shape[1]
    w, h = img.size
    return h, w


def _setup_size(size, name):
    if isinstance(size, numbers.Integral):
        return int(size), int(size)
    size = tuple(size)
    if len(size) == 1:
        return int(size[0]), int(size[0])
    if len(size) != 2:
        raise ValueError(f"{name}: size should be an int or a sequence of 1 or 2 ints (h, w), got {size}")
    return int(size[0]), int(size[1])


def _array_op(img, fn):
    """Apply ``fn`` to the pixels as an (H, W, ...) or (..., H, W) array and rebuild the same kind."""
    if isinstance(img, Tensor):
        return _wrap(fn(img._data, -2))
    if isinstance(img, np.ndarray):
        return fn(img, 0)
    return _PILImage.fromarray(fn(np.asarray(img), 0))



def _draw_below(p):
    """``torch.rand(1) < p`` on the global stream, as torchvision's random transforms decide."""
    return _sampling.uniform(default_generator, (1,), np.float32)[0] < np.float32(p)

class Compose:
    """Apply transforms one after another.

    Example:
        >>> Compose([ToTensor(), Normalize((0.5,), (0.5,))])(np.zeros((28, 28), np.uint8))
    """

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        inner = "".join(f"\n    {t}" for t in self.transforms)
        return f"{type(self).__name__}({inner}\n)"


class ToTensor:
    """HWC image (uint8 NumPy array or PIL image) to a CHW float tensor in [0, 1].

    ``(H, W)`` arrays gain a channel dim. Arrays that are not uint8 keep their values and dtype
    (as torchvision does).

    Example:
        >>> ToTensor()(np.full((2, 2, 3), 255, np.uint8)).shape
        ember.Size([3, 2, 2])
    """

    def __call__(self, pic):
        if _is_pil(pic):
            arr = np.array(pic)
            if arr.dtype == np.bool_:
                arr = arr.astype(np.uint8) * 255
        elif isinstance(pic, np.ndarray):
            arr = pic
        else:
            raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}"
                            + (" (it is already a Tensor: drop ToTensor from the pipeline)"
                               if isinstance(pic, Tensor) else ""))
        if arr.ndim == 2:
            arr = arr[:, :, None]
        if arr.ndim != 3:
            raise ValueError(f"pic should be 2/3 dimensional. Got {arr.ndim} dimensions.")
        chw = np.ascontiguousarray(arr.transpose(2, 0, 1))
        if chw.dtype == np.uint8:
            out = chw.astype(_dtype.get_default_dtype().np)
            out /= 255
            return _wrap(out)
        return as_tensor(chw)

    def __repr__(self):
        return "ToTensor()"


class PILToTensor:
    """HWC image to a CHW tensor of the same dtype, without scaling.

    Example:
        >>> PILToTensor()(np.zeros((4, 4, 3), np.uint8)).dtype
        ember.uint8
    """

    def __call__(self, pic):
        arr = np.array(pic) if _is_pil(pic) else pic
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
        if arr.ndim == 2:
            arr = arr[:, :, None]
        return as_tensor(np.ascontiguousarray(arr.transpose(2, 0, 1)))

    def __repr__(self):
        return "PILToTensor()"


class Normalize:
    """Per-channel ``(x - mean) / std`` on a float tensor image ``(..., C, H, W)``.

    Example:
        >>> Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))(ember.ones(3, 2, 2)).sum().item()
        12.0
    """

    def __init__(self, mean, std, inplace=False):
        self.mean = list(mean) if not isinstance(mean, numbers.Number) else [mean]
        self.std = list(std) if not isinstance(std, numbers.Number) else [std]
        self.inplace = inplace

    def __call__(self, tensor):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"img should be Tensor Image. Got {type(tensor)} (put ToTensor() before Normalize)")
        if not tensor.is_floating_point():
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        if tensor._data.ndim < 3:
            raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                             f"{tuple(tensor.shape)}")
        dt = tensor._data.dtype
        mean = np.asarray(self.mean, dtype=dt)
        std = np.asarray(self.std, dtype=dt)
        if (std == 0).any():
            raise ValueError(f"std evaluated to zero after conversion to {dt}, leading to division by zero.")
        c = tensor._data.shape[-3]
        for name, v in (("mean", mean), ("std", std)):
            if v.size not in (1, c):
                raise ValueError(f"Normalize: {name} has {v.size} values but the image has {c} channels "
                                 f"(shape {tuple(tensor.shape)})")
        mean = _wrap(mean.reshape(-1, 1, 1))
        std = _wrap(std.reshape(-1, 1, 1))
        if self.inplace:
            return tensor.sub_(mean).div_(std)
        return (tensor - mean) / std

    def __repr__(self):
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class RandomHorizontalFlip:
    """Mirror the image left-right with probability ``p``.

    Example:
        >>> RandomHorizontalFlip(p=1.0)(ember.tensor([[[1., 2.]]]))
        tensor([[[2., 1.]]])
    """

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        _check_image(img, type(self).__name__)
        if _draw_below(self.p):
            if _is_pil(img):
                return img.transpose(_PILImage.FLIP_LEFT_RIGHT)
            return _array_op(img, lambda a, h: np.flip(a, h + 1).copy())
        return img

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class RandomVerticalFlip(RandomHorizontalFlip):
    """Flip the image upside down with probability ``p``.

    Example:
        >>> RandomVerticalFlip(p=1.0)(ember.tensor([[[1.], [2.]]]))
        tensor([[[2.], [1.]]])
    """

    def __call__(self, img):
        _check_image(img, type(self).__name__)
        if _draw_below(self.p):
            if _is_pil(img):
                return img.transpose(_PILImage.FLIP_TOP_BOTTOM)
            return _array_op(img, lambda a, h: np.flip(a, h).copy())
        return img


def _pad(img, left, top, right, bottom, fill, mode):
    np_mode = {"constant": "constant", "edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}.get(mode)
    if np_mode is None:
        raise ValueError(f"padding_mode should be constant, edge, reflect or symmetric, got {mode!r}")

    def fn(a, h):
        h = h % a.ndim
        widths = [(0, 0)] * a.ndim
        widths[h], widths[h + 1] = (top, bottom), (left, right)
        kw = {"constant_values": fill} if np_mode == "constant" else {}
        return np.pad(a, widths, mode=np_mode, **kw)
    return _array_op(img, fn)


def _crop(img, top, left, height, width):
    if _is_pil(img):
        return img.crop((left, top, left + width, top + height))
    return _array_op(img, lambda a, h: _slice_hw(a, h, top, left, height, width))


def _slice_hw(a, h, top, left, height, width):
    h = h % a.ndim
    key = [slice(None)] * a.ndim
    key[h], key[h + 1] = slice(top, top + height), slice(left, left + width)
    return a[tuple(key)].copy()


class RandomCrop:
    """Crop a random ``size`` window, after optional ``padding`` (int, (lr, tb) or (l, t, r, b)).

    Example:
        >>> RandomCrop(32, padding=4)(np.zeros((32, 32, 3), np.uint8)).shape
        (32, 32, 3)
    """

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = _setup_size(size, "RandomCrop")
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode
        if padding is not None:
            self._ltrb = self._norm_padding(padding)

    @staticmethod
    def _norm_padding(padding):
        if isinstance(padding, numbers.Integral):
            return (int(padding),) * 4
        p = tuple(int(x) for x in padding)
        if len(p) == 1:
            return p * 4
        if len(p) == 2:
            return p[0], p[1], p[0], p[1]
        if len(p) == 4:
            return p
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(p)} element tuple")

    @staticmethod
    def get_params(img, output_size):
        """Random ``(top, left, height, width)`` of a crop of ``output_size``."""
        h, w = _size_hw(img)
        th, tw = output_size
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        if h == th and w == tw:
            return 0, 0, h, w
        i = int(_sampling.random_from_to(default_generator, (1,), np.int64, 0, h - th + 1)[0])
        j = int(_sampling.random_from_to(default_generator, (1,), np.int64, 0, w - tw + 1)[0])
        return i, j, th, tw

    def __call__(self, img):
        _check_image(img, type(self).__name__)
        if self.padding is not None:
            img = _pad(img, *self._ltrb, self.fill, self.padding_mode)
        h, w = _size_hw(img)
        th, tw = self.size
        if self.pad_if_needed and w < tw:
            img = _pad(img, tw - w, 0, tw - w, 0, self.fill, self.padding_mode)
        if self.pad_if_needed and h < th:
            img = _pad(img, 0, th - h, 0, th - h, self.fill, self.padding_mode)
        return _crop(img, *self.get_params(img, self.size))

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class CenterCrop:
    """Crop the central ``size`` window (zero-padding first if the image is smaller).

    Example:
        >>> CenterCrop(2)(ember.arange(16.).reshape(1, 4, 4))
        tensor([[[ 5.,  6.],
                 [ 9., 10.]]])
    """

    def __init__(self, size):
        self.size = _setup_size(size, "CenterCrop")

    def __call__(self, img):
        _check_image(img, type(self).__name__)
        th, tw = self.size
        h, w = _size_hw(img)
        if th > h or tw > w:
            pl, pt = max(tw - w, 0) // 2, max(th - h, 0) // 2
            img = _pad(img, pl, pt, max(tw - w, 0) - pl, max(th - h, 0) - pt, 0, "constant")
            h, w = _size_hw(img)
        return _crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size})"


class Lambda:
    """Use a function as a transform.

    Example:
        >>> Lambda(lambda x: x * 2)(ember.ones(1))
        tensor([2.])
    """

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return f"{type(self).__name__}()"


class InterpolationMode(enum.Enum):
    NEAREST = "nearest"
    BILINEAR = "bilinear"


def _resize_axis(a, axis, out, mode):
    """Resample ``a`` along ``axis`` to length ``out`` (half-pixel centres, as align_corners=False)."""
    n = a.shape[axis]
    if n == out:
        return a
    scale = n / out
    if mode is InterpolationMode.NEAREST:
        idx = np.minimum(np.floor(np.arange(out) * scale).astype(np.int64), n - 1)
        return np.take(a, idx, axis=axis)
    src = np.maximum((np.arange(out) + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(src.astype(np.int64), n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    w1 = (src - i0).astype(a.dtype)
    shape = [1] * a.ndim
    shape[axis] = out
    w1 = w1.reshape(shape)
    return np.take(a, i0, axis=axis) * (1 - w1) + np.take(a, i1, axis=axis) * w1


class Resize:
    """Resize to ``size`` ((h, w)) or, for an int, so the shorter side equals ``size``.

    Bilinear (default) or nearest interpolation with half-pixel centres, as PyTorch's
    ``interpolate(..., align_corners=False)``. ``antialias`` is accepted but not applied: when
    shrinking a lot, results differ from torchvision's antialiased default.

    Example:
        >>> Resize((4, 4))(ember.ones(3, 2, 2)).shape
        ember.Size([3, 4, 4])
    """

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
        if isinstance(interpolation, str):
            interpolation = InterpolationMode(interpolation)
        if interpolation not in (InterpolationMode.BILINEAR, InterpolationMode.NEAREST):
            raise ValueError(f"Resize: only BILINEAR and NEAREST interpolation are supported, got {interpolation}")
        if isinstance(size, numbers.Integral):
            size = [size]
        self.size = list(size)
        if len(self.size) not in (1, 2):
            raise ValueError(f"Resize: size should be an int or a sequence of 1 or 2 ints, got {size}")
        self.max_size = max_size
        self.interpolation = interpolation
        self.antialias = antialias

    def _target(self, h, w):
        if len(self.size) == 2:
            return self.size[0], self.size[1]
        short, long = (h, w) if h <= w else (w, h)
        new_short, new_long = self.size[0], int(self.size[0] * long / short)
        if self.max_size is not None and new_long > self.max_size:
            new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        return (new_short, new_long) if h <= w else (new_long, new_short)

    def __call__(self, img):
        _check_image(img, type(self).__name__)
        h, w = _size_hw(img)
        oh, ow = self._target(h, w)
        if _is_pil(img):
            mode = _PILImage.BILINEAR if self.interpolation is InterpolationMode.BILINEAR else _PILImage.NEAREST
            return img.resize((ow, oh), mode)

        def fn(a, hax):
            hax = hax % a.ndim
            dt = a.dtype
            x = a if dt.kind == "f" else a.astype(np.float32)
            x = _resize_axis(_resize_axis(x, hax, oh, self.interpolation), hax + 1, ow, self.interpolation)
            if dt.kind in "iu":
                info = np.iinfo(dt)
                x = np.clip(np.round(x), info.min, info.max)
            return np.ascontiguousarray(x.astype(dt))
        return _array_op(img, fn)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, interpolation={self.interpolation.value})"
