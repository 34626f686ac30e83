"""Convolution layers: Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d."""
import math

from ..._tensor import Tensor
from ...ops.conv import same_padding
from ...ops._util import ntuple
from .. import functional as F
from .. import init
from ._params import register_weight_bias
from .module import Module

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
_CONV = {1: F.conv1d, 2: F.conv2d}


class _ConvNd(Module):
    """Shared constructor, initialisation, repr and input checks of the conv layers."""
    _nd = 2
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", output_padding=0, device=None, dtype=None):
        super().__init__()
        name, nd = type(self).__name__, self._nd
        if groups <= 0:
            raise ValueError(f"{name}: groups must be a positive integer, got groups={groups}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels must be divisible by groups (got in_channels={in_channels}, "
                             f"groups={groups})")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels must be divisible by groups (got out_channels={out_channels}, "
                             f"groups={groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {list(_PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        stride = ntuple(stride, nd)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string '{padding}', should be one of {{'valid', 'same'}}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        else:
            padding = ntuple(padding, nd)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = ntuple(kernel_size, nd)
        self.stride = stride
        self.padding = padding
        self.dilation = ntuple(dilation, nd)
        self.transposed = self._transposed
        self.output_padding = ntuple(output_padding, nd)
        self.groups = groups
        self.padding_mode = padding_mode
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        register_weight_bias(self, shape, (out_channels,) if bias else None, dtype, device=device)
        self.reset_parameters()

    def reset_parameters(self):
        # kaiming-uniform with a=sqrt(5) is U(±1/sqrt(fan_in)); the bias uses the same bound.
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        nd = len(self.kernel_size)
        if isinstance(self.padding, str) or self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _check_input(self, input):
        if not isinstance(input, Tensor):
            raise TypeError(f"{self!r}: expected a Tensor input, got {type(input).__name__}; "
                            "wrap arrays with ember.tensor(...)")
        d = input._data
        nd = self._nd
        if d.ndim not in (nd + 1, nd + 2):
            raise RuntimeError(f"{self!r}: expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input, got "
                               f"{d.ndim}D input (input shape {tuple(d.shape)})")
        c = d.shape[-nd - 1]
        if c != self.in_channels:
            raise RuntimeError(f"{self!r}: expected input with {self.in_channels} channels, got {c} "
                               f"(input shape {tuple(d.shape)})")

    def _padded_input(self, input):
        """Explicit non-zero padding (reflect/replicate/circular); returns (input, conv padding)."""
        if self.padding_mode == "zeros":
            return input, self.padding
        nd = self._nd
        if self.padding == "valid":
            return input, 0
        if self.padding == "same":
            pads = same_padding(self.dilation, self.kernel_size)
        else:
            pads = [(p, p) for p in self.padding]
        flat = []
        for a, b in reversed(pads):   # F.pad takes the last dimension first
            flat += [a, b]
        if not any(flat):
            return input, 0
        mode = self.padding_mode
        return F.pad(input, flat, mode=mode), (0,) * nd


class _Conv(_ConvNd):
    """Constructor and forward of the (non-transposed) Conv1d/Conv2d."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, 0, device, dtype)

    def forward(self, input):
        self._check_input(input)
        x, padding = self._padded_input(input)
        return _CONV[self._nd](x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class Conv2d(_Conv):
    """2-D convolution over (N, C_in, H, W) input, giving (N, C_out, H_out, W_out).

    Weight (C_out, C_in/groups, kh, kw) and bias (C_out,) are initialised like PyTorch's.

    Example:
        >>> conv = ember.nn.Conv2d(3, 32, 5, padding=2)
        >>> conv(ember.randn(8, 3, 32, 32)).shape
        ember.Size([8, 32, 32, 32])
    """
    _nd = 2


class Conv1d(_Conv):
    """1-D convolution over (N, C_in, L) input.

    Example:
        >>> ember.nn.Conv1d(16, 33, 3, stride=2)(ember.randn(20, 16, 50)).shape
        ember.Size([20, 33, 24])
    """
    _nd = 1


class _ConvTransposeNd(_ConvNd):
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 groups=1, bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple of ints, got '{padding}'")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, output_padding, device, dtype)

    def _forward(self, input, output_size, fn):
        self._check_input(input)
        nd = self._nd
        op = self.output_padding
        if output_size is not None:
            size = [int(s) for s in list(output_size)[-nd:]]
            ins = input._data.shape[-nd:]
            op = []
            for i in range(nd):
                base = ((ins[i] - 1) * self.stride[i] - 2 * self.padding[i]
                        + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
                extra = size[i] - base
                if not 0 <= extra < max(self.stride[i], self.dilation[i]):
                    raise ValueError(f"{self!r}: requested an output size of {size}, but valid sizes range from "
                                     f"base {base} to {base + max(self.stride[i], self.dilation[i]) - 1} "
                                     f"in dimension {i} (for an input of {list(input._data.shape)})")
                op.append(extra)
            op = tuple(op)
        return fn(input, self.weight, self.bias, self.stride, self.padding, op, self.groups, self.dilation)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution; weight is (C_in, C_out/groups, kh, kw).

    Example:
        >>> up = ember.nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)
        >>> up(ember.randn(1, 16, 12, 12)).shape
        ember.Size([1, 8, 24, 24])
    """
    _nd = 2

    def forward(self, input, output_size=None):
        return self._forward(input, output_size, F.conv_transpose2d)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution; weight is (C_in, C_out/groups, k).

    Example:
        >>> ember.nn.ConvTranspose1d(4, 2, 3, stride=2)(ember.randn(1, 4, 5)).shape
        ember.Size([1, 2, 11])
    """
    _nd = 1

    def forward(self, input, output_size=None):
        return self._forward(input, output_size, F.conv_transpose1d)
