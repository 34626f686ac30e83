"""Loss functions as fused ops: each loss is one graph node with a closed-form backward.

Every op takes the reduction (``'none' | 'mean' | 'sum'``) as its last argument and applies it
inside the node, so a training step's loss costs one forward and one backward, whatever the
options. Inputs are checked in the functional wrappers, cheaply, with PyTorch's error types
and messages that say what was expected, what was received and the usual fix.

One module per family, by what the loss compares (its ``nn`` class in brackets):

- ``regression``: a prediction with a real target, elementwise -- ``l1_loss`` (L1Loss),
  ``mse_loss`` (MSELoss), ``smooth_l1_loss`` (SmoothL1Loss), ``huber_loss`` (HuberLoss).
- ``classification``: class scores with class indices or probabilities -- ``cross_entropy``
  (CrossEntropyLoss), ``nll_loss`` (NLLLoss).
- ``probabilistic``: a likelihood or a divergence -- ``binary_cross_entropy`` (BCELoss),
  ``binary_cross_entropy_with_logits`` (BCEWithLogitsLoss), ``poisson_nll_loss``
  (PoissonNLLLoss), ``gaussian_nll_loss`` (GaussianNLLLoss), ``kl_div`` (KLDivLoss).
- ``margin``: hinge and logistic losses of class scores -- ``soft_margin_loss``
  (SoftMarginLoss), ``multi_margin_loss`` (MultiMarginLoss), ``multilabel_margin_loss``
  (MultiLabelMarginLoss), ``multilabel_soft_margin_loss`` (MultiLabelSoftMarginLoss).
- ``ranking``: two or three inputs compared -- ``margin_ranking_loss`` (MarginRankingLoss),
  ``cosine_embedding_loss`` (CosineEmbeddingLoss), ``hinge_embedding_loss``
  (HingeEmbeddingLoss), ``triplet_margin_loss`` (TripletMarginLoss),
  ``triplet_margin_with_distance_loss`` (TripletMarginWithDistanceLoss).
- ``distance``: ``pairwise_distance`` (PairwiseDistance), ``cosine_similarity``
  (CosineSimilarity), which the triplet losses use.
- ``_common``: the reduction and the argument checks every family shares.
"""
from ._common import _reduction  # noqa: F401  (ember.nn.modules.loss resolves legacy flags with it)
from .classification import cross_entropy, nll_loss
from .distance import cosine_similarity, pairwise_distance
from .margin import (multi_margin_loss, multilabel_margin_loss, multilabel_soft_margin_loss,
                     soft_margin_loss)
from .probabilistic import (binary_cross_entropy, binary_cross_entropy_with_logits,
                            gaussian_nll_loss, kl_div, poisson_nll_loss)
from .ranking import (cosine_embedding_loss, hinge_embedding_loss, margin_ranking_loss,
                      triplet_margin_loss, triplet_margin_with_distance_loss)
from .regression import huber_loss, l1_loss, mse_loss, smooth_l1_loss

__all__ = [
    "l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "poisson_nll_loss", "gaussian_nll_loss",
    "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "multilabel_soft_margin_loss", "multilabel_margin_loss", "multi_margin_loss", "soft_margin_loss",
    "kl_div", "cosine_embedding_loss", "margin_ranking_loss", "hinge_embedding_loss",
    "triplet_margin_loss", "triplet_margin_with_distance_loss", "cosine_similarity",
    "pairwise_distance",
]
from .ctc import ctc_loss  # noqa: F401
