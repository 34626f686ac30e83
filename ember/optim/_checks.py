"""Checks of an optimizer's arguments, with PyTorch's messages and exception types.

Two kinds: hyperparameter ranges (``lr``, ``eps``, ``betas``, ...), checked by each optimizer's
constructor, and the implementation flags of a param group, checked for every group the
``Optimizer`` base adds or loads.
"""
__all__ = ["check_nonneg", "check_lr_eps_wd", "check_betas", "check_implementation_flags"]

_CHECK_NAMES = {"lr": "learning rate", "eps": "epsilon value"}

_UNSUPPORTED = {
    "capturable": "it keeps the step on an accelerator for CUDA-graph capture, and ember runs on the CPU "
                  "without graphs; the numbers are the same with capturable=False (the default)",
    "differentiable": "it records the step in the autograd graph, and ember's steps update parameters in place "
                      "outside autograd (gradients are first order); use differentiable=False (the default)",
}


def check_nonneg(**values):
    """Raise ``ValueError("Invalid <name> value: v")`` for the first negative hyperparameter, in order."""
    for name, value in values.items():
        if not 0.0 <= value:
            raise ValueError(f"Invalid {_CHECK_NAMES.get(name, name + ' value')}: {value}")


def check_lr_eps_wd(lr, eps, weight_decay):
    if eps is None:
        check_nonneg(lr=lr, weight_decay=weight_decay)
    else:
        check_nonneg(lr=lr, eps=eps, weight_decay=weight_decay)


def check_betas(betas):
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


def check_implementation_flags(owner, group):
    """Refuse the flags ember cannot honour in param group ``group`` of optimizer class ``owner``.

    ``foreach`` and ``fused`` only choose which of PyTorch's kernels computes the same update;
    ember has one implementation, so every value is accepted (with PyTorch's errors for the
    combinations it forbids). ``capturable=True`` and ``differentiable=True`` change what a step
    is, and raise ``NotImplementedError`` naming the flag.
    """
    if group.get("fused"):
        if group.get("differentiable"):
            raise RuntimeError("`fused` does not support `differentiable`")
        if group.get("foreach"):
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    for name, why in _UNSUPPORTED.items():
        if group.get(name):
            raise NotImplementedError(f"{owner}: {name}=True is not supported by ember: {why}")
