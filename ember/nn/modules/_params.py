"""Layer constructors' shared parts: the ``device`` check and the ``weight``/``bias`` Parameters."""
from ... import _creation
from ..._tensor import device as _device
from ..parameter import Parameter


def check_device(device):
    """Accept ``device=None`` or the CPU; any other device raises (ember runs on the CPU only)."""
    if device is not None:
        _device(device)


def register_weight_bias(module, weight_shape, bias_shape, dtype=None, new_weight=_creation.empty,
                         new_bias=_creation.empty, *, device=None):
    """Register ``weight`` = Parameter(new_weight(*weight_shape)) and ``bias`` likewise.

    A shape of None registers that parameter as None (e.g. ``bias=False``). ``device`` is checked
    even then, so ``LayerNorm(8, elementwise_affine=False, device='cuda')`` fails at construction.

    Example:
        >>> register_weight_bias(self, (out_features, in_features), (out_features,) if bias else None)
    """
    check_device(device)
    for name, shape, new in (("weight", weight_shape, new_weight), ("bias", bias_shape, new_bias)):
        module.register_parameter(name, None if shape is None else Parameter(new(*shape, dtype=dtype)))
