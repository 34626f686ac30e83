"""PyTorch's top-level functions that are other spellings of ember's ops: ``torch.conv2d``,
``torch.dropout(input, p, train)``, ``torch.embedding(weight, indices)``, ``torch.layer_norm``,
``torch.abs_(x)``, ``torch.is_nonzero``, ``torch.permute_copy``, ...

PyTorch's native signatures differ from ``torch.nn.functional``'s for several of them (positional
``train``, ``weight`` before ``indices``, a ``cudnn_enabled`` flag, losses taking ``reduction`` as an
int: 0 ``'none'``, 1 ``'mean'``, 2 ``'sum'``); each function here takes the native form and calls
the op.

Example:
    >>> x = ember.randn(2, 3)
    >>> ember.dropout(x, 0.5, True).shape        # torch.dropout(input, p, train)
    ember.Size([2, 3])
"""
import numbers

from . import ops
from ._tensor import Tensor
from .ops import conv as _conv, pool as _pool, normalization as _norm, loss as _loss, dropout as _drop
from .ops.bilinear import bilinear  # noqa: F401
from .ops.embedding import embedding as _embedding
from .ops.fill import Fill
from .ops.loss.probabilistic import KLDiv as _KLDiv, _float_pair as _kl_float_pair
from .ops.padding import pad as _pad
from .ops.shuffle import channel_shuffle, pixel_shuffle, pixel_unshuffle  # noqa: F401

conv1d, conv2d = _conv.conv1d, _conv.conv2d
conv_transpose1d, conv_transpose2d = _conv.conv_transpose1d, _conv.conv_transpose2d
avg_pool1d, adaptive_avg_pool1d = _pool.avg_pool1d, _pool.adaptive_avg_pool1d
cosine_similarity, pairwise_distance = _loss.cosine_similarity, _loss.pairwise_distance
rms_norm = _norm.rms_norm


# -- pooling: PyTorch's native forms return no indices (max_pool*) or always return them ---------
def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``torch.max_pool1d``: F.max_pool1d without ``return_indices`` (``stride=()`` is the kernel size)."""
    return _pool.max_pool1d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False):
    """``torch.max_pool2d``: F.max_pool2d without ``return_indices`` (``stride=()`` is the kernel size)."""
    return _pool.max_pool2d(input, kernel_size, stride or None, padding, dilation, ceil_mode)


def adaptive_max_pool1d(input, output_size):
    """``torch.adaptive_max_pool1d``: always ``(values, indices)``."""
    return _pool.adaptive_max_pool1d(input, output_size, return_indices=True)


# -- normalization: PyTorch's native argument orders -------------------------------------------
def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled):
    """``torch.batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
    cudnn_enabled)``; ``cudnn_enabled`` has no effect on the CPU."""
    return _norm.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05, cudnn_enable=True):
    """``torch.layer_norm``: F.layer_norm plus a ``cudnn_enable`` flag (no effect on the CPU)."""
    return _norm.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05, cudnn_enabled=True):
    """``torch.group_norm``: F.group_norm plus a ``cudnn_enabled`` flag (no effect on the CPU)."""
    return _norm.group_norm(input, num_groups, weight, bias, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled):
    """``torch.instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum,
    eps, cudnn_enabled)``."""
    return _norm.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


# -- dropout: (input, p, train), all arguments required, as PyTorch's native forms ---------------
def dropout(input, p, train):
    """``torch.dropout(input, p, train)``: zero elements with probability ``p`` when ``train``."""
    return _drop.dropout(input, p, train)


def alpha_dropout(input, p, train):
    """``torch.alpha_dropout(input, p, train)`` (SELU-preserving dropout)."""
    return _drop.alpha_dropout(input, p, train)


def feature_alpha_dropout(input, p, train):
    """``torch.feature_alpha_dropout(input, p, train)``: alpha dropout of whole channels."""
    return _drop.feature_alpha_dropout(input, p, train)


def feature_dropout(input, p, train):
    """``torch.feature_dropout(input, p, train)``: zero whole channels (dims 0 and 1 of an input with
    at least 2 dims) with probability ``p``."""
    _drop._check_p(p)
    if input.ndim < 2:
        raise RuntimeError(f"feature_dropout: expected an input with at least 2 dims (N, C, ...), got shape "
                           f"{tuple(input.shape)}")
    if not train or p == 0.0:
        return input
    mask = _drop._dropout_mask(tuple(input.shape[:2]) + (1,) * (input.ndim - 2), p, input._data.dtype)
    return _drop.Dropout.apply(input, mask)


def _in_place(fn, name):
    def f(input, p, train):
        return input._inplace_apply(lambda x: fn(x, p, train))
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"``torch.{name}(input, p, train)``: the in-place form of ``{fn.__name__}``."
    return f


dropout_ = _in_place(dropout, "dropout_")
alpha_dropout_ = _in_place(alpha_dropout, "alpha_dropout_")
feature_dropout_ = _in_place(feature_dropout, "feature_dropout_")
feature_alpha_dropout_ = _in_place(feature_alpha_dropout, "feature_alpha_dropout_")


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """``torch.embedding(weight, indices, padding_idx=-1, ...)``: rows of ``weight`` (note the order);
    ``padding_idx=-1`` means none, as in PyTorch's native form."""
    if sparse:
        raise NotImplementedError("embedding: sparse=True is not supported by ember (gradients are dense)")
    return _embedding(indices, weight, None if padding_idx == -1 else padding_idx,
                      scale_grad_by_freq=scale_grad_by_freq)


def pdist(input, p=2):
    """``torch.pdist``: the ``p``-norm distance between each pair of rows ``i < j`` of an (N, M) input,
    as a vector of N * (N - 1) / 2 values (row-major over the upper triangle).

    Example: ``ember.pdist(ember.tensor([[0., 0.], [3., 4.]]))`` is ``tensor([5.])``."""
    if not isinstance(input, Tensor) or input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {getattr(input, 'ndim', type(input).__name__)}D")
    if p < 0:
        raise RuntimeError(f"pdist only supports non-negative p values, got {p}")
    n = input.shape[0]
    i, j = ops.triu_indices(n, n, 1)
    return ops.norm(ops.sub(ops.index_select(input, 0, i), ops.index_select(input, 0, j)), p, dim=1)


# -- losses: reduction as an int (0 'none', 1 'mean', 2 'sum'), as PyTorch's native forms ---------
_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _reduction(name, r):
    if not isinstance(r, numbers.Integral) or isinstance(r, bool) or r not in _REDUCTIONS:
        raise TypeError(f"{name}(): argument 'reduction' must be int (0 'none', 1 'mean', 2 'sum'), not {r!r}; "
                        f"the string form is ember.nn.functional.{name}(..., reduction='mean')")
    return _REDUCTIONS[int(r)]


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=1):
    """``torch.cosine_embedding_loss`` (reduction: 0 none, 1 mean, 2 sum)."""
    return _loss.cosine_embedding_loss(input1, input2, target, margin,
                                       reduction=_reduction("cosine_embedding_loss", reduction))


def hinge_embedding_loss(input, target, margin=1.0, reduction=1):
    """``torch.hinge_embedding_loss`` (reduction: 0 none, 1 mean, 2 sum)."""
    return _loss.hinge_embedding_loss(input, target, margin, reduction=_reduction("hinge_embedding_loss", reduction))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=1):
    """``torch.margin_ranking_loss`` (reduction: 0 none, 1 mean, 2 sum)."""
    return _loss.margin_ranking_loss(input1, input2, target, margin,
                                     reduction=_reduction("margin_ranking_loss", reduction))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False, reduction=1):
    """``torch.triplet_margin_loss`` (reduction: 0 none, 1 mean, 2 sum)."""
    return _loss.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                     reduction=_reduction("triplet_margin_loss", reduction))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    """``torch.poisson_nll_loss(input, target, log_input, full, eps, reduction)``: all required."""
    return _loss.poisson_nll_loss(input, target, log_input, full, eps=eps,
                                  reduction=_reduction("poisson_nll_loss", reduction))


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=1):
    """``torch.binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)``."""
    return _loss.binary_cross_entropy_with_logits(input, target, weight, pos_weight=pos_weight,
                                                  reduction=_reduction("binary_cross_entropy_with_logits", reduction))


def kl_div(input, target, reduction=1, *, log_target=False):
    """``torch.kl_div(input, target, reduction=1, *, log_target=False)``: ``'mean'`` (1) is the mean over
    elements, without F.kl_div's warning."""
    reduction = _reduction("kl_div", reduction)
    input, target = _kl_float_pair("kl_div", input, target)
    return _KLDiv.apply(input, target, bool(log_target), reduction)


def constant_pad_nd(input, pad, value=0):
    """``torch.constant_pad_nd(input, pad, value=0)``: F.pad in constant mode (negative pads crop)."""
    return _pad(input, list(pad), "constant", value)


# -- top-level in-place forms: ``torch.abs_(x)`` is ``x.abs_()`` ---------------------------------
def _method_form(name):
    def f(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"``ember.{name}(input, ...)``: ``input.{name}(...)`` (writes into ``input``)."
    return f


_INPLACE = ["abs_", "acos_", "acosh_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_", "arctanh_", "asin_",
            "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_", "clamp_min_", "clip_", "cos_", "cosh_",
            "deg2rad_", "erf_", "erfc_", "exp2_", "exp_", "expm1_", "fix_", "floor_", "frac_", "gcd_", "i0_", "lcm_",
            "ldexp_", "log10_", "log1p_", "log2_", "log_", "logit_", "nan_to_num_", "neg_", "negative_", "rad2deg_",
            "reciprocal_", "round_", "rsqrt_", "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_", "square_", "tan_",
            "tanh_", "trunc_", "xlogy_", "zero_", "fill_", "detach_", "index_put_", "addmv_"]
for _name in _INPLACE:
    globals()[_name] = _method_form(_name)
del _name


# -- small predicates and identities --------------------------------------------------------------
def detach(input):
    """``input.detach()``: the same values, cut from the graph."""
    return input.detach()


def fill(input, value):
    """A new tensor shaped and typed as ``input``, filled with ``value`` (gradient zero w.r.t. input).

    Example: ``ember.fill(ember.zeros(2), 3.0)`` is ``tensor([3., 3.])``."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"fill only supports 0-dimension value tensor but got tensor with "
                               f"{value.ndim} dimensions.")
        value = value.item()
    return Fill.apply(input, value)


def is_nonzero(input):
    """True if the one-element ``input`` is not zero; more or fewer elements raise, as PyTorch."""
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input._data.reshape(()) != 0)


def is_same_size(input, other):
    """True if the two tensors have the same shape."""
    return tuple(input.shape) == tuple(other.shape)


def is_signed(input):
    """True for signed dtypes (floats and signed integers; not uint8 or bool)."""
    return input.dtype.is_signed


def is_complex(input):
    """False: ember has no complex dtypes."""
    return False


def is_conj(input):
    """False: ember tensors are never lazily conjugated."""
    return False


def is_neg(input):
    """False: ember tensors are never lazily negated."""
    return False


def resolve_conj(input):
    """``input`` itself (nothing to resolve for real tensors)."""
    return input


def resolve_neg(input):
    """``input`` itself (nothing to resolve for real tensors)."""
    return input


def conj(input):
    """``input`` itself: the conjugate of a real tensor, as PyTorch returns it."""
    return input


conj_physical = conj

__all__ = [n for n, v in list(globals().items()) if not n.startswith("_") and callable(v)
           and getattr(v, "__module__", None) != "builtins" and n not in ("Tensor", "Fill", "ops")]
