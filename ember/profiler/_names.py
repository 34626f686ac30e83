"""PyTorch's operator names (``aten::...``) for ember's op classes, as the profiler shows them.

An op class listed in ``ATEN_NAMES`` gets that name; a convolution's name depends on its input's
rank (``aten::conv1d`` / ``conv2d`` / ``conv3d``); any other op is ``aten::`` followed by its
class name in snake case (``Exp`` -> ``aten::exp``). A user's ``autograd.Function`` keeps its
class name, as PyTorch records it.

Example:
    >>> from ember.ops.activation import Relu
    >>> op_name(Relu, ())
    'aten::relu'
"""
import re

from ..autograd.function import Op

ATEN_NAMES = {
    "Linear": "aten::linear", "LinearNoBias": "aten::linear", "Matmul": "aten::matmul", "Bmm": "aten::bmm",
    "Dot": "aten::dot", "Mv": "aten::mv", "Einsum": "aten::einsum", "Relu": "aten::relu",
    "LeakyRelu": "aten::leaky_relu", "Gelu": "aten::gelu", "GeluTanh": "aten::gelu", "Silu": "aten::silu",
    "Elu": "aten::elu", "Hardtanh": "aten::hardtanh", "Prelu": "aten::prelu", "LogSigmoid": "aten::log_sigmoid",
    "MaxPool2d": "aten::max_pool2d", "AvgPool2d": "aten::avg_pool2d", "AdaptiveAvgPool2d": "aten::adaptive_avg_pool2d",
    "AdaptiveMaxPool2d": "aten::adaptive_max_pool2d", "Softmax": "aten::softmax", "LogSoftmax": "aten::log_softmax",
    "CrossEntropy": "aten::cross_entropy_loss", "CrossEntropyFast": "aten::cross_entropy_loss",
    "CrossEntropyProb": "aten::cross_entropy_loss", "NllLoss": "aten::nll_loss", "MSELoss": "aten::mse_loss",
    "L1Loss": "aten::l1_loss", "SmoothL1Loss": "aten::smooth_l1_loss", "HuberLoss": "aten::huber_loss",
    "BinaryCrossEntropy": "aten::binary_cross_entropy",
    "BinaryCrossEntropyWithLogits": "aten::binary_cross_entropy_with_logits", "KLDiv": "aten::kl_div",
    "BatchNormTrain": "aten::batch_norm", "BatchNormEval": "aten::batch_norm", "LayerNorm": "aten::layer_norm",
    "GroupNorm": "aten::group_norm", "Dropout": "aten::dropout", "AlphaDropout": "aten::alpha_dropout",
    "Embedding": "aten::embedding", "EmbeddingBag": "aten::embedding_bag", "Reshape": "aten::view",
    "Squeeze": "aten::squeeze", "SqueezeDim": "aten::squeeze", "Unsqueeze": "aten::unsqueeze",
    "Permute": "aten::permute", "Transpose": "aten::transpose", "T": "aten::t", "Expand": "aten::expand",
    "Slice": "aten::slice", "Cat": "aten::cat", "Stack": "aten::stack", "Add": "aten::add", "Sub": "aten::sub",
    "Mul": "aten::mul", "Div": "aten::div", "Neg": "aten::neg", "Pow": "aten::pow", "PowTensor": "aten::pow",
    "PowScalarBase": "aten::pow", "Sum": "aten::sum", "SumDim": "aten::sum", "Mean": "aten::mean",
    "MeanDim": "aten::mean", "MaxDim": "aten::max", "MinDim": "aten::min", "ToDtype": "aten::to",
    "_Clone": "aten::clone", "Fill": "aten::fill_", "Zero": "aten::zero_", "CopySlices": "aten::copy_",
    "PadConstant": "aten::constant_pad_nd", "_BasicIndex": "aten::slice", "_SelectIndex": "aten::select",
    "_UnsqueezeIndex": "aten::unsqueeze", "_AdvancedIndex": "aten::index", "IndexPut": "aten::index_put_",
    "FloorDivFloat": "aten::floor_divide", "LSTMLayer": "aten::lstm", "GRULayer": "aten::gru",
    "RNNLayer": "aten::rnn_tanh", "ScaledDotProductAttention": "aten::scaled_dot_product_attention",
    "ScatterAdd": "aten::scatter_add", "Unfold": "aten::im2col", "Fold": "aten::col2im",
}
_CONV = {"Convolution": "aten::conv{}d", "ConvTranspose": "aten::conv_transpose{}d"}
_SNAKE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_cache = {}


def op_name(cls, args):
    """The profiler's name for one call of ``cls`` (an ``Op`` or ``autograd.Function``) on ``args``."""
    conv = _CONV.get(cls.__name__)
    if conv is not None and args and hasattr(args[0], "shape"):
        return conv.format(max(len(args[0].shape) - 2, 1))
    name = _cache.get(cls)
    if name is None:
        name = ATEN_NAMES.get(cls.__name__)
        if name is None:
            name = ("aten::" + _SNAKE.sub("_", cls.__name__.strip("_")).lower()
                    if issubclass(cls, Op) else cls.__name__)
        _cache[cls] = name
    return name
