"""Normalisation layers: BatchNorm1d/2d/3d, LayerNorm, GroupNorm, RMSNorm, LocalResponseNorm."""
import numbers

import numpy as np

from ... import _creation
from ..._tensor import _wrap
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ._params import check_device, register_weight_bias
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
           "LayerNorm", "GroupNorm", "RMSNorm"]


def _register_affine(module, shape, affine, bias, dtype, device):
    """Register ``weight`` (ones) and ``bias`` (zeros) of ``shape``; None where switched off."""
    register_weight_bias(module, shape if affine else None, shape if affine and bias else None, dtype,
                         _creation.ones, _creation.zeros, device=device)


def _shape_tuple(normalized_shape):
    """``normalized_shape`` (an int or a sequence of ints) as a tuple."""
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (normalized_shape,)
    return tuple(normalized_shape)


class _AffineNorm(Module):
    """A normalisation layer with an optional affine map: ``weight`` ones, ``bias`` zeros."""

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)


class _BatchNorm(_AffineNorm):
    _expected = ()

    def __init__(self, num_features, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _register_affine(self, (num_features,), affine, bias, dtype, device)
        if track_running_stats:
            self.register_buffer("running_mean", _creation.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", _creation.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", _wrap(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self):
        self.reset_running_stats()
        super().reset_parameters()

    def _check_input_dim(self, input):
        if input.dim() not in self._expected:
            want = " or ".join(f"{d}D" for d in self._expected)
            raise ValueError(f"expected {want} input (got {input.dim()}D input of shape {tuple(input.shape)}) "
                             f"in {self._get_name()}({self.num_features})")
        if input.shape[1] != self.num_features and input.numel():  # (PyTorch passes an empty batch through)
            raise RuntimeError(f"{self._get_name()}({self.num_features}): input has {input.shape[1]} channels "
                               f"in dim 1 (input shape {tuple(input.shape)}); expected {self.num_features}")

    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            nbt = self.num_batches_tracked
            np.add(nbt._data, 1, out=nbt._data)
            nbt._vc[0] += 1
            # momentum=None: cumulative moving average over all batches seen
            factor = 1.0 / float(nbt._data) if self.momentum is None else self.momentum
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if keep else None, self.running_var if keep else None,
                            self.weight, self.bias, use_batch, factor, self.eps)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs, assign=False):
        key = prefix + "num_batches_tracked"
        if self.track_running_stats and key not in state_dict:
            # checkpoints from before the counter existed: start it at 0, as PyTorch does
            state_dict[key] = _wrap(np.array(0, dtype=np.int64))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs, assign)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L) input, per channel C.

    Training uses the batch statistics and updates ``running_mean``/``running_var`` with
    ``momentum`` (unbiased variance; ``momentum=None`` gives a cumulative average); eval uses
    the running statistics.

    Example:
        >>> bn = ember.nn.BatchNorm1d(128)
        >>> bn(ember.randn(64, 128)).shape
        ember.Size([64, 128])
    """
    _expected = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W) input, per channel C (see BatchNorm1d).

    Example:
        >>> ember.nn.BatchNorm2d(32)(ember.randn(8, 32, 16, 16)).shape
        ember.Size([8, 32, 16, 16])
    """
    _expected = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalisation over (N, C, D, H, W) input, per channel C."""
    _expected = (5,)


class _InstanceNorm(_BatchNorm):
    _spatial = 1

    def __init__(self, num_features, eps=1e-05, momentum=0.1, affine=False, track_running_stats=False,
                 device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, input):
        nd = input.dim()
        if nd not in (self._spatial + 1, self._spatial + 2):
            raise ValueError(f"expected {self._spatial + 1}D or {self._spatial + 2}D input (got {nd}D input of "
                             f"shape {tuple(input.shape)}) in {self._get_name()}({self.num_features})")
        unbatched = nd == self._spatial + 1
        if unbatched:
            input = input.unsqueeze(0)
        if input.shape[1] != self.num_features and self.affine:
            raise RuntimeError(f"{self._get_name()}({self.num_features}): input has {input.shape[1]} channels in "
                             f"dim 1 (input shape {tuple(input.shape)}); expected {self.num_features}")
        use_input_stats = self.training or not self.track_running_stats
        out = F.instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                              use_input_stats, 0.1 if self.momentum is None else self.momentum, self.eps)
        return out.squeeze(0) if unbatched else out


class InstanceNorm1d(_InstanceNorm):
    """Normalise each (sample, channel) of (N, C, L) input over L; no affine map or running
    statistics by default.

    Example:
        >>> ember.nn.InstanceNorm1d(4)(ember.randn(2, 4, 10)).shape
        ember.Size([2, 4, 10])
    """
    _spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Normalise each (sample, channel) of (N, C, H, W) input over H and W (style-transfer style).

    Example:
        >>> ember.nn.InstanceNorm2d(3, affine=True)(ember.randn(2, 3, 8, 8)).shape
        ember.Size([2, 3, 8, 8])
    """
    _spatial = 2


class InstanceNorm3d(_InstanceNorm):
    """Normalise each (sample, channel) of (N, C, D, H, W) input over D, H and W."""
    _spatial = 3


class LayerNorm(_AffineNorm):
    """Normalise over the trailing ``normalized_shape`` dims, then an elementwise affine map
    (``weight`` ones, ``bias`` zeros).

    Example:
        >>> ember.nn.LayerNorm(64)(ember.randn(8, 10, 64)).shape
        ember.Size([8, 10, 64])
    """

    def __init__(self, normalized_shape, eps=1e-05, elementwise_affine=True, bias=True, device=None,
                 dtype=None):
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _register_affine(self, self.normalized_shape, elementwise_affine, bias, dtype, device)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(_AffineNorm):
    """Normalise (N, C, *) input over groups of channels; per-channel affine map.

    Example:
        >>> ember.nn.GroupNorm(4, 32)(ember.randn(2, 32, 8, 8)).shape
        ember.Size([2, 32, 8, 8])
    """

    def __init__(self, num_groups, num_channels, eps=1e-05, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _register_affine(self, (num_channels,), affine, bias, dtype, device)

    def forward(self, input):
        if input.dim() < 2 or input.shape[1] != self.num_channels:
            raise RuntimeError(f"{self!r}: expected input of shape (N, {self.num_channels}, *), got "
                               f"{tuple(input.shape)}")
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    """x / sqrt(mean(x**2) + eps) over the trailing ``normalized_shape`` dims, times ``weight``.

    Example:
        >>> ember.nn.RMSNorm(16)(ember.randn(4, 16)).shape
        ember.Size([4, 16])
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        check_device(device)
        if elementwise_affine:
            self.weight = Parameter(_creation.ones(*self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("weight", None)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class LocalResponseNorm(Module):
    """Normalize each element by its neighbours across ``size`` channels (AlexNet):
    ``y = x / (k + alpha / size * sum of x² over the window) ** beta``.

    Example:
        >>> ember.nn.LocalResponseNorm(2)(ember.randn(32, 5, 24, 24)).shape
        ember.Size([32, 5, 24, 24])
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


__all__ += ["LocalResponseNorm"]
