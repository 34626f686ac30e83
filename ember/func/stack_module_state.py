"""``torch.func.stack_module_state``: the parameters and buffers of several same-shaped modules,
stacked along a new first dimension, for model ensembling with ``vmap`` and ``functional_call``.

Stacked parameters are new leaves (detached from the models) that require grad when the models'
parameters do; stacked buffers do not require grad, as in PyTorch.

Example:
    >>> models = [ember.nn.Linear(3, 2) for _ in range(4)]
    >>> params, buffers = stack_module_state(models)
    >>> params["weight"].shape
    ember.Size([4, 2, 3])
"""
from ..ops.join_split import stack


def _stack(tensors):
    result = stack([t.detach() for t in tensors])
    if all(t.requires_grad for t in tensors):
        result.requires_grad_(True)
    return result


def stack_module_state(models):
    """``(params, buffers)``: dicts name -> the models' tensors of that name stacked along dim 0.

    Example:
        >>> params, buffers = stack_module_state([ember.nn.BatchNorm1d(3), ember.nn.BatchNorm1d(3)])
        >>> buffers["running_mean"].shape
        ember.Size([2, 3])
    """
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or not any(m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    kinds = {type(m) for m in models}
    if len(kinds) != 1:
        raise RuntimeError(f"stack_module_state: Expected all models to be of the same class, got "
                           f"{sorted(k.__name__ for k in kinds)}.")
    named = [dict(m.named_parameters()) for m in models]
    params = {k: _stack([d[k] for d in named]) for k in named[0]}
    named = [dict(m.named_buffers()) for m in models]
    buffers = {k: _stack([d[k] for d in named]) for k in named[0]}
    return params, buffers
