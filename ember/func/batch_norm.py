"""``torch.func.replace_all_batch_norm_modules_``: batch norms that use batch statistics only.

Under ``vmap`` a batch norm that updates running statistics in place would write one batch
element's statistics into shared buffers; PyTorch's fix (used before vmapping over a model) turns
off running statistics in every batch-norm module, in place.

Example:
    >>> net = ember.nn.Sequential(ember.nn.Linear(3, 3), ember.nn.BatchNorm1d(3))
    >>> _ = replace_all_batch_norm_modules_(net)
    >>> net[1].running_mean is None
    True
"""
from ..nn.modules.normalization import _BatchNorm, _InstanceNorm


def replace_all_batch_norm_modules_(root):
    """Set ``running_mean``, ``running_var``, ``num_batches_tracked`` to None and
    ``track_running_stats`` to False in every batch-norm module of ``root``; returns ``root``.

    Example:
        >>> bn = replace_all_batch_norm_modules_(ember.nn.BatchNorm2d(4))
        >>> bn.track_running_stats
        False
    """
    for module in root.modules():
        if isinstance(module, _BatchNorm) and not isinstance(module, _InstanceNorm):  # as torch's classes
            module.running_mean = None
            module.running_var = None
            module.num_batches_tracked = None
            module.track_running_stats = False
    return root
