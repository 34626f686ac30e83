"""``F.multi_head_attention_forward``: the computation of ``nn.MultiheadAttention``, as PyTorch's.

Sequence-first shapes: query (L, N, E), key (S, N, kdim), value (S, N, vdim), or unbatched (L, E).
Steps: in-projection (one GEMM for self-attention), optional ``bias_k``/``bias_v`` row and zero row
appended to the keys and values, masks merged into one additive float mask (a boolean mask's True
means "may NOT attend", the opposite of ``scaled_dot_product_attention``'s), then

- ``need_weights=False``: the fused ``scaled_dot_product_attention`` op per head;
- ``need_weights=True``: softmax(q k^T / sqrt(d) + mask) written out, so the weights can be
  returned (averaged over heads unless ``average_attn_weights=False``), as PyTorch does;

and the out-projection. Layer: above ``ember.ops``; ``nn.functional`` re-exports it.
"""
import math
import warnings

import numpy as np

from .. import _creation
from .._tensor import Tensor, _wrap
from ..ops.attention import scaled_dot_product_attention
from ..ops.dropout import dropout
from ..ops.join_split import cat
from ..ops.linalg import linear
from ..ops.padding import pad
from ..ops.softmax_ops import softmax

__all__ = ["multi_head_attention_forward"]


def _canonical_mask(mask, mask_name, target_dtype):
    """A boolean mask (True = masked out) as an additive float mask (-inf there, 0 elsewhere)."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        raise TypeError(f"{mask_name} must be a Tensor or None, not {type(mask).__name__}")
    kind = mask._data.dtype.kind
    if kind == "b":
        out = np.zeros(mask._data.shape, dtype=target_dtype)
        out[mask._data] = -np.inf
        return _wrap(out)
    if kind != "f":
        raise AssertionError(f"only bool and floating types of {mask_name} are supported (got {mask.dtype}); "
                             f"pass a bool mask (True = masked out) or an additive float mask")
    return mask


def _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """True for batched (L, N, E) input, False for unbatched (L, E); raises for anything else."""
    qd = query.dim()
    if qd not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {qd}-D query tensor")
    batched = qd == 3
    if key.dim() != qd or value.dim() != qd:
        raise AssertionError(f"For {'batched (3-D)' if batched else 'unbatched (2-D)'} `query`, expected `key` "
                             f"and `value` to be {qd}-D but found {key.dim()}-D and {value.dim()}-D tensors "
                             f"respectively")
    if key_padding_mask is not None and key_padding_mask.dim() != qd - 1:
        raise AssertionError(f"For {'batched (3-D)' if batched else 'unbatched (2-D)'} `query`, expected "
                             f"`key_padding_mask` to be `None` or {qd - 1}-D but found {key_padding_mask.dim()}-D "
                             f"tensor instead")
    if attn_mask is not None:
        if attn_mask.dim() not in (2, 3):
            raise AssertionError(f"expected `attn_mask` to be `None`, 2-D or 3-D but found {attn_mask.dim()}-D "
                                 f"tensor instead")
        if not batched and attn_mask.dim() == 3:
            expected = (num_heads, query.shape[0], key.shape[0])
            if tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got {tuple(attn_mask.shape)}")
    return batched


def _in_projection(query, key, value, in_proj_weight, in_proj_bias, separate, q_w, k_w, v_w):
    E = query.shape[-1]
    if not separate:
        if key is value and query is key:          # self-attention: one GEMM, then split
            q, k, v = linear(query, in_proj_weight, in_proj_bias).chunk(3, dim=-1)
            return q, k, v
        ws = in_proj_weight.chunk(3)
        bs = in_proj_bias.chunk(3) if in_proj_bias is not None else (None, None, None)
        if key is value:                            # encoder-decoder attention: key and value together
            w_kv = in_proj_weight[E:]
            b_kv = in_proj_bias[E:] if in_proj_bias is not None else None
            k, v = linear(key, w_kv, b_kv).chunk(2, dim=-1)
            return linear(query, ws[0], bs[0]), k, v
        return linear(query, ws[0], bs[0]), linear(key, ws[1], bs[1]), linear(value, ws[2], bs[2])
    bs = in_proj_bias.chunk(3) if in_proj_bias is not None else (None, None, None)
    if tuple(q_w.shape) != (E, E) or tuple(k_w.shape) != (E, key.shape[-1]) or tuple(v_w.shape) != (E, value.shape[-1]):
        raise AssertionError(f"expecting projection weights of shapes {(E, E)}, {(E, key.shape[-1])}, "
                             f"{(E, value.shape[-1])}, got {tuple(q_w.shape)}, {tuple(k_w.shape)}, {tuple(v_w.shape)}")
    return linear(query, q_w, bs[0]), linear(key, k_w, bs[1]), linear(value, v_w, bs[2])


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """Multi-head attention over sequence-first input; returns (output, weights or None).

    Example:
        >>> mha = ember.nn.MultiheadAttention(8, 2)
        >>> x = ember.randn(5, 3, 8)                         # (L, N, E)
        >>> out, w = F.multi_head_attention_forward(x, x, x, 8, 2, mha.in_proj_weight, mha.in_proj_bias,
        ...     None, None, False, 0.0, mha.out_proj.weight, mha.out_proj.bias)
        >>> out.shape, w.shape
        (ember.Size([5, 3, 8]), ember.Size([3, 5, 5]))
    """
    batched = _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    dt = query._data.dtype
    if key_padding_mask is not None and attn_mask is not None and \
            (key_padding_mask._data.dtype.kind == "b") != (attn_mask._data.dtype.kind == "b"):
        warnings.warn("Support for mismatched key_padding_mask and attn_mask is deprecated. Use same type for "
                      "both instead.", stacklevel=3)
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", dt)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None          # the fused op makes the causal mask itself
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", dt)
        if key_padding_mask is not None:
            is_causal = False     # the merged mask is no longer causal
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {tuple(key.shape[:2])} do not match value's "
                                 f"{tuple(value.shape[:2])}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}")

    q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias, use_separate_proj_weight,
                             q_proj_weight, k_proj_weight, v_proj_weight)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but should be "
                                   f"{(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError("bias cannot be added to static key/value.")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k and bias_v must both be given or both be None")

    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, bsz, num_heads, head_dim, "key")
    v = _heads(v, static_v, bsz, num_heads, head_dim, "value")

    if add_zero_attn:
        zeros = _creation.zeros((bsz * num_heads, 1, head_dim), dtype=q.dtype)
        k = cat([k, zeros], dim=1)
        v = cat([v, zeros], dim=1)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]

    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                                 f"{tuple(key_padding_mask.shape)}")
        key_padding_mask = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(-1, num_heads, -1, -1) \
            .reshape(bsz * num_heads, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask

    if not training:
        dropout_p = 0.0

    if need_weights:
        q_scaled = q * math.sqrt(1.0 / float(head_dim))
        weights = q_scaled @ k.transpose(-2, -1)
        if attn_mask is not None:
            weights = weights + attn_mask
        with np.errstate(invalid="ignore"):    # a fully masked row is NaN, as in PyTorch, without a warning
            weights = softmax(weights, dim=-1)
        if dropout_p > 0.0:
            weights = dropout(weights, p=dropout_p)
        out = weights @ v
        out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
        out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
        weights = weights.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            out, weights = out.squeeze(1), weights.squeeze(0)
        return out, weights

    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.dim() == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(bsz, num_heads, -1, src_len)
    q = q.reshape(bsz, num_heads, tgt_len, head_dim)
    k = k.reshape(bsz, num_heads, src_len, head_dim)
    v = v.reshape(bsz, num_heads, src_len, head_dim)
    out = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    out = out.permute(2, 0, 1, 3).reshape(bsz * tgt_len, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, -1)
    if not batched:
        out = out.squeeze(1)
    return out, None


def _heads(x, static, bsz, num_heads, head_dim, name):
    """(S, N, E) -> (N * heads, S, head_dim), or the given static key/value (checked)."""
    if static is None:
        return x.reshape(x.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if static.shape[0] != bsz * num_heads or static.shape[2] != head_dim:
        raise AssertionError(f"expecting static_{name[0]} of shape ({bsz * num_heads}, S, {head_dim}), "
                             f"but got {tuple(static.shape)}")
    return static
