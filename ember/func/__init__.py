"""``torch.func`` (functorch): composable function transforms.

``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``linearize``, ``jacrev``, ``jacfwd``, ``hessian``
and ``vmap`` turn a function of Tensors into another; ``functional_call`` and
``stack_module_state`` make a module a function of its weights (``replace_all_batch_norm_modules_``
readies batch norms for vmap; ``functionalize`` and ``debug_unwrap`` are identities in ember).
They compose (``vmap(grad(f))`` for per-sample gradients, ``jacrev(jacrev(f))``,
``grad(grad(f))``). ``vmap`` runs the function once per batch element (see ``vmap.py``):
PyTorch's results and gradients, not its speed.

Example (per-sample gradients):
    >>> from ember.func import functional_call, grad, vmap
    >>> model = ember.nn.Linear(3, 1)
    >>> params = {k: v.detach() for k, v in model.named_parameters()}
    >>> def loss(p, x, y):
    ...     return ((functional_call(model, p, (x,)) - y) ** 2).mean()
    >>> g = vmap(grad(loss), in_dims=(None, 0, 0))(params, ember.randn(8, 3), ember.randn(8, 1))
    >>> g["weight"].shape
    ember.Size([8, 1, 3])
"""
from .batch_norm import replace_all_batch_norm_modules_
from .functional_call import functional_call
from .functionalize import debug_unwrap, functionalize
from .grad import grad, grad_and_value
from .jacobian import hessian, jacfwd, jacrev
from .jvp import jvp
from .linearize import linearize
from .stack_module_state import stack_module_state
from .vjp import vjp
from .vmap import vmap

__all__ = ["debug_unwrap", "functional_call", "functionalize", "grad", "grad_and_value", "hessian", "jacfwd",
           "jacrev", "jvp", "linearize", "replace_all_batch_norm_modules_", "stack_module_state", "vjp", "vmap"]
