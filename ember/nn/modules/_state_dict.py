"""Loading a state dict into a Module: ``load_state_dict`` and the per-module copy behind it.

``Module.load_state_dict`` walks the module tree; each module's ``_load_from_state_dict`` (which
layers such as BatchNorm override) copies the entries under its prefix into its own parameters
and persistent buffers, in place, and records missing keys, unexpected keys and shape errors.
"""
from collections import OrderedDict, namedtuple

import numpy as np

from ..._tensor import Tensor, _wrap
from ...autograd.grad_mode import no_grad
from ..parameter import Parameter


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def load_own_state(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs,
                   assign):
    """Copy ``state_dict[prefix + name]`` into each parameter and persistent buffer of ``module``
    itself (not its children); see ``Module._load_from_state_dict``."""
    for hook in module._load_state_dict_pre_hooks.values():
        hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
    local = [(n, p) for n, p in module._parameters.items() if p is not None]
    local += [(n, b) for n, b in module._buffers.items()
              if b is not None and n not in module._non_persistent_buffers_set]
    for name, target in local:
        key = prefix + name
        if key not in state_dict:
            if strict:
                missing_keys.append(key)
            continue
        _copy_entry(module, name, target, key, state_dict[key], assign, error_msgs)
    if strict:
        unexpected_keys.extend(_unexpected(module, state_dict, prefix))


def _copy_entry(module, name, target, key, value, assign, error_msgs):
    """Copy one checkpoint entry into ``target`` (or, with ``assign``, put it in its place)."""
    arr = value._data if isinstance(value, Tensor) else (value if isinstance(value, np.ndarray) else None)
    if arr is None:
        error_msgs.append(f'While copying the parameter named "{key}", expected ember.Tensor or '
                          f"Tensor-like object from checkpoint but received {type(value).__name__}")
        return
    if arr.shape != target._data.shape:
        error_msgs.append(f"size mismatch for {key}: copying a param with shape "
                          f"ember.Size({list(arr.shape)}) from checkpoint, the shape in current model "
                          f"is ember.Size({list(target._data.shape)}).")
        return
    if assign:
        if isinstance(target, Parameter):
            module._parameters[name] = Parameter(_wrap(arr), target.requires_grad)
        else:
            module._buffers[name] = _wrap(arr)
        return
    if arr is target._data:
        return
    if target._data.flags.writeable:
        np.copyto(target._data, arr, casting="unsafe")
    else:
        target._data = arr.astype(target._data.dtype, copy=True)
    target._vc[0] += 1


def _unexpected(module, state_dict, prefix):
    """The keys under ``prefix`` that name nothing ``module`` itself would load."""
    found = []
    for key in state_dict:
        if key.startswith(prefix):
            rest = key[len(prefix):]
            head = rest.split(".", 1)[0]
            if "." in rest and head in module._modules:
                continue
            if rest not in module._parameters and rest not in module._buffers:
                found.append(key)
            elif rest in module._non_persistent_buffers_set or \
                    (rest in module._parameters and module._parameters[rest] is None) or \
                    (rest in module._buffers and module._buffers[rest] is None):
                found.append(key)
    return found


def load_state_dict(module, state_dict, strict, assign):
    """``module.load_state_dict(state_dict, strict, assign)``: load every module of the tree,
    then raise RuntimeError listing all problems, if any."""
    if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
        raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict).__name__}.")
    missing, unexpected, errors = [], [], []
    state_dict = OrderedDict(state_dict)

    def load(mod, prefix):
        mod._load_from_state_dict(state_dict, prefix, {}, True, missing, unexpected, errors, assign)
        for name, child in mod._modules.items():
            if child is not None:
                load(child, prefix + name + ".")

    with no_grad():
        load(module, "")
    if strict:
        if unexpected:
            errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                ", ".join(f'"{k}"' for k in unexpected)))
        if missing:
            errors.insert(0, "Missing key(s) in state_dict: {}. ".format(
                ", ".join(f'"{k}"' for k in missing)))
    if errors:
        raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
            module._get_name(), "\n\t".join(errors)))
    return IncompatibleKeys(missing, unexpected)
