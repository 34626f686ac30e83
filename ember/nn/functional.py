"""ember.nn.functional: the functional form of every layer, activation and loss (``F``).

As in PyTorch, the layers of ``ember.nn`` call these functions (``nn.ReLU()(x)`` is
``F.relu(x)``), so this namespace is the one place a layer's computation goes through:

    import ember.nn.functional as F
    loss = F.cross_entropy(F.linear(F.relu(x), w), target)

The math lives in ``ember.ops``, one family per module; this file names which function of
which family each ``F.xxx`` is. ``__all__`` lists exactly the names ``torch.nn.functional``
has and ember implements.
"""
from ..ops.activation import (celu, celu_, elu, elu_, gelu, glu, hardshrink, hardsigmoid, hardswish, hardtanh,
                              hardtanh_, leaky_relu, leaky_relu_, logsigmoid, mish, prelu, relu, relu6, relu_, rrelu,
                              rrelu_, selu, selu_, silu, softplus, softshrink, softsign, tanhshrink, threshold,
                              threshold_)
from ..ops.attention import scaled_dot_product_attention
from ._functional_attention import multi_head_attention_forward
from ..ops.bilinear import bilinear
from ..ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from ..ops.dropout import alpha_dropout, dropout, dropout1d, dropout2d, dropout3d, feature_alpha_dropout
from ..ops.embedding import embedding
from ..ops.embedding_bag import embedding_bag
from ..ops.fold import fold, unfold
from ..ops.spatial_transform import affine_grid, grid_sample
from ..ops.interpolate import interpolate, upsample, upsample_bilinear, upsample_nearest
from ..ops.local_response_norm import local_response_norm
from ..ops.shuffle import channel_shuffle, native_channel_shuffle, pixel_shuffle, pixel_unshuffle
from ..ops.unpool import max_unpool1d, max_unpool2d
from ..ops.index import one_hot
from ..ops.linalg import linear
from ..ops.loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cosine_embedding_loss,
                        cosine_similarity, cross_entropy, gaussian_nll_loss, hinge_embedding_loss, huber_loss,
                        kl_div, l1_loss, margin_ranking_loss, mse_loss, multi_margin_loss, multilabel_margin_loss,
                        multilabel_soft_margin_loss, nll_loss, pairwise_distance, poisson_nll_loss,
                        smooth_l1_loss, soft_margin_loss, triplet_margin_loss, triplet_margin_with_distance_loss)
from ..ops.loss.ctc import ctc_loss
from ..ops.math_functions import sigmoid, tanh
from ..ops.normalization import batch_norm, group_norm, instance_norm, layer_norm, normalize, rms_norm
from ..ops.padding import pad
from ..ops.pool import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_max_pool1d,
                        adaptive_max_pool1d_with_indices, adaptive_max_pool2d, adaptive_max_pool2d_with_indices,
                        avg_pool1d, avg_pool2d, lp_pool1d, lp_pool2d, max_pool1d, max_pool1d_with_indices,
                        max_pool2d, max_pool2d_with_indices)
from ..ops.softmax_ops import log_softmax, softmax, softmin

__all__ = [
    # activations
    "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "prelu", "rrelu", "rrelu_", "elu", "elu_", "selu",
    "selu_", "celu", "celu_", "gelu", "silu", "mish", "softplus", "softsign", "hardtanh", "hardtanh_",
    "hardsigmoid", "hardswish", "logsigmoid", "threshold", "threshold_", "hardshrink", "softshrink",
    "tanhshrink", "glu", "sigmoid", "tanh", "softmax", "log_softmax", "softmin",
    # linear, convolution, pooling
    "linear", "bilinear", "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d",
    "max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices", "avg_pool1d",
    "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices", "lp_pool1d", "lp_pool2d",
    # dropout, normalisation, embedding, padding, encoding
    "dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout",
    "batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm", "normalize",
    "embedding", "pad", "one_hot",
    # attention
    "scaled_dot_product_attention", "multi_head_attention_forward",
    # losses and distances
    "l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "poisson_nll_loss", "gaussian_nll_loss",
    "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "multilabel_soft_margin_loss", "multilabel_margin_loss", "multi_margin_loss", "soft_margin_loss", "kl_div",
    "cosine_embedding_loss", "margin_ranking_loss", "hinge_embedding_loss", "triplet_margin_loss",
    "triplet_margin_with_distance_loss", "cosine_similarity", "pairwise_distance",
    # resampling, sliding blocks, unpooling, bags, channel rearrangement, local response norm
    "interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "unfold", "fold", "max_unpool1d",
    "max_unpool2d", "embedding_bag", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle",
    "local_response_norm",
    "affine_grid", "grid_sample", "ctc_loss",
]
