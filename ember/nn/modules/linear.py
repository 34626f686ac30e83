"""Linear, Bilinear and Identity layers."""
import math

from ... import _creation
from .. import functional as F
from .. import init
from ._params import register_weight_bias
from .module import Module

__all__ = ["Identity", "Linear", "Bilinear", "LazyLinear"]


class Identity(Module):
    """Returns its input unchanged; like PyTorch's, it takes any constructor arguments and uses none,
    so that it can stand in for any layer.

    Example:
        >>> ember.nn.Identity()(ember.ones(2))
        tensor([1., 1.])
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """``y = x @ weight.T + bias`` over the last dimension.

    ``weight`` is (out_features, in_features), initialised like PyTorch: kaiming-uniform with
    a=sqrt(5) (i.e. U(±1/sqrt(in_features))), and ``bias`` U(±1/sqrt(in_features)).

    Example:
        >>> fc = ember.nn.Linear(20, 128)
        >>> fc(ember.randn(64, 20)).shape
        ember.Size([64, 128])
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        register_weight_bias(self, (out_features, in_features), (out_features,) if bias else None, dtype,
                             device=device)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1]
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        p = self._parameters
        w = p["weight"] if "weight" in p else self.weight      # parametrized / weight_norm: a property
        d = input._data
        if d.ndim == 0 or d.shape[-1] != w._data.shape[1]:
            n = d.shape[-1] if d.ndim else 0
            raise RuntimeError(f"{self!r}: input has {n} features (input shape {tuple(d.shape)}); "
                               f"expected the last dimension to be {w._data.shape[1]}")
        return F.linear(input, w, p["bias"] if "bias" in p else self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class LazyLinear(Linear):
    """A Linear whose ``in_features`` is inferred from the first input."""

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        Module.__init__(self)
        self.in_features = 0
        self.out_features = out_features
        self._lazy_bias = bias
        self._lazy_dtype = dtype
        register_weight_bias(self, (0,), (0,) if bias else None, dtype, device=device)

    def forward(self, input):
        if self.in_features == 0:
            self.in_features = input.shape[-1]
            w = _creation.empty(self.out_features, self.in_features, dtype=self._lazy_dtype)
            self.weight._data = w._data
            if self.bias is not None:
                self.bias._data = _creation.empty(self.out_features, dtype=self._lazy_dtype)._data
            self.reset_parameters()
        return super().forward(input)


class Bilinear(Module):
    """``y[..., o] = x1 @ weight[o] @ x2 + bias[o]``; weight is (out, in1, in2), init U(±1/sqrt(in1)).

    Example:
        >>> m = ember.nn.Bilinear(20, 30, 40)
        >>> m(ember.randn(128, 20), ember.randn(128, 30)).shape
        ember.Size([128, 40])
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        register_weight_bias(self, (out_features, in1_features, in2_features), (out_features,) if bias else None,
                             dtype, device=device)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        if input1.shape[-1] != self.in1_features or input2.shape[-1] != self.in2_features:
            raise RuntimeError(f"{self!r}: inputs have {input1.shape[-1]} and {input2.shape[-1]} features "
                               f"(input shapes {tuple(input1.shape)} and {tuple(input2.shape)}); expected "
                               f"{self.in1_features} and {self.in2_features}")
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
