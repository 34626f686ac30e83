"""``torch.nn.utils.stateless``: run a module with other tensors in place of its parameters and buffers.

``reparametrized_call`` is the implementation behind ``torch.func.functional_call`` (``ember.func``,
above this layer, exports it under that name) and this module's deprecated ``functional_call``.

The module's own tensors are swapped out for the call and put back afterwards (also when the call
raises). The given tensors are used as they are, so gradients flow to them; this is how a module
becomes a function of its weights for ``grad``, ``vmap`` and ``jacrev``.

Example:
    >>> model = ember.nn.Linear(3, 2)
    >>> params = {k: v.detach() for k, v in model.named_parameters()}
    >>> out = reparametrized_call(model, params, (ember.randn(4, 3),))
"""
import warnings

from ..._tensor import Tensor
from ...compiler import api as _compiled


def _owner(module, path):
    """(submodule, attribute name) for a dotted name such as ``"layer1.0.weight"``."""
    *mods, name = path.split(".")
    for m in mods:
        module = getattr(module, m)
    return module, name


def _merge(parameter_and_buffer_dicts):
    if isinstance(parameter_and_buffer_dicts, dict):
        return dict(parameter_and_buffer_dicts)
    if not isinstance(parameter_and_buffer_dicts, (tuple, list)) or not all(
            isinstance(d, dict) for d in parameter_and_buffer_dicts):
        raise ValueError(f"Expected all elements of parameter_and_buffer_dicts to be dictionaries, got "
                         f"{type(parameter_and_buffer_dicts).__name__}: pass a dict or a tuple of dicts")
    merged, seen = {}, {}
    for d in parameter_and_buffer_dicts:
        for k, v in d.items():
            seen[k] = seen.get(k, 0) + 1
            merged[k] = v
    repeated = [k for k, n in seen.items() if n > 1]
    if repeated:
        raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional call is ambiguous")
    return merged


def _tied_names(module):
    """Each name of a tensor held under several names (tied weights) -> all of its names."""
    groups = {}
    for prefix, m in module.named_modules(remove_duplicate=False):
        for table in (m.__dict__.get("_parameters", {}), m.__dict__.get("_buffers", {})):
            for name, t in table.items():
                if t is not None:
                    groups.setdefault(id(t), []).append(f"{prefix}.{name}" if prefix else name)
    return {n: names for names in groups.values() if len(names) > 1 for n in names}


def _expand_tied(module, values):
    tied = _tied_names(module)
    if not tied:
        return values
    out = dict(values)
    for name in list(values):
        others = [n for n in tied.get(name, ()) if n != name]
        given = [n for n in others if n in values and values[n] is not values[name]]
        if given:
            raise ValueError(f"functional_call got multiple values for keys {sorted([name] + given)}, which are "
                             f"tied. Consider using tie_weights=False")
        for n in others:
            out[n] = values[name]
    return out


def _check_strict(module, values):
    expected = set(n for n, _ in module.named_parameters(remove_duplicate=False)) | set(
        n for n, _ in module.named_buffers(remove_duplicate=False))
    unexpected = sorted(set(values) - expected)
    missing = sorted(expected - set(values))
    if unexpected or missing:
        lines = [f"Error(s) in reparametrizing for {type(module).__name__}:"]
        if unexpected:
            lines.append("\tUnexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected) + ".")
        if missing:
            lines.append("\tMissing key(s): " + ", ".join(f"'{k}'" for k in missing) + ".")
        raise RuntimeError("\n".join(lines))


class _Swapped:
    """Context manager: the module holds ``values`` in place of its tensors; restored on exit."""

    def __init__(self, module, values):
        self.module, self.values, self.undo = module, values, []

    def __enter__(self):
        try:
            for path, value in self.values.items():
                if value is not None and not isinstance(value, Tensor):
                    raise TypeError(f"functional_call: the value for '{path}' must be a Tensor, got "
                                    f"{type(value).__name__}")
                owner, name = _owner(self.module, path)
                d = owner.__dict__
                for kind in ("_parameters", "_buffers"):
                    if name in d.get(kind, {}):
                        self.undo.append((d[kind], name, d[kind][name]))
                        d[kind][name] = value
                        break
                else:       # not a parameter or buffer: a plain attribute for the call, as torch does
                    self.undo.append((owner, name, d[name] if name in d else _Missing))
                    object.__setattr__(owner, name, value)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        for where, name, old in reversed(self.undo):
            if isinstance(where, dict):
                where[name] = old
            elif old is _Missing:
                object.__delattr__(where, name)
            else:
                object.__setattr__(where, name, old)
        self.undo.clear()
        return False


class _Missing:
    pass


def _unwrapped(module):
    """The module itself for ``ember.compile(module)``'s wrapper (its tensors live there)."""
    return module._orig_mod if isinstance(module, _compiled.OptimizedModule) else module


class _CompiledRunEagerly:
    """Compiled forwards (``module.compile()``, ``ember.compile``) run eagerly for the call: their
    recorded programs read the module's own tensors, not the substituted ones. (The compiler's
    counter of calls being recorded makes a compiled call run its function as it is.)"""

    def __enter__(self):
        _compiled._recording[0] += 1

    def __exit__(self, *exc):
        _compiled._recording[0] -= 1
        return False


def reparametrized_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True,
                        strict=False):
    """Call ``module(*args, **kwargs)`` with the tensors of ``parameter_and_buffer_dicts`` (a dict, or a
    tuple of dicts, name -> Tensor) in place of its parameters and buffers of the same names.

    Names not given keep the module's own tensors (``strict=True`` requires every name, and no
    others). With ``tie_weights=True`` a tensor given for one of several names that share a tensor
    in the module is used for all of them. ``args`` that is not a tuple is the single argument.

    Example:
        >>> model = ember.nn.Linear(3, 1)
        >>> w = {"weight": ember.ones(1, 3), "bias": ember.zeros(1)}
        >>> reparametrized_call(model, w, (ember.ones(2, 3),))
        tensor([[3.],
                [3.]])
    """
    values = _merge(parameter_and_buffer_dicts)
    if tie_weights:
        values = _expand_tied(module, values)
    if strict:
        _check_strict(module, values)
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    kwargs = {} if kwargs is None else kwargs
    with _Swapped(_unwrapped(module), values), _CompiledRunEagerly():
        return module(*args, **kwargs)


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """Deprecated in PyTorch 2.0 (warns as PyTorch does): ``torch.func.functional_call``.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     out = functional_call(ember.nn.Linear(2, 1), {}, (ember.ones(2),))
    """
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be removed "
                  "in a future version of PyTorch. Please use `torch.func.functional_call` instead which is a "
                  "drop-in replacement.", FutureWarning, stacklevel=2)
    return reparametrized_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
