"""``torch.utils.checkpoint``: trade compute for memory by recomputing a function in backward.

``checkpoint(fn, *args)`` runs ``fn`` without recording a graph and keeps only its inputs. In
backward it runs ``fn`` again with grad enabled, from the same inputs and (``preserve_rng_state``)
the same random-generator state, so dropout draws the same mask, and backpropagates through that
recomputation. The gradients reaching the inputs and every tensor ``fn`` reads from outside
(parameters) are those of running ``fn`` directly.

ember runs both ``use_reentrant`` variants the same way: the tensors ``fn`` reads that require
grad are found while it runs (each op's inputs are seen through ``autograd.function.route_apply``)
and become inputs of one graph node, whose backward recomputes ``fn`` and returns their gradients
with ``autograd.grad``. ``use_reentrant=True`` keeps PyTorch's rules: tensor arguments only (no
keyword arguments), a warning and no gradients when no argument requires grad.
"""
import warnings

from .. import _random
from .._tensor import Tensor
from ..autograd.api import grad as _autograd_grad
from ..autograd.function import Function, route_apply
from ..autograd.grad_mode import enable_grad, no_grad

__all__ = ["checkpoint", "checkpoint_sequential"]


def noop_context_fn():
    """The default ``context_fn``: no context around the forward and the recomputation."""
    return _NullContext(), _NullContext()


class _NullContext:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


class _Recorder:
    """Notes the tensors requiring grad that ``fn``'s ops read and did not make themselves."""

    def __init__(self):
        self.made, self.read = set(), {}

    def __call__(self, original, cls, args):
        for a in args:
            if isinstance(a, Tensor) and a.requires_grad and id(a) not in self.made:
                self.read.setdefault(id(a), a)
        out = original(cls, *args)
        for o in (out if isinstance(out, tuple) else (out,)):
            if isinstance(o, Tensor):
                self.made.add(id(o))
        return out


class CheckpointFunction(Function):
    @staticmethod
    def forward(ctx, run, n_args, outputs, *tensors):
        ctx.run, ctx.n_args, ctx.tensors = run, n_args, tensors
        return outputs if len(outputs) > 1 else outputs[0]

    @staticmethod
    def backward(ctx, *grads):
        args, reads = ctx.tensors[:ctx.n_args], ctx.tensors[ctx.n_args:]
        detached = [a.detach().requires_grad_(a.requires_grad) for a in args]
        with enable_grad():
            outputs = ctx.run(detached)
        outputs = outputs if isinstance(outputs, tuple) else (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grads)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        wrt = [d for d in detached if d.requires_grad] + list(reads)
        if not pairs or not wrt:
            got = {}
        else:
            result = _autograd_grad([o for o, _ in pairs], wrt, [g for _, g in pairs], allow_unused=True)
            got = {id(t): g for t, g in zip(wrt, result)}
        arg_grads = [got.get(id(d)) for d in detached]
        return (None, None, None, *arg_grads, *[got.get(id(r)) for r in reads])


def _structure_outputs(out):
    return out if isinstance(out, tuple) else (out,)


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn, determinism_check="default",
               debug=False, early_stop=True, **kwargs):
    """Run ``function(*args, **kwargs)`` without keeping its intermediate values; recompute them in backward.

    Pass ``use_reentrant`` explicitly (PyTorch warns when it is omitted and then uses ``True``).

    Example:
        >>> h = ember.utils.checkpoint.checkpoint(block, x, use_reentrant=False)
        >>> h.sum().backward()                 # block runs again here, with the same dropout masks
    """
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in "
                      "PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
                      "use_reentrant=False is recommended, but if you need to preserve the current default behavior, "
                      "you can pass use_reentrant=True. Refer to docs for more details on the differences between "
                      "the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2)
    else:
        if context_fn is not noop_context_fn:
            raise NotImplementedError("checkpoint: context_fn is not supported by ember")
        if debug:
            raise NotImplementedError("checkpoint: debug=True is not supported by ember")
        if determinism_check not in ("default", "none"):
            raise ValueError("determinism_check should be one of ['default', 'none'], "
                             f"but got {determinism_check}")
    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    state = _random.get_rng_state() if preserve else None

    def run(tensors):
        full = list(args)
        for i, t in zip(positions, tensors):
            full[i] = t
        if state is None:
            return function(*full, **kwargs)
        outer = _random.get_rng_state()
        _random.set_rng_state(state)
        try:
            return function(*full, **kwargs)
        finally:
            _random.set_rng_state(outer)

    recorder = _Recorder()
    with no_grad(), route_apply(recorder):
        outputs = function(*args, **kwargs)
    tensors = [args[i] for i in positions]
    ids = {id(t) for t in tensors}
    reads = [] if use_reentrant and not any(t.requires_grad for t in tensors) else \
        [t for k, t in recorder.read.items() if k not in ids]
    if not any(t.requires_grad for t in tensors) and not reads:
        return outputs
    single = isinstance(outputs, Tensor)
    outs = _structure_outputs(outputs)
    differentiable = [o for o in outs if isinstance(o, Tensor) and o.dtype.is_floating_point]
    if not differentiable:
        return outputs

    results = CheckpointFunction.apply(lambda ts: _pick(run(ts), outs), len(tensors), tuple(o.detach() for o in differentiable),
                                *tensors, *reads)
    results = results if isinstance(results, tuple) else (results,)
    it = iter(results)
    merged = tuple(next(it) if isinstance(o, Tensor) and o.dtype.is_floating_point else o for o in outs)
    return merged[0] if single else merged


def _pick(outputs, template):
    outs = _structure_outputs(outputs)
    return tuple(o for o, t in zip(outs, template) if isinstance(t, Tensor) and t.dtype.is_floating_point)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Split ``functions`` (a Sequential or list of modules) into ``segments`` runs and checkpoint
    all but the last; returns the output of the whole chain.

    Example:
        >>> out = ember.utils.checkpoint.checkpoint_sequential(model, 2, x, use_reentrant=False)
    """
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be passed "
                      "explicitly. In version 2.9 we will raise an exception if use_reentrant is not passed. "
                      "use_reentrant=False is recommended, but if you need to preserve the current default behavior, "
                      "you can pass use_reentrant=True. Refer to docs for more details on the differences between "
                      "the two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))

    def run_function(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    if hasattr(functions, "children") and not isinstance(functions, (list, tuple)):
        functions = list(functions.children())
    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run_function(start, end), input, use_reentrant=use_reentrant, preserve_rng_state=preserve)
    return run_function(end + 1, len(functions) - 1)(input)
