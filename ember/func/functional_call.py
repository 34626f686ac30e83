"""``torch.func.functional_call``: run a module with other tensors in place of its parameters and buffers.

The module's own tensors are swapped out for the call and put back afterwards (also when the call
raises). The given tensors are used as they are, so gradients flow to them; this is how a module
becomes a function of its weights for ``grad``, ``vmap`` and ``jacrev``. The implementation lives
with the modules (``ember/nn/utils/stateless.py``).

Example:
    >>> model = ember.nn.Linear(3, 2)
    >>> params = {k: v.detach() for k, v in model.named_parameters()}
    >>> out = functional_call(model, params, (ember.randn(4, 3),))
"""
from ..nn.utils.stateless import reparametrized_call


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """``torch.func.functional_call``: ``module(*args, **kwargs)`` with the given tensors in place of
    its parameters and buffers of the same names (the rules: ``nn.utils.stateless.reparametrized_call``).

    Example:
        >>> model = ember.nn.Linear(3, 1)
        >>> w = {"weight": ember.ones(1, 3), "bias": ember.zeros(1)}
        >>> functional_call(model, w, (ember.ones(2, 3),))
        tensor([[3.],
                [3.]])
    """
    return reparametrized_call(module, parameter_and_buffer_dicts, args, kwargs, tie_weights=tie_weights,
                               strict=strict)
