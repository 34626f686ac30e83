"""Loss functions as Modules, with PyTorch's constructor signatures and defaults.

Each class stores its options and calls the matching function of ``ember.nn.functional``
(the math lives in the ``ember.ops.loss`` package). ``weight`` and ``pos_weight`` are registered as
buffers, so they move with the module and appear in its ``state_dict`` as in PyTorch. The
legacy ``size_average`` / ``reduce`` arguments are accepted and mapped to ``reduction``.
"""
from ...ops.loss import _reduction as _legacy_reduction
from .. import functional as F
from .module import Module

__all__ = [
    "L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss", "PoissonNLLLoss", "GaussianNLLLoss",
    "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "MultiLabelSoftMarginLoss",
    "MultiLabelMarginLoss", "MultiMarginLoss", "SoftMarginLoss", "KLDivLoss", "CosineEmbeddingLoss",
    "MarginRankingLoss", "HingeEmbeddingLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss",
    "CosineSimilarity", "PairwiseDistance",
]


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = _legacy_reduction(size_average, reduce, reduction, stacklevel=4)
        self.reduction = reduction


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class L1Loss(_Loss):
    """Mean absolute error ``|x - y|`` (see ``ember.nn.functional.l1_loss``).

    Shapes: input ``(*)``, target of the same shape; output scalar, or ``(*)`` for ``'none'``.

    Example:
        >>> x = ember.tensor([1., 2., 3.]).reshape(1, 1, 1, 3)
        >>> y = ember.tensor([1., 2., 5.]).reshape(1, 1, 1, 3)
        >>> ember.nn.L1Loss()(x, y), ember.nn.L1Loss(reduction='sum')(x, y)
        (tensor(0.6667), tensor(2.))
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error ``(x - y)^2`` (see ``ember.nn.functional.mse_loss``).

    Shapes: input ``(*)``, target of the same shape; output scalar, or ``(*)`` for ``'none'``.

    Example:
        >>> x = ember.tensor([1., 2., 3.]).reshape(1, 1, 1, 3)
        >>> ember.nn.MSELoss()(x, ember.tensor([1., 2., 5.]).reshape(1, 1, 1, 3))
        tensor(1.3333)
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """``0.5 d^2 / beta`` if ``|d| < beta`` else ``|d| - 0.5 beta``, d = x - y.

    Shapes: input ``(*)``, target of the same shape; output scalar, or ``(*)`` for ``'none'``.

    Example:
        >>> ember.nn.SmoothL1Loss()(ember.tensor([0., 3.]), ember.tensor([0.5, 0.]))
        tensor(1.3125)
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """``0.5 d^2`` if ``|d| < delta`` else ``delta (|d| - 0.5 delta)``, d = x - y.

    Shapes: input ``(*)``, target of the same shape; output scalar, or ``(*)`` for ``'none'``.

    Example:
        >>> ember.nn.HuberLoss(delta=1.0)(ember.tensor([0., 3.]), ember.tensor([0.5, 0.]))
        tensor(1.3125)
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood: ``exp(x) - y x`` (``log_input=True``) or
    ``x - y log(x + eps)``; ``full`` adds Stirling's term for ``y > 1``.

    Shapes: input ``(*)``, target of the same shape; output scalar, or ``(*)`` for ``'none'``.

    Example:
        >>> ember.nn.PoissonNLLLoss()(ember.tensor([0., 1.]), ember.tensor([1., 2.]))
        tensor(0.8591)
    """

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full,
                                  eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood ``0.5 (log var + (x - y)^2 / var)``, var clamped to eps.

    Shapes: input ``(N, *)``, target like input, var like input or with a last dimension of 1
    (or one dimension fewer); output scalar, or ``(N, *)`` for ``'none'``.

    Example:
        >>> ember.nn.GaussianNLLLoss()(ember.tensor([1., 2.]), ember.tensor([1., 0.]), ember.tensor([1., 2.]))
        tensor(0.6733)
    """

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                   reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits against class indices or class probabilities.

    ``loss_n = -w[y_n] log softmax(x_n)[y_n]``; ``'mean'`` divides by the sum of ``w[y_n]`` over
    targets that are not ``ignore_index``. ``label_smoothing`` eps mixes the target with the
    uniform distribution. Log-softmax and NLL are one stable op (logits up to ±1e4 are fine).

    Shapes: input ``(C)``, ``(N, C)`` or ``(N, C, d1, ...)`` raw scores; target int64 class
    indices ``()``, ``(N)`` or ``(N, d1, ...)`` in ``[0, C)``, or float probabilities of the
    input's shape; output scalar, or the target's shape for ``'none'``.

    Example:
        >>> ember.nn.CrossEntropyLoss()(ember.tensor([[0.1, 0.2, 0.3]]), ember.tensor([1]))
        tensor(1.1019)
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self._buffers["weight"],
                               ignore_index=self.ignore_index, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities: ``-w[y_n] x[n, y_n]``.

    Shapes: input ``(C)``, ``(N, C)`` or ``(N, C, d1, ...)`` log-probabilities; target int64
    ``()``, ``(N)`` or ``(N, d1, ...)``; output scalar, or the target's shape for ``'none'``.

    Example:
        >>> logp = ember.nn.functional.log_softmax(ember.tensor([[0.1, 0.2, 0.3]]), dim=1)
        >>> ember.nn.NLLLoss()(logp, ember.tensor([1]))
        tensor(1.1019)
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self._buffers["weight"],
                          ignore_index=self.ignore_index, reduction=self.reduction)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities ``-w (y log p + (1 - y) log(1 - p))``, logs clamped
    at -100. For raw scores use ``BCEWithLogitsLoss``.

    Shapes: input ``(*)`` in [0, 1], target of the same shape; output scalar, or ``(*)``.

    Example:
        >>> ember.nn.BCELoss()(ember.tensor([0.8, 0.1]), ember.tensor([1., 0.]))
        tensor(0.1643)
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self._buffers["weight"],
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy in one stable op;
    ``-w (pw y log sigmoid(x) + (1 - y) log(1 - sigmoid(x)))``.

    Shapes: input ``(*)`` raw scores, target of the same shape; ``pos_weight`` broadcast along the
    last (class) dimension; output scalar, or ``(*)`` for ``'none'``.

    Example:
        >>> ember.nn.BCEWithLogitsLoss()(ember.tensor([2., -1.]), ember.tensor([1., 0.]))
        tensor(0.2201)
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        b = self._buffers
        return F.binary_cross_entropy_with_logits(input, target, b["weight"], pos_weight=b["pos_weight"],
                                                  reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """One-versus-all logistic loss averaged over the C classes of each sample.

    Shapes: input ``(N, C)`` or ``(C)``, target 0/1 of the same shape; output scalar, or ``(N)``.

    Example:
        >>> ember.nn.MultiLabelSoftMarginLoss()(ember.tensor([[2., -1.]]), ember.tensor([[1., 0.]]))
        tensor(0.2201)
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)

    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(input, target, weight=self._buffers["weight"],
                                             reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge ``(1/C) sum_{j in y} sum_{k not in y} max(0, 1 - x_j + x_k)``; the target
    lists the classes, padded with -1.

    Shapes: input ``(N, C)`` or ``(C)``, int64 target of the same shape; output scalar, or ``(N)``.

    Example:
        >>> ember.nn.MultiLabelMarginLoss()(ember.tensor([[0.1, 0.2, 0.4, 0.8]]), ember.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)

    def forward(self, input, target):
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge ``(1/C) sum_{j != y} w_y max(0, margin - x_y + x_j)^p``, p in {1, 2}.

    Shapes: input ``(N, C)`` or ``(C)``, int64 target ``(N)`` or ``()``; output scalar, or ``(N)``.

    Example:
        >>> ember.nn.MultiMarginLoss()(ember.tensor([[0.1, 0.2, 0.4, 0.8]]), ember.tensor([3]))
        tensor(0.3250)
    """

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError(f"only p == 1 and p == 2 supported (got p={p})")
        if weight is not None and weight.dim() != 1:
            raise ValueError(f"MultiMarginLoss: expected weight to be a 1D tensor but got a "
                             f"{weight.dim()}D tensor instead.")
        self.p, self.margin = p, margin

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                   weight=self._buffers["weight"], reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """Two-class logistic loss ``log(1 + exp(-y x))`` with y in {1, -1}.

    Shapes: input ``(*)``, target of the same shape; output scalar, or ``(*)`` for ``'none'``.

    Example:
        >>> ember.nn.SoftMarginLoss()(ember.tensor([2., -1.]), ember.tensor([1., -1.]))
        tensor(0.2201)
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)

    def forward(self, input, target):
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence ``y (log y - x)`` of log-probabilities x; use
    ``reduction='batchmean'`` for the mathematical KL divergence.

    Shapes: input ``(*)`` log-probabilities, target of the same shape (probabilities, or
    log-probabilities with ``log_target=True``); output scalar, or ``(*)`` for ``'none'``.

    Example:
        >>> loss = ember.nn.KLDivLoss(reduction='batchmean')
        >>> loss(ember.tensor([[-1., -0.5]]), ember.tensor([[0.4, 0.6]]))
        tensor(0.0270)
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class CosineEmbeddingLoss(_Loss):
    """``1 - cos(x1, x2)`` for y = 1, ``max(0, cos(x1, x2) - margin)`` for y = -1.

    Shapes: inputs ``(N, D)`` or ``(D)``, target ``(N)`` or ``()``; output scalar, or ``(N)``.

    Example:
        >>> ember.nn.CosineEmbeddingLoss()(ember.tensor([[1., 0.]]), ember.tensor([[1., 1.]]), ember.tensor([1]))
        tensor(0.2929)
    """

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                       reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """Ranking hinge ``max(0, -y (x1 - x2) + margin)``.

    Shapes: input1, input2, target ``(N)`` or ``()``; output scalar, or ``(N)`` for ``'none'``.

    Example:
        >>> ember.nn.MarginRankingLoss()(ember.tensor([1., 2.]), ember.tensor([2., 1.]), ember.tensor([1., 1.]))
        tensor(0.5000)
    """

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                     reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """``x`` where y = 1, ``max(0, margin - x)`` where y = -1 (x is usually a distance).

    Shapes: input ``(*)``, target of the same shape; output scalar, or ``(*)`` for ``'none'``.

    Example:
        >>> ember.nn.HingeEmbeddingLoss()(ember.tensor([0.3, 0.4]), ember.tensor([1., -1.]))
        tensor(0.4500)
    """

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target):
        return F.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """``max(0, margin + d(a, p) - d(a, n))`` with d the pairwise p-norm distance.

    Shapes: anchor, positive, negative ``(N, D)`` or ``(D)``; output scalar, or ``(N)``.

    Example:
        >>> a = ember.tensor([[0., 0.]])
        >>> ember.nn.TripletMarginLoss(margin=1.0)(a, a + 1, a + 0.5)
        tensor(1.7071)
    """

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} "
                             f"instead")
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p,
                                     eps=self.eps, swap=self.swap, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """Triplet loss with any distance function (default: pairwise Euclidean distance).

    Shapes: anchor, positive, negative ``(N, *)`` accepted by the distance; output scalar or ``(N)``.

    Example:
        >>> a = ember.tensor([[0., 0.]])
        >>> ember.nn.TripletMarginWithDistanceLoss()(a, a + 1, a + 0.5)
        tensor(1.7071)
    """

    def __init__(self, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
        super().__init__(reduction=reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got "
                             f"{margin} instead")
        self.distance_function = distance_function
        self.margin, self.swap = margin, swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_with_distance_loss(anchor, positive, negative,
                                                   distance_function=self.distance_function,
                                                   margin=self.margin, swap=self.swap,
                                                   reduction=self.reduction)


class CosineSimilarity(Module):
    """Cosine similarity along ``dim``: ``x1.x2 / (max(|x1|, eps) max(|x2|, eps))``.

    Shapes: x1 ``(*1, D, *2)``, x2 broadcastable; output ``(*1, *2)``.

    Example:
        >>> ember.nn.CosineSimilarity(dim=1)(ember.tensor([[1., 0.]]), ember.tensor([[1., 1.]]))
        tensor([0.7071])
    """

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """p-norm distance ``||x1 - x2 + eps||_p`` over the last dimension.

    Shapes: ``(N, D)`` or ``(D)``; output ``(N)`` (``(N, 1)`` with keepdim) or ``()``.

    Example:
        >>> ember.nn.PairwiseDistance(eps=0)(ember.tensor([[0., 0.]]), ember.tensor([[3., 4.]]))
        tensor([5.])
    """

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CTCLoss(_Loss):
    """Connectionist temporal classification loss (see ``ember.nn.functional.ctc_loss``).

    Shapes: log_probs ``(T, N, C)`` or ``(T, C)``; targets ``(N, S)`` padded or the targets
    concatenated ``(sum(target_lengths))``; lengths ``(N)`` tensors or tuples; output scalar, or
    ``(N)`` for ``'none'``.

    Example:
        >>> ctc = ember.nn.CTCLoss(blank=0)
        >>> lp = ember.randn(8, 2, 5).log_softmax(2)
        >>> ctc(lp, ember.tensor([[1, 2, 3], [4, 4, 0]]), (8, 8), (3, 2)).shape
        ember.Size([])
    """

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                          self.zero_infinity)


__all__ += ["CTCLoss"]
