"""Optimizer: the base class of every optimizer (param groups, lazy per-parameter state, state_dict, hooks).

Subclasses implement ``_update_group(group, index)``, which ``step()`` calls for each param group,
and update ``p.data`` in place with NumPy ``out=`` arithmetic, usually through ``_updates`` (the
per-parameter loop they share); a subclass may also override ``step()`` itself, as in PyTorch
(it is wrapped to run the step hooks). The state layout is
PyTorch's: ``optimizer.state[p]`` is a dict under PyTorch's key names, ``state_dict()``
references parameters by their index over all groups.

Helpers below this module: ``_state`` (state tensors), ``_update_math`` (shared in-place
arithmetic), ``_checks`` (argument checks), ``_flat_state`` (flat buffers for whole-group updates).
"""
import copy
import functools
import warnings
from collections import OrderedDict, defaultdict

import numpy as np

from .._inplace import zero_grad_in_place
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ._checks import check_implementation_flags
from ._flat_state import FlatState
from ._state import load_value, step_state
from ._update_math import decay_l2, effective_grad

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks a hyperparameter without a default: each param group must give it."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_global_pre_hooks = OrderedDict()
_global_post_hooks = OrderedDict()


class _Handle:
    """Returned by ``register_*_hook``; ``remove()`` unregisters the hook."""
    _next_id = 0

    def __init__(self, hooks):
        self._hooks = hooks
        self.id = _Handle._next_id
        _Handle._next_id += 1

    def remove(self):
        self._hooks.pop(self.id, None)


def register_optimizer_step_pre_hook(hook):
    """Run ``hook(optimizer, args, kwargs)`` before every optimizer's ``step``."""
    h = _Handle(_global_pre_hooks)
    _global_pre_hooks[h.id] = hook
    return h


def register_optimizer_step_post_hook(hook):
    """Run ``hook(optimizer, args, kwargs)`` after every optimizer's ``step``."""
    h = _Handle(_global_post_hooks)
    _global_post_hooks[h.id] = hook
    return h


def _hooked(step):
    """Wrap a ``step``: mark that it ran (for the LR-scheduler order warning) and run the step hooks."""
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        self._opt_called = True
        if not (self._step_pre_hooks or self._step_post_hooks or _global_pre_hooks or _global_post_hooks):
            return step(self, *args, **kwargs)
        for hook in (*_global_pre_hooks.values(), *self._step_pre_hooks.values()):
            res = hook(self, args, kwargs)
            if res is not None:
                if not (isinstance(res, tuple) and len(res) == 2):
                    raise RuntimeError(f"{hook} must return None or a tuple of (new_args, new_kwargs), but got {res}.")
                args, kwargs = res
        out = step(self, *args, **kwargs)
        for hook in (*self._step_post_hooks.values(), *_global_post_hooks.values()):
            hook(self, args, kwargs)
        return out
    wrapper._ember_hooked = True
    return wrapper


def _take_names(param_group):
    """``model.named_parameters()`` gives (name, tensor) pairs: keep the names under ``"param_names"``."""
    named = [isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in param_group["params"]]
    if any(named):
        if not all(named):
            raise ValueError("all optimizer params should be with/without names. Some param names are missing")
        param_group["param_names"] = [n for n, _ in param_group["params"]]
        param_group["params"] = [p for _, p in param_group["params"]]


def _typename(obj):
    if isinstance(obj, Tensor):
        return "ember.Tensor"
    return type(obj).__module__ + "." + type(obj).__qualname__


class Optimizer:
    """Base class of all optimizers.

    ``params`` is an iterable of tensors, or of dicts (param groups) each with a ``"params"``
    entry and any options that override ``defaults`` for that group.

    PyTorch's implementation flags are kept in the groups as PyTorch keeps them. ``foreach`` and
    ``fused`` only choose which kernel computes the same update; ember has one implementation,
    so they are accepted and the numbers do not depend on them (PyTorch's errors for ``fused``
    with ``foreach`` or ``differentiable`` are kept). ``capturable=True`` (CUDA graphs) and
    ``differentiable=True`` (autograd through ``step``) are not supported and raise
    ``NotImplementedError`` naming the flag, when the group is added or loaded.

    Example:
        >>> opt = ember.optim.SGD([{"params": model.body.parameters()},
        ...                        {"params": model.head.parameters(), "lr": 1e-3}], lr=1e-2, momentum=0.9)
        >>> opt.zero_grad(); loss.backward(); opt.step()
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_ember_hooked", False):
            cls.step = _hooked(step)

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._step_pre_hooks = OrderedDict()
        self._step_post_hooks = OrderedDict()
        self._state_dict_pre_hooks = OrderedDict()
        self._state_dict_post_hooks = OrderedDict()
        self._load_state_dict_pre_hooks = OrderedDict()
        self._load_state_dict_post_hooks = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {_typename(params)} (wrap a single tensor in a list: [tensor])")
        self.state = defaultdict(dict)
        self._tmp = {}
        self._flats = {}
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list (did you pass model.parameters() of a "
                             "model without parameters, or a generator that was already consumed?)")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # -- param groups ---------------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group of parameters with its own options (missing options take ``defaults``)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)
        _take_names(param_group)
        for group in self.param_groups:
            if ("param_names" in group) != ("param_names" in param_group):
                kind = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. cannot add param "
                                 f"group {kind} to the optimizer")
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(p))
            if not (p.grad_fn is None or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor (it was computed from other tensors; "
                                 "optimize the leaf it came from, or use .detach().requires_grad_())")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        check_implementation_flags(type(self).__name__, param_group)
        ids = [id(p) for p in param_group["params"]]
        if len(ids) != len(set(ids)):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # -- gradients ------------------------------------------------------------------------------
    def _scratch(self, p, n):
        """``n`` work arrays shaped like ``p`` (kept between steps, never in ``state``)."""
        bufs = self._tmp.get(p)
        if bufs is None or len(bufs) < n or bufs[0].shape != p._data.shape or bufs[0].dtype != p._data.dtype:
            bufs = [np.empty_like(p._data) for _ in range(n)]
            self._tmp[p] = bufs
        return bufs

    def _updates(self, group, n_tmp, init=None):
        """Yield ``(p, g, state, step, tmps)`` for each parameter of ``group`` that has a gradient.

        The part every optimizer's per-parameter loop shares: ``state`` is created on first use
        (``step``, then what ``init(p, state)`` adds; with ``init=None`` the loop keeps no state:
        ``state`` is None and ``step`` 0), ``step`` is counted, decoupled weight decay
        (``p *= 1 - lr * wd``) is applied to ``p.data``, and ``g`` is the effective gradient (maximize
        and L2 weight decay applied, see ``effective_grad``). ``tmps`` are ``n_tmp`` work arrays
        kept between steps; ``g`` may live in ``tmps[-1]``, so overwrite that one only once ``g`` is
        used. The caller updates ``p.data`` in place; its version is bumped when the loop resumes.
        """
        decay, l2 = decay_l2(group)
        maximize = group["maximize"]
        state = None
        step = 0.0
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            d = p._data
            if init is not None:
                state = self.state[p]
                if not state:
                    state["step"] = step_state()
                    init(p, state)
                steps = state["step"]._data
                steps += 1
                step = float(steps)
            tmps = self._scratch(p, n_tmp)
            if len(tmps) != n_tmp:
                tmps = tmps[:n_tmp]
            if decay is not None:
                d *= decay
            g = effective_grad(d, grad._data, l2, maximize, tmps[n_tmp - 1])
            yield p, g, state, step, tmps
            p._vc[0] += 1

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters: to None (default) or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        zero_grad_in_place(p.grad)

    @_hooked
    def step(self, closure=None):
        """Update every parameter that has a gradient; returns ``closure()``'s loss if given.

        Each optimizer implements ``_update_group``, called for each param group in order.
        """
        loss = _closure_loss(closure)
        for index, group in enumerate(self.param_groups):
            self._update_group(group, index)
        return loss

    def _update_group(self, group, index):
        """Update the parameters of param group ``group`` (number ``index``) in place."""
        raise NotImplementedError

    # -- hooks ----------------------------------------------------------------------------------
    def _register(self, hooks, hook, prepend=False):
        h = _Handle(hooks)
        hooks[h.id] = hook
        if prepend:
            hooks.move_to_end(h.id, last=False)
        return h

    def register_step_pre_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs before ``step``; may return new ``(args, kwargs)``."""
        return self._register(self._step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """``hook(optimizer, args, kwargs)`` runs after ``step``."""
        return self._register(self._step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        return self._register(self._load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        return self._register(self._load_state_dict_post_hooks, hook, prepend)

    # -- state_dict -----------------------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state as ``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``.

        Parameters are numbered in order over all groups. Like PyTorch, the state tensors are
        references, not copies: ``copy.deepcopy`` the result to keep a snapshot while training on.
        """
        for hook in self._state_dict_pre_hooks.values():
            hook(self)
        index = {}
        start = 0

        def pack(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack(g) for g in self.param_groups]
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        sd = {"state": state, "param_groups": groups}
        for hook in self._state_dict_post_hooks.values():
            res = hook(self, sd)
            if res is not None:
                sd = res
        return sd

    def load_state_dict(self, state_dict):
        """Load a ``state_dict()`` (for example from a checkpoint) into this optimizer.

        The groups must have the same sizes as this optimizer's. State tensors are copied and cast to
        their parameter's dtype (``step`` keeps its own dtype).
        """
        state_dict = dict(state_dict)
        for hook in self._load_state_dict_pre_hooks.values():
            res = hook(self, state_dict)
            if res is not None:
                state_dict = res
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError(f"loaded state dict has a different number of parameter groups "
                             f"(saved {len(saved_groups)}, this optimizer has {len(groups)})")
        for g, s in zip(groups, saved_groups):
            check_implementation_flags(type(self).__name__, s)
            if len(g["params"]) != len(s["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                                 f"optimizer's group (saved {len(s['params'])} params, this optimizer has "
                                 f"{len(g['params'])})")
        id_map = {}
        for g, s in zip(groups, saved_groups):
            for old, p in zip(s["params"], g["params"]):
                id_map[old] = p
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                state[p] = {key: load_value(p, key, val) for key, val in v.items()}
            else:
                state[k] = copy.deepcopy(v)
        new_groups = []
        for g, s in zip(groups, saved_groups):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
            new_groups.append(s)
        self.state = state
        self.param_groups = new_groups
        self._on_load()
        for hook in self._load_state_dict_post_hooks.values():
            hook(self)

    def _on_load(self):
        """Drop caches tied to the old state."""
        self._tmp = {}
        self._flats = {}

    def _flat_state(self, index, params, keys):
        """A ``FlatState`` for param group ``index`` when all ``params`` can be updated as one vector, else None.

        Built on first use (existing state is copied in; ``state[p][key]`` become views of the flat
        buffers) and reused while the parameters, their state tensors and shapes stay the same.
        """
        flats = self.__dict__.setdefault("_flats", {})
        c = flats.get(index)
        if c is not None and c.matches(self.state, params):
            return c
        c = FlatState.build(self.state, params, keys)
        flats[index] = c
        return c

    def __getstate__(self):
        # Work arrays and flat-buffer caches are rebuilt on demand; a copied cache would point at
        # copies of the flat buffers that no longer back the copied state tensors.
        return {k: v for k, v in self.__dict__.items() if k not in ("_tmp", "_flats")}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._tmp = {}
        self._flats = {}

    def __repr__(self):
        out = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            out += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    out += f"    {key}: {group[key]}\n"
        return out + ")"


def _closure_loss(closure):
    if closure is None:
        return None
    with enable_grad():
        return closure()
