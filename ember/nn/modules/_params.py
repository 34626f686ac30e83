"""Registering a layer's ``weight`` and optional ``bias`` Parameters (Linear, Conv, norms)."""
from ... import _creation
from ..parameter import Parameter


def register_weight_bias(module, weight_shape, bias_shape, dtype=None, new_weight=_creation.empty,
                         new_bias=_creation.empty):
    """Register ``weight`` = Parameter(new_weight(*weight_shape)) and ``bias`` likewise.

    A shape of None registers that parameter as None (e.g. ``bias=False``).

    Example:
        >>> register_weight_bias(self, (out_features, in_features), (out_features,) if bias else None)
    """
    for name, shape, new in (("weight", weight_shape, new_weight), ("bias", bias_shape, new_bias)):
        module.register_parameter(name, None if shape is None else Parameter(new(*shape, dtype=dtype)))
