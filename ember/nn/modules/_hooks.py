"""Module hooks: their handles, a call that runs them, and the ops behind full backward hooks.

``Module.__call__`` runs ``forward`` alone while no hook is registered; otherwise ``call_with_hooks``
runs, as ``torch.nn.Module._call_impl`` does:

1. forward pre-hooks, in order; a non-None return replaces the arguments;
2. with full backward (pre-)hooks and grad on: an identity op on the inputs that need a gradient;
3. ``forward``;
4. forward hooks, in order; a non-None return replaces the output;
5. with full backward (pre-)hooks: an identity op on the outputs. In backward, the output op's
   node sees grad_output (backward pre-hooks run there) and the input op's node sees grad_input
   (backward hooks run there), so the hooks see exactly the module's gradients.

If any step raises, the forward hooks registered with ``always_call=True`` that have not run yet
are called with the output so far (None when ``forward`` raised), each failure of theirs turned
into a warning, and the first exception propagates.
"""
import itertools
import warnings

import numpy as np

from ..._tensor import Tensor, _wrap
from ...autograd.function import Op
from ...autograd.grad_mode import _State


class _HookHandle:
    """Returned by ``register_*_hook``; ``.remove()`` unregisters the hook."""
    _next_id = itertools.count()

    def __init__(self, *registries):
        self.id = next(_HookHandle._next_id)
        self._registries = registries

    def remove(self):
        for r in self._registries:
            if isinstance(r, set):
                r.discard(self.id)
            else:
                r.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def add_hook(hooks, hook, prepend, *flags):
    """Register ``hook`` in the OrderedDict ``hooks`` (first if ``prepend``) and its id in each
    set of the ``(set, on)`` pairs ``flags`` that is on; the handle removes it from all of them.

    Example:
        >>> add_hook(m._forward_hooks, hook, False, (m._forward_hooks_with_kwargs, with_kwargs))
    """
    handle = _HookHandle(hooks, *(s for s, _ in flags))
    hooks[handle.id] = hook
    for s, on in flags:
        if on:
            s.add(handle.id)
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def call_with_hooks(module, args, kwargs):
    """``module(*args, **kwargs)`` with its hooks (see the module docstring)."""
    call = _Call(module, args, kwargs)
    try:
        return call.run()
    except Exception:
        call.run_always_called_hooks()
        raise


class _Call:
    """One call of a module that has hooks: its arguments and output so far, and the
    ``always_call`` forward hooks that have run."""
    __slots__ = ("module", "args", "kwargs", "output", "called")

    def __init__(self, module, args, kwargs):
        self.module, self.args, self.kwargs = module, args, kwargs
        self.output = None
        self.called = set()

    def run(self):
        m = self.module
        self.run_pre_hooks()
        state = None
        if (m._backward_hooks or m._backward_pre_hooks) and _State.enabled:
            state = _BackwardHookState(m)
            self.args = state.wrap_inputs(self.args)
        self.output = m.forward(*self.args, **self.kwargs)
        for hid, hook in list(m._forward_hooks.items()):
            if hid in m._forward_hooks_always_called:
                self.called.add(hid)
            self.run_forward_hook(hid, hook)
        if state is not None:
            self.output = state.wrap_outputs(self.output)
        return self.output

    def run_pre_hooks(self):
        m = self.module
        for hid, hook in list(m._forward_pre_hooks.items()):
            if hid in m._forward_pre_hooks_with_kwargs:
                res = hook(m, self.args, self.kwargs)
                if res is not None:
                    if not (isinstance(res, tuple) and len(res) == 2):
                        raise RuntimeError("forward pre-hook registered with with_kwargs=True must return "
                                           f"None or a tuple of (new_args, new_kwargs), but got {res!r}")
                    self.args, self.kwargs = res
            else:
                res = hook(m, self.args)
                if res is not None:
                    self.args = res if isinstance(res, tuple) else (res,)

    def run_forward_hook(self, hid, hook):
        m = self.module
        if hid in m._forward_hooks_with_kwargs:
            res = hook(m, self.args, self.kwargs, self.output)
        else:
            res = hook(m, self.args, self.output)
        if res is not None:
            self.output = res

    def run_always_called_hooks(self):
        """After an exception: the ``always_call`` forward hooks that have not run; their own
        exceptions become warnings, so that the first one propagates."""
        m = self.module
        for hid, hook in list(m._forward_hooks.items()):
            if hid in m._forward_hooks_always_called and hid not in self.called:
                try:
                    self.run_forward_hook(hid, hook)
                except Exception as e:
                    warnings.warn("module forward hook with ``always_call=True`` raised an exception that was "
                                  f"silenced as another error was raised in forward: {e}", stacklevel=4)


class _BackwardHook(Op):
    """Identity on some tensors that keeps ``state`` (a _BackwardHookState) for its backward.

    Its backward passes gradients through the module's hooks as they come: arrays, or Tensors
    with a graph under ``create_graph=True``."""
    backward_name = "BackwardHookFunctionBackward"
    differentiable_backward = True

    @staticmethod
    def forward(ctx, state, *xs):
        ctx.state = state
        return tuple(xs)


class _BackwardHookOut(_BackwardHook):
    """Identity on a module's outputs; its backward sees grad_output."""

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + ctx.state.on_grad_output(grads)


class _BackwardHookIn(_BackwardHook):
    """Identity on a module's inputs; its backward sees grad_input and runs the module's hooks."""

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + ctx.state.on_grad_input(grads)


def _as_arrays(values):
    return tuple(None if v is None else (v._data if isinstance(v, Tensor) else np.asarray(v)) for v in values)


def _as_tensors(values):
    return tuple(None if v is None else (v if isinstance(v, Tensor) else _wrap(np.asarray(v))) for v in values)


def _like_input(values, grads):
    """Hook results in the form the engine passed the gradients: Tensors (create_graph) or arrays."""
    graph = any(isinstance(g, Tensor) for g in grads)
    return _as_tensors(values) if graph else _as_arrays(values)


class _BackwardHookState:
    """Per-call bookkeeping for full backward (pre-)hooks, as torch.nn.Module does."""

    def __init__(self, module):
        self.module = module
        self.n_args = 0
        self.grad_positions = []
        self.grad_output = None

    def wrap_inputs(self, args):
        tensors = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.n_args = len(tensors)
        self.grad_positions = [k for k, i in enumerate(tensors) if args[i].requires_grad]
        if not self.grad_positions:
            return args
        wrapped = _BackwardHookIn.apply(self, *(args[tensors[k]] for k in self.grad_positions))
        args = list(args)
        for k, t in zip(self.grad_positions, wrapped):
            args[tensors[k]] = t
        return tuple(args)

    def wrap_outputs(self, output):
        single = isinstance(output, Tensor)
        outs = (output,) if single else tuple(output) if isinstance(output, (tuple, list)) else None
        if outs is None:
            return output
        idx = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
        if not idx:
            return output
        wrapped = _BackwardHookOut.apply(self, *(outs[i] for i in idx))
        outs = list(outs)
        for i, t in zip(idx, wrapped):
            outs[i] = t
        return outs[0] if single else type(output)(outs)

    def on_grad_output(self, grads):
        m = self.module
        go = _as_tensors(grads)
        for hook in list(m._backward_pre_hooks.values()):
            res = hook(m, go)
            if res is not None:
                go = tuple(res) if isinstance(res, (tuple, list)) else (res,)
        self.grad_output = go
        if not self.grad_positions:  # no input needs a gradient: the hooks run now, grad_input all None
            self._run_hooks((None,) * self.n_args)
        return _like_input(go, grads)

    def on_grad_input(self, grads):
        full = [None] * self.n_args
        for k, g in zip(self.grad_positions, _as_tensors(grads)):
            full[k] = g
        res = self._run_hooks(tuple(full))
        return _like_input(tuple(res[k] for k in self.grad_positions), grads)

    def _run_hooks(self, grad_input):
        m = self.module
        for hook in list(m._backward_hooks.values()):
            out = hook(m, grad_input, self.grad_output)
            if out is not None:
                out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
                if len(out) != len(grad_input):
                    raise RuntimeError(f"backward hook returned {len(out)} gradients but the module has "
                                       f"{len(grad_input)} tensor inputs")
                grad_input = out
        return grad_input

