"""``torch.distributions.utils``: the helpers a custom distribution is written with.

Example:
    >>> from ember.distributions.utils import broadcast_all, probs_to_logits
    >>> loc, scale = broadcast_all(ember.zeros(3), 1.0)      # scale: tensor([1., 1., 1.])
    >>> probs_to_logits(ember.tensor([0.25, 0.75]), is_binary=True)
"""
from ._logits import clamp_probs, logits_to_probs, probs_to_logits
from .distribution import broadcast_all, lazy_property

__all__ = ["broadcast_all", "clamp_probs", "euler_constant", "lazy_property", "logits_to_probs", "probs_to_logits"]

euler_constant = 0.57721566490153286060   # Euler-Mascheroni
