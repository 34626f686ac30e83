"""``torch.nn.utils.weight_norm`` / ``remove_weight_norm``: the older hook-based weight normalisation.

``weight`` becomes parameters ``weight_g`` (norms) and ``weight_v`` (direction), and a forward
pre-hook recomputes ``module.weight = weight_g * weight_v / ||weight_v||`` before each call.
Deprecated in PyTorch (FutureWarning) for ``nn.utils.parametrizations.weight_norm``.
"""
import warnings

from ..parameter import Parameter
from ._weight_norm_math import norm_except_dim, weight_norm as _weight_norm

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


class WeightNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_g`` and ``<name>_v``."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        return _weight_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"), self.dim)

    @staticmethod
    def apply(module, name, dim):
        warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=3)
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
        fn = WeightNorm(name, dim)
        if name not in module._parameters:
            raise ValueError(f"weight_norm: module {type(module).__name__} has no parameter '{name}'")
        weight = module._parameters[name]
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, fn.dim).detach()))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Split ``module.<name>`` into ``<name>_g`` and ``<name>_v`` (``dim=None``: one norm for the
    whole tensor); returns ``module``.

    Example:
        >>> m = nn.utils.weight_norm(nn.Linear(20, 40))
        >>> m.weight_g.shape, m.weight_v.shape
        (ember.Size([40, 1]), ember.Size([40, 20]))
    """
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Undo ``weight_norm``: ``<name>`` is a plain Parameter again (holding ``g * v / ||v||``)."""
    return remove_hook_reparametrization(module, name, WeightNorm, "weight_norm")


def remove_hook_reparametrization(module, name, kind, what):
    """Remove the forward pre-hook of type ``kind`` that recomputes ``<name>`` (weight or spectral
    norm), leaving ``<name>`` a plain Parameter again."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, kind) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"{what} of '{name}' not found in {module}")
