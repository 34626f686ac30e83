"""Matrix products: matmul/@, mm, bmm, dot, outer, einsum, and the fused linear layer op.

Layer: above the elementwise and shape families, index and reduce; below softmax_ops and activation.
"""
import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.function import Op
from ..autograd.xp import array_namespace
from ._gemm import gemm
from ._util import numpy_keywords, promote, require_tensor
from .arithmetic import add, mul, with_out
from .index import getitem, masked_fill
from .join_split import stack
from .views import reshape, squeeze, unsqueeze

__all__ = ["matmul", "mm", "bmm", "dot", "vdot", "outer", "ger", "einsum", "linear", "addmm", "mv",
           "inner", "tensordot", "kron", "cross"]


class Matmul(Op):
    """out = a @ b;  dL/da = g @ b^T,  dL/db = a^T @ g  (1-d operands as a row / column)"""
    backward_name = "MmBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return gemm(a, b)          # np.matmul(a, b) (big 2-D products shared out over ember's threads)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        ga = gb = None
        if a.ndim == 1 and b.ndim == 1:  # dot product: grad is 0-d
            return (grad * b if ctx.needs_input_grad[0] else None,
                    grad * a if ctx.needs_input_grad[1] else None)
        xp = array_namespace(grad)
        a2 = xp.expand_dims(a, 0) if a.ndim == 1 else a
        b2 = xp.expand_dims(b, 1) if b.ndim == 1 else b
        g = grad
        if a.ndim == 1:
            g = xp.expand_dims(g, -2)
        if b.ndim == 1:
            g = xp.expand_dims(g, -1)
        if ctx.needs_input_grad[0]:
            ga = xp.matmul(g, xp.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                ga = xp.reshape(ga, ga.shape[:-2] + ga.shape[-1:])
                if ga.ndim > 1:
                    ga = xp.sum(ga, axis=tuple(range(ga.ndim - 1)))
        if ctx.needs_input_grad[1]:
            gb = xp.matmul(xp.swapaxes(a2, -1, -2), g)
            if b.ndim == 1:
                gb = xp.squeeze(gb, -1)
                if gb.ndim > 1:
                    gb = xp.sum(gb, axis=tuple(range(gb.ndim - 1)))
        return ga, gb


class Bmm(Matmul):
    backward_name = "BmmBackward0"


class Dot(Matmul):
    backward_name = "DotBackward0"


class Mv(Matmul):
    backward_name = "MvBackward0"


class Unsafe(Matmul):
    backward_name = "UnsafeViewBackward0"


def _check_mm(name, a, b):
    sa, sb = a._data.shape, b._data.shape
    if a._data.ndim == 0 or b._data.ndim == 0:
        raise RuntimeError(f"{name}: both arguments to matmul need to be at least 1D, but they are "
                           f"{a._data.ndim}D and {b._data.ndim}D")
    ka = sa[-1]
    kb = sb[0] if b._data.ndim == 1 else sb[-2]
    if ka != kb:
        if a._data.ndim <= 2 and b._data.ndim <= 2:
            ra = (sa[0] if a._data.ndim == 2 else 1)
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({ra}x{ka} and "
                               f"{kb}x{sb[-1] if b._data.ndim == 2 else 1}); the inner sizes must match")
        raise RuntimeError(f"{name}: inner dimensions differ: input {tuple(sa)} and other {tuple(sb)} "
                           f"({ka} != {kb})")


def matmul(input, other, *, out=None):
    """Matrix product with NumPy/PyTorch broadcasting of batch dims (``@``); ``out=`` as PyTorch.
    Example: ``ember.matmul(ember.ones(2, 3), ember.ones(3))`` is ``tensor([3., 3.])``."""
    if out is not None:
        return with_out(out, "matmul", matmul, input, other)
    if isinstance(input, Tensor) and isinstance(other, Tensor) and input._data.dtype != other._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {input.dtype} != {other.dtype}; "
                           f"convert one of them first, e.g. other.to({input.dtype})")
    a, b = promote(input, other)
    _check_mm("matmul", a, b)
    if a._data.dtype == np.bool_ and (a._data.ndim == b._data.ndim == 1 or a._data.size and b._data.size):
        raise NotImplementedError("matmul is not implemented for bool tensors (as in PyTorch); convert with "
                                  ".float() or .long() first")
    if a._data.ndim == 1 and b._data.ndim == 1:
        return Dot.apply(a, b)
    if a._data.ndim == 2 and b._data.ndim == 1:
        return Mv.apply(a, b)
    if a._data.ndim > 2 or b._data.ndim > 2:
        return (Bmm if a._data.ndim == b._data.ndim == 3 else Unsafe).apply(a, b)
    return Matmul.apply(a, b)


def mm(input, mat2, *, out=None):
    """Product of two 2-D matrices (``out=`` as PyTorch)."""
    if out is not None:
        return with_out(out, "mm", mm, input, mat2)
    if input._data.ndim != 2 or mat2._data.ndim != 2:
        raise RuntimeError(f"mm: expected 2-D tensors, got {input._data.ndim}-D and {mat2._data.ndim}-D "
                           "(use matmul for other ranks)")
    return matmul(input, mat2)


def bmm(input, mat2):
    """Batched product of 3-D tensors (b×n×m @ b×m×p)."""
    if input._data.ndim != 3 or mat2._data.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor (got {input._data.ndim}-D and {mat2._data.ndim}-D)")
    if input._data.shape[0] != mat2._data.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ ({input._data.shape[0]} and {mat2._data.shape[0]})")
    return matmul(input, mat2)


def dot(input, other):
    """Inner product of two 1-D tensors."""
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {other._data.ndim}D tensors")
    if input._data.shape != other._data.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input._data.size}] and src "
                           f"[{other._data.size}] to have the same number of elements")
    return matmul(input, other)


vdot = inner = dot


def mv(input, vec):
    """Matrix (n, m) times vector (m,): a vector (n,).

    Example:
        >>> ember.mv(ember.ones(2, 3), ember.ones(3))
        tensor([3., 3.])
    """
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input._data.ndim}-D input and "
                           f"{vec._data.ndim}-D vec: mv takes a 2-D matrix and a 1-D vector (use matmul "
                           f"for other ranks)")
    if input._data.shape[1] != vec._data.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input._data.shape[0]}), mat "
                           f"({input._data.shape[0]}x{input._data.shape[1]}), vec ({vec._data.shape[0]})")
    return matmul(input, vec)


def outer(input, vec2):
    """Outer product of two 1-D tensors."""
    return mul(unsqueeze(input, 1), unsqueeze(vec2, 0))


ger = outer


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)``; with ``beta=0`` the input's values are ignored (nan
    and inf too), as PyTorch's.

    Example:
        >>> ember.addmm(ember.zeros(2, 2), ember.ones(2, 3), ember.ones(3, 2))
        tensor([[3., 3.],
                [3., 3.]])
    """
    prod = matmul(mat1, mat2)
    if alpha != 1:
        prod = mul(prod, alpha)
    if beta == 0:
        base = masked_fill(input, _wrap(np.ones((), np.bool_)), 0)
    else:
        base = input if beta == 1 else mul(input, beta)
    return add(base, prod)


def tensordot(a, b, dims=2):
    if isinstance(dims, int):
        la = "".join(chr(97 + i) for i in range(a._data.ndim))
        lb = la[a._data.ndim - dims:] + "".join(chr(110 + i) for i in range(b._data.ndim - dims))
        out = la[:a._data.ndim - dims] + lb[dims:]
        return einsum(f"{la},{lb}->{out}", a, b)
    da, db = dims
    la = [chr(97 + i) for i in range(a._data.ndim)]
    lb = [chr(110 + i) for i in range(b._data.ndim)]
    for i, j in zip(da, db):
        lb[j] = la[i]
    out = [c for i, c in enumerate(la) if i not in da] + [c for j, c in enumerate(lb) if j not in db]
    return einsum(f"{''.join(la)},{''.join(lb)}->{''.join(out)}", a, b)


def kron(input, other):
    a, b = input, other
    sa, sb = a._data.shape, b._data.shape
    la = "".join(chr(97 + i) for i in range(len(sa)))
    lb = "".join(chr(110 + i) for i in range(len(sb)))
    out = einsum(f"{la},{lb}->{''.join(x + y for x, y in zip(la, lb))}", a, b)
    return reshape(out, *(x * y for x, y in zip(sa, sb)))


@numpy_keywords
def cross(input, other, dim=None):
    d = -1 if dim is None else dim

    def comp(t, i):
        key = (Ellipsis, i) + (slice(None),) * (-d - 1) if d < 0 else (slice(None),) * d + (i,)
        return getitem(t, key)
    a0, a1, a2 = (comp(input, i) for i in range(3))
    b0, b1, b2 = (comp(other, i) for i in range(3))
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim=d)


# -- einsum ---------------------------------------------------------------------------------
def _parse_einsum(eq, shapes):
    eq = eq.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->")
    else:
        lhs, out = eq, None
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise RuntimeError(f"einsum(): the equation has {len(terms)} operands but {len(shapes)} tensors were given")
    used = set(c for c in eq if c.isalpha())
    free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used]
    ell = None
    new_terms = []
    for t, shp in zip(terms, shapes):
        if "..." in t:
            n = len(shp) - (len(t) - 3)
            if ell is None or len(ell) < n:
                ell = "".join(free[:max(n, len(ell) if ell else 0)])
            t = t.replace("...", ell[len(ell) - n:] if n else "")
        new_terms.append(t)
    if out is None:
        counts = {}
        for t in new_terms:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = (ell or "") + "".join(sorted(c for c, k in counts.items() if k == 1 and (not ell or c not in ell)))
    elif "..." in out:
        out = out.replace("...", ell or "")
    return new_terms, out


class Einsum(Op):
    """out = einsum(terms -> out, *arrays);  the gradient of operand i is the einsum of the output
    gradient with the other operands, onto operand i's letters"""
    differentiable_backward = True

    @staticmethod
    def forward(ctx, terms, out, *arrays):
        ctx.terms, ctx.out = terms, out
        ctx.save_for_backward(*arrays)
        return np.asarray(np.einsum(f"{','.join(terms)}->{out}", *arrays, optimize=len(arrays) > 2))

    @staticmethod
    def backward(ctx, grad):
        arrays = ctx.saved_tensors
        grads = [None, None]
        for i in range(len(arrays)):
            grads.append(_einsum_operand_grad(grad, i, ctx.terms, ctx.out, arrays)
                         if ctx.needs_input_grad[i + 2] else None)
        return tuple(grads)


def _einsum_operand_grad(grad, i, terms, out, arrays):
    """The gradient for operand ``i``: an einsum of the output gradient with the other operands."""
    xp = array_namespace(grad)
    t, arr = terms[i], arrays[i]
    others = [(terms[j], arrays[j]) for j in range(len(arrays)) if j != i]
    avail = set(out) | set("".join(x for x, _ in others))
    # Letters of this operand that appear nowhere else were summed out: broadcast back.
    uniq = "".join(dict.fromkeys(c for c in t if c in avail))
    spec = ",".join([out] + [x for x, _ in others]) + "->" + uniq
    if xp.graph:
        g = xp.einsum(spec, grad, *[a for _, a in others])
    else:
        g = np.einsum(spec, grad, *[a for _, a in others], optimize=len(others) > 1)
    sizes = {c: n for c, n in zip(t, arr.shape)}
    full_letters = "".join(dict.fromkeys(t))
    if uniq != full_letters:
        g = xp.broadcast_to(xp.reshape(g, [sizes[c] if c in uniq else 1 for c in full_letters]),
                            [sizes[c] for c in full_letters])
    if len(full_letters) != len(t):  # repeated letter (diagonal): place onto the diagonal
        g = _onto_diagonal(xp, g, t, arr.shape)
    elif full_letters != t:
        g = xp.einsum(f"{full_letters}->{t}", g)
    return g if xp.graph else np.ascontiguousarray(g)


def _onto_diagonal(xp, g, t, shape):
    """``g`` over the distinct letters of ``t`` (in order of first appearance) placed where repeated
    letters have equal indices, zero elsewhere."""
    idx = np.indices(shape, sparse=True)
    mask = np.ones(shape, bool)
    for c in set(t):
        pos = [k for k, x in enumerate(t) if x == c]
        for p in pos[1:]:
            mask = mask & (idx[pos[0]] == idx[p])
    first = [t.index(c) for c in dict.fromkeys(t)]
    # the distinct letters' axes at their first positions, size 1 at the repeats, then broadcast
    g = xp.moveaxis(xp.reshape(g, g.shape + (1,) * (len(t) - g.ndim)),
                    tuple(range(len(first))), tuple(first))
    return xp.where(mask, xp.broadcast_to(g, shape), 0.0)


def einsum(equation, *operands):
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)``; ellipsis supported."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ops = list(operands)
    dt = ops[0]._data.dtype
    for o in ops[1:]:
        if o._data.dtype != dt:
            ops = [promote(x, ops[0])[0] if x._data.dtype != dt else x for x in ops]
            break
    terms, out = _parse_einsum(equation, [o._data.shape for o in ops])
    for t, o in zip(terms, ops):
        if len(t) != o._data.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(t)}) does not match "
                               f"the number of dimensions ({o._data.ndim}) for operand {ops.index(o)}")
    return Einsum.apply(tuple(terms), out, *ops)


# -- linear (fused x @ W.T + b) --------------------------------------------------------------
class Linear(Op):
    """out = x @ w^T + b;  dL/dx = g @ w,  dL/dw = g^T @ x (over all leading dims),  dL/db = sum g"""
    backward_name = "AddmmBackward0"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        if x.ndim > 2 and x.size:   # one GEMM over all leading dims (faster than NumPy's batched matmul loop)
            out = gemm(x.reshape(-1, x.shape[-1]), w.T).reshape(x.shape[:-1] + (w.shape[0],))
        else:
            out = gemm(x, w.T)      # x @ w.T (big products shared out over ember's threads)
        if b is not None:
            out += b
        return out

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        gx = gw = gb = None
        if type(grad) is not np.ndarray:  # create_graph=True: the same formulas on Tensors
            return _linear_backward_graph(ctx, grad, x, w)
        if ctx.needs_input_grad[0]:
            if grad.ndim > 2 and grad.size:
                gx = gemm(grad.reshape(-1, grad.shape[-1]), w).reshape(grad.shape[:-1] + (w.shape[1],))
            else:
                gx = gemm(grad, w)
        if ctx.needs_input_grad[1]:
            if grad.ndim == 2:
                gw = gemm(grad.T, x)
            else:
                gw = gemm(grad.reshape(-1, grad.shape[-1]).T, x.reshape(-1, x.shape[-1]))
        if ctx.needs_input_grad[2]:
            gb = grad.sum(axis=tuple(range(grad.ndim - 1))) if grad.ndim > 1 else grad
        return gx, gw, gb


def _linear_backward_graph(ctx, grad, x, w):
    xp = array_namespace(grad)
    gx = gw = gb = None
    if ctx.needs_input_grad[0]:
        gx = xp.matmul(grad, w)
    if ctx.needs_input_grad[1]:
        g2 = xp.reshape(grad, (-1, grad.shape[-1]))
        gw = xp.matmul(xp.transpose(g2), xp.reshape(x, (-1, x.shape[-1])))
    if ctx.needs_input_grad[2]:
        gb = xp.sum(grad, axis=tuple(range(grad.ndim - 1))) if grad.ndim > 1 else grad
    return gx, gw, gb


class LinearNoBias(Linear):
    backward_name = "MmBackward0"


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` as one op (one GEMM forward, two backward)."""
    require_tensor("linear", "input", input)
    if input._data.shape[-1:] != weight._data.shape[-1:]:
        n_in = weight._data.shape[-1]
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied: input has {input._data.shape[-1] if input._data.ndim else 0} "
            f"features (input shape {tuple(input._data.shape)}) but the weight expects {n_in} "
            f"(weight shape {tuple(weight._data.shape)})")
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {input.dtype} and {weight.dtype}; "
                           f"convert the input with .to({weight.dtype}) (e.g. .float())")
    if input._data.ndim == 1:
        return squeeze(linear(unsqueeze(input, 0), weight, bias), 0)
    return (Linear if bias is not None else LinearNoBias).apply(input, weight, bias)
