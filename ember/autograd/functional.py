"""``autograd.functional``: derivatives of a whole function, as ``torch.autograd.functional``.

(This module sits above the ops: ``ember/__init__`` imports it after them.)

``vjp`` (v^T J), ``jvp`` (J v), ``jacobian``, ``hessian``, ``vhp`` (v^T H) and ``hvp`` (H v) of a
function of Tensors, built on ``autograd.grad`` (``create_graph=True`` where a derivative is
differentiated again). ``inputs`` is a Tensor or a tuple of Tensors; results follow its structure.

Example:
    >>> f = lambda x: (x ** 3).sum()
    >>> ember.autograd.functional.hessian(f, ember.tensor([1.0, 2.0]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
"""
import numpy as np

from .._tensor import Tensor, _wrap
from ..ops.join_split import stack
from .api import grad


def _as_tuple(x, what, fn_name):
    if isinstance(x, Tensor):
        return False, (x,)
    if not isinstance(x, (tuple, list)) or not all(isinstance(t, Tensor) for t in x):
        raise TypeError(f"The {what} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
                        f"the given {what} has type {type(x).__name__}.")
    return True, tuple(x)


def _prepare(inputs, create_graph):
    """Inputs that require grad: views of the originals when the result must stay differentiable
    with respect to them (``create_graph``), fresh leaves otherwise."""
    return tuple(x.view_as(x) if create_graph and x.requires_grad else x.detach().requires_grad_(True)
                 for x in inputs)


def _call(func, inputs, fn_name):
    is_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", fn_name)
    return is_tuple, outputs


def _fill_unused(grads, inputs, strict, what):
    out = []
    for i, (g, x) in enumerate(zip(grads, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent of input {i}. "
                                   f"This is not allowed in strict mode{what}.")
            g = _wrap(np.zeros_like(x._data))
        out.append(g)
    return tuple(out)


def _result(values, create_graph):
    return tuple(v if create_graph else v.detach() for v in values)


def _check_v(v, like, fn_name):
    _, v = _as_tuple(v, "v", fn_name)
    if len(v) != len(like):
        raise RuntimeError(f"{fn_name}: v has {len(v)} tensors but {len(like)} are expected")
    for i, (a, b) in enumerate(zip(v, like)):
        if tuple(a.shape) != tuple(b.shape):
            raise RuntimeError(f"{fn_name}: entry {i} in v has invalid size: got {list(a.shape)} but "
                               f"expected {list(b.shape)}.")
    return v


def _default_v(outputs, fn_name):
    if len(outputs) != 1 or outputs[0].numel() != 1:
        raise RuntimeError(f"The vector v can only be None if the user-provided function returns a single "
                           f"Tensor with a single element ({fn_name}).")
    return (_wrap(np.ones_like(outputs[0]._data)),)


def _pack(is_tuple, values):
    return values if is_tuple else values[0]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T J)``: the vector-Jacobian product at ``inputs``."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    inputs = _prepare(inputs, create_graph)
    out_tuple, outputs = _call(func, inputs, "vjp")
    v = _default_v(outputs, "vjp") if v is None else _check_v(v, outputs, "vjp")
    grads = grad(outputs, inputs, v, create_graph=create_graph, allow_unused=True) \
        if any(o.requires_grad for o in outputs) else (None,) * len(inputs)
    grads = _fill_unused(grads, inputs, strict, "")
    return _pack(out_tuple, _result(outputs, create_graph)), _pack(in_tuple, _result(grads, create_graph))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-backward trick
    (the vjp with a dummy ``u`` is linear in ``u``; its gradient in ``u`` along ``v`` is ``J v``)."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
    inputs = _prepare(inputs, create_graph)
    if v is None:
        if len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                               "single Tensor with a single element.")
        v = (_wrap(np.ones_like(inputs[0]._data)),)
    else:
        v = _check_v(v, inputs, "jvp")
    out_tuple, outputs = _call(func, inputs, "jvp")
    dummies = tuple(_wrap(np.zeros_like(o._data), True) for o in outputs)
    diff = [o for o in outputs if o.requires_grad]
    if not diff:
        jv = tuple(_wrap(np.zeros_like(o._data)) for o in outputs)
        return _pack(out_tuple, _result(outputs, create_graph)), _pack(out_tuple, jv)
    vjps = grad(outputs, inputs, dummies, create_graph=True, allow_unused=True)
    pairs = [(g, u) for g, u in zip(vjps, v) if g is not None]
    if strict and len(pairs) != len(inputs):
        raise RuntimeError("The output of the user-provided function is independent of an input. This is not "
                           "allowed in strict mode.")
    jv = grad([g for g, _ in pairs], dummies, [u for _, u in pairs], create_graph=create_graph,
              allow_unused=True) if pairs else (None,) * len(outputs)
    jv = tuple(_wrap(np.zeros_like(o._data)) if j is None else j for j, o in zip(jv, outputs))
    return _pack(out_tuple, _result(outputs, create_graph)), _pack(out_tuple, _result(jv, create_graph))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: for output ``i`` and input ``j``, a Tensor of shape
    ``outputs[i].shape + inputs[j].shape``. ``vectorize`` only chooses how PyTorch batches the
    rows; ember computes them one by one with identical results."""
    if strategy != "reverse-mode":
        raise NotImplementedError(f"jacobian: strategy={strategy!r} is not supported by ember (use 'reverse-mode')")
    in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    inputs = _prepare(inputs, create_graph)
    out_tuple, outputs = _call(func, inputs, "jacobian")
    rows = []
    for out in outputs:
        per_input = [[] for _ in inputs]
        for k in range(out.numel()):
            onehot = np.zeros(out._data.size, out._data.dtype)
            onehot[k] = 1
            grads = grad(out, inputs, _wrap(onehot.reshape(out._data.shape)), retain_graph=True,
                         create_graph=create_graph, allow_unused=True) if out.requires_grad else (None,) * len(inputs)
            grads = _fill_unused(grads, inputs, strict, " when computing the jacobian")
            for j, g in enumerate(grads):
                per_input[j].append(g)
        blocks = tuple(_stack_rows(per_input[j], out, x, create_graph) for j, x in enumerate(inputs))
        rows.append(_pack(in_tuple, blocks))
    return _pack(out_tuple, tuple(rows))


def _stack_rows(grads, out, x, create_graph):
    shape = tuple(out._data.shape) + tuple(x._data.shape)
    if not grads:
        return _wrap(np.zeros(shape, x._data.dtype))
    if create_graph:
        return stack(grads).reshape(shape)
    return _wrap(np.stack([g._data for g in grads]).reshape(shape))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a scalar ``func`` at ``inputs`` (shape ``inputs[i].shape + inputs[j].shape``),
    as the Jacobian of its gradient."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs):
        out_tuple, outputs = _call(func, xs, "hessian")
        if out_tuple or outputs[0].numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor with a single element")
        if not outputs[0].requires_grad:
            return tuple(_wrap(np.zeros_like(x._data)) for x in xs)
        grads = grad(outputs[0], xs, create_graph=True, allow_unused=True)
        return _fill_unused(grads, xs, strict, " when computing the hessian")

    result = jacobian(gradient, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                      strategy=outer_jacobian_strategy)
    return result if in_tuple else result[0][0]


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), v^T H)`` for a scalar ``func``."""
    in_tuple, inputs = _as_tuple(inputs, "inputs", "vhp")
    inputs = _prepare(inputs, create_graph)
    out_tuple, outputs = _call(func, inputs, "vhp")
    if out_tuple or outputs[0].numel() != 1:
        raise RuntimeError("The function given to vhp should return a single Tensor with a single element")
    v = _check_v(v, inputs, "vhp") if v is not None else _default_v(inputs, "vhp")
    grads = grad(outputs[0], inputs, create_graph=True, allow_unused=True)
    pairs = [(g, u, i) for i, (g, u) in enumerate(zip(grads, v)) if g is not None and g.requires_grad]
    res = grad([g for g, _, _ in pairs], inputs, [u for _, u, _ in pairs], create_graph=create_graph,
               allow_unused=True) if pairs else (None,) * len(inputs)
    res = _fill_unused(res, inputs, strict, " when computing the vhp")
    return _result(outputs, create_graph)[0], _pack(in_tuple, _result(res, create_graph))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(inputs), H v)`` for a scalar ``func``; the Hessian is symmetric, so H v = (v^T H)^T."""
    return vhp(func, inputs, v, create_graph=create_graph, strict=strict)
