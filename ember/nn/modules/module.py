"""Module: the base class of every layer and model, with PyTorch's registration semantics.

Parameters, buffers and submodules are registered by attribute assignment and kept in three
ordered dicts (``_parameters``, ``_buffers``, ``_modules``); ``__getattr__`` finds them there, so
names, order and ``state_dict`` keys are exactly PyTorch's.

Calling a module with hooks, and the hooks' handles, live in ``_hooks.py``; copying a state dict
into a module lives in ``_state_dict.py``.
"""
from collections import OrderedDict

from ... import _dtype
from ..._inplace import zero_grad_in_place
from ...compiler import api as _compiler_api
from ...compiler.api import compile_module_in_place
from ..._tensor import Tensor, _wrap, device as _device
from ..parameter import Buffer, Parameter
from . import _state_dict
from ._hooks import add_hook, call_with_hooks

__all__ = ["Module"]


def _addindent(s, n):
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    pad = " " * n
    return lines[0] + "\n" + "\n".join(pad + line for line in lines[1:])


def _tensor_type_name(value):
    if isinstance(value, Tensor):
        return value.type()
    return type(value).__name__


class Module:
    """Base class for all neural-network modules; subclass it and define ``forward``.

    Assigning a ``Parameter``, a ``Module`` or (via ``register_buffer``) a Tensor as an
    attribute registers it, in order; calling the module runs the hooks and ``forward``.

    Example:
        >>> class Net(ember.nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc1 = ember.nn.Linear(20, 128)
        ...         self.fc2 = ember.nn.Linear(128, 4)
        ...     def forward(self, x):
        ...         return self.fc2(ember.relu(self.fc1(x)))
        >>> [n for n, _ in Net().named_parameters()]
        ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    """
    training: bool
    _version = 1
    call_super_init = False

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            extra = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments ({extra}); "
                            "Module.__init__ takes no arguments besides self")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_hooks_with_kwargs"] = set()
        d["_forward_hooks_always_called"] = set()
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_pre_hooks_with_kwargs"] = set()
        d["_backward_hooks"] = OrderedDict()
        d["_backward_pre_hooks"] = OrderedDict()
        d["_state_dict_hooks"] = OrderedDict()
        d["_load_state_dict_pre_hooks"] = OrderedDict()

    def forward(self, *input):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    # -- calling --------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks or self._backward_pre_hooks):
            return self.forward(*args, **kwargs)
        if not (self._forward_pre_hooks or self._backward_hooks or self._backward_pre_hooks
                or self._forward_hooks_with_kwargs or self._forward_hooks_always_called):
            # only plain forward hooks (``hook(module, args, output)``): the short way round
            output = self.forward(*args, **kwargs)
            for hook in list(self._forward_hooks.values()):
                result = hook(self, args, output)
                if result is not None:
                    output = result
            return output
        return call_with_hooks(self, args, kwargs)

    def _get_name(self):
        return type(self).__name__

    # -- registration ---------------------------------------------------------------------------
    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if params is not None and (isinstance(value, (Parameter, Module, Tensor)) or name in params
                                   or name in d["_buffers"] or name in d["_modules"]):
            _compiler_api.module_structure[0] += 1      # compiled programs re-check what they read
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            _remove_from(self, name, d, self._buffers, self._modules, self._non_persistent_buffers_set)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_tensor_type_name(value)}' as parameter '{name}' "
                                "(ember.nn.Parameter or None expected); wrap it: nn.Parameter(tensor)")
            self.register_parameter(name, value)
            return
        modules = d.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            _remove_from(self, name, d, self._parameters, self._buffers, self._non_persistent_buffers_set)
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{_tensor_type_name(value)}' as child module '{name}' "
                                "(ember.nn.Module or None expected)")
            modules[name] = value
            return
        buffers = d.get("_buffers")
        if isinstance(value, Buffer) or (buffers is not None and name in buffers):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_tensor_type_name(value)}' as buffer '{name}' "
                                "(ember.Tensor or None expected)")
            if isinstance(value, Buffer):
                persistent = value.persistent
                plain = _wrap(value._data, value.requires_grad)
                plain._vc = value._vc
                if buffers is None:
                    raise AttributeError("cannot assign buffer before Module.__init__() call")
                _remove_from(self, name, d, self._parameters, self._modules)
                self.register_buffer(name, plain, persistent)
                return
            buffers[name] = value
            return
        object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        if "_parameters" in d:
            p = d["_parameters"]
            if name in p:
                return p[name]
            b = d["_buffers"]
            if name in b:
                return b[name]
            m = d["_modules"]
            if name in m:
                return m[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        _compiler_api.module_structure[0] += 1
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = list(object.__dir__(self)) + list(self._parameters) + list(self._modules) + list(self._buffers)
        return sorted(k for k in set(keys) if not k[0].isdigit())

    def _check_name(self, name, kind):
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got: {name}')

    def register_parameter(self, name, param):
        """Add ``param`` (a Parameter or None) under ``name``."""
        _compiler_api.module_structure[0] += 1
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_tensor_type_name(param)}' object to parameter '{name}' "
                            "(ember.nn.Parameter or None required)")
        if param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must "
                             "be created explicitly; to express '{name}' as a function of another Tensor, "
                             "compute the value in the forward() method.")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add a tensor that is state but not a parameter (e.g. BatchNorm's ``running_mean``).

        ``persistent=False`` keeps it out of ``state_dict``.
        """
        _compiler_api.module_structure[0] += 1
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_tensor_type_name(tensor)}' object to buffer '{name}' "
                            "(ember.Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Add a child module under ``name`` (usable as an attribute)."""
        _compiler_api.module_structure[0] += 1
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {type(name).__name__}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        """The submodule at dotted path ``target`` (``''`` is self)."""
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def get_parameter(self, target):
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._parameters:
            raise AttributeError(f"{mod._get_name()} has no parameter `{name}`")
        return mod._parameters[name]

    def get_buffer(self, target):
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._buffers:
            raise AttributeError(f"{mod._get_name()} has no buffer `{name}`")
        return mod._buffers[name]

    # -- iteration ------------------------------------------------------------------------------
    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        memo = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse \
            else [(prefix, self)]
        for mod_prefix, mod in modules:
            for k, v in get_members(mod):
                if v is None or (remove_duplicate and id(v) in memo):
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield (mod_prefix + ("." if mod_prefix else "") + k), v

    def parameters(self, recurse=True):
        """Iterator over the parameters (each shared one once), in registration order."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """Iterator over ``(dotted_name, Parameter)``, e.g. ``('fc1.weight', ...)``."""
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_children(self):
        memo = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in memo:
                memo.add(id(m))
                yield name, m

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Iterator over ``(dotted_name, module)`` for self (name ``''``) and all descendants."""
        if memo is None:
            memo = set()
        stack = [(prefix, self)]
        while stack:
            pre, mod = stack.pop()
            if remove_duplicate:
                if id(mod) in memo:
                    continue
                memo.add(id(mod))
            yield pre, mod
            children = [(pre + ("." if pre else "") + n, m) for n, m in mod._modules.items() if m is not None]
            stack.extend(reversed(children))

    # -- modes and gradients --------------------------------------------------------------------
    def train(self, mode=True):
        """Set training mode (affects Dropout, BatchNorm) on self and all descendants; returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            m.training = mode
        return self

    def eval(self):
        """Same as ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters (to None by default, else to zeros in place)."""
        for p in self.parameters():
            g = p._grad
            if g is None:
                continue
            if set_to_none:
                p._grad = None
            else:
                zero_grad_in_place(g)

    def compile(self, *args, **kwargs):
        """Compile this module's forward in place with ``ember.compile`` (same keyword arguments).

        Example:
            >>> model = ember.nn.Linear(4, 2); model.compile()
        """
        compile_module_in_place(self, *args, **kwargs)

    def apply(self, fn):
        """Call ``fn(m)`` on every submodule (children first) and self; returns self.

        Example:
            >>> model.apply(lambda m: ember.nn.init.zeros_(m.bias) if isinstance(m, ember.nn.Linear) else None)
        """
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # -- dtype / device -------------------------------------------------------------------------
    def _apply(self, fn, recurse=True):
        """Replace each parameter's / buffer's array by ``fn(array)`` in place (identity preserved)."""
        if recurse:
            for m in self.children():
                m._apply(fn)
        for p in self._parameters.values():
            if p is None:
                continue
            new = fn(p._data)
            if new is not p._data:
                p._data = new
                p._vc[0] += 1
            if p._grad is not None:
                g = fn(p._grad._data)
                if g is not p._grad._data:
                    p._grad._data = g
        for name, b in self._buffers.items():
            if b is None:
                continue
            new = fn(b._data)
            if new is not b._data:
                b._data = new
                b._vc[0] += 1
        return self

    def to(self, *args, **kwargs):
        """Convert floating-point parameters and buffers: ``to(ember.float64)``, ``to('cpu')``,
        ``to(device, dtype)``, ``to(tensor)``. ember runs on the CPU only."""
        dtype = kwargs.pop("dtype", None)
        dev = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)  # a copy to the CPU is synchronous anyway, as in PyTorch
        if kwargs.pop("memory_format", None) is not None:
            raise NotImplementedError("Module.to(memory_format=...) is not supported by ember: its tensors have "
                                      "one (contiguous) layout; call to() without memory_format")
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, _dtype.dtype) or a is float or a is int or a is bool:   # float is float64
                dtype = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, _device)):
                dev = a
            elif isinstance(a, bool):
                continue
            else:
                raise TypeError(f"to() received an invalid argument {a!r}: expected a device, a dtype or a Tensor")
        if dev is not None:
            _device(dev)
        if dtype is None:
            return self
        npdt = _dtype.to_numpy_dtype(dtype)
        if npdt.kind != "f":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}")
        return self._apply(lambda a: a.astype(npdt) if a.dtype.kind == "f" and a.dtype != npdt else a)

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def half(self):
        return self.to(_dtype.float16)

    def type(self, dst_type):
        return self.to(dst_type)

    def cpu(self):
        return self

    def cuda(self, device=None):
        _device("cuda")

    def share_memory(self):
        return self

    # -- state dict ----------------------------------------------------------------------------
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """An OrderedDict of every parameter and persistent buffer by dotted name (detached,
        sharing memory with the module)."""
        if args:  # legacy positional form: state_dict(destination, prefix, keep_vars)
            destination = args[0]
            if len(args) > 1:
                prefix = args[1]
            if len(args) > 2:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
        self._save_to_state_dict(destination, prefix, keep_vars)
        for hook in self._state_dict_hooks.values():
            res = hook(self, destination, prefix, {})
            if res is not None:
                destination = res
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs, assign=False):
        """Load this module's own parameters and persistent buffers (not its children's) from
        ``state_dict[prefix + name]``, appending to the key and error lists; layers override it
        to adapt old checkpoints."""
        _state_dict.load_own_state(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                   error_msgs, assign)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy parameters and buffers from ``state_dict`` into this module, in place.

        With ``strict=True`` (default) missing and unexpected keys raise RuntimeError; shape
        mismatches always raise. Returns ``(missing_keys, unexpected_keys)``.
        """
        return _state_dict.load_state_dict(self, state_dict, strict, assign)

    # -- hooks ---------------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """``hook(module, args)`` (or ``hook(module, args, kwargs)`` with ``with_kwargs``) runs before
        ``forward``; a non-None return replaces the args. Returns a handle with ``.remove()``."""
        return add_hook(self._forward_pre_hooks, hook, prepend, (self._forward_pre_hooks_with_kwargs, with_kwargs))

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """``hook(module, args, output)`` (or ``hook(module, args, kwargs, output)`` with
        ``with_kwargs``) runs after ``forward``; a non-None return replaces the output. With
        ``always_call=True`` it also runs when ``forward`` raises (output None), before the
        exception propagates. Returns a handle with ``.remove()``."""
        return add_hook(self._forward_hooks, hook, prepend, (self._forward_hooks_with_kwargs, with_kwargs),
                        (self._forward_hooks_always_called, always_call))

    def register_state_dict_hook(self, hook):
        return add_hook(self._state_dict_hooks, hook, False)

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        if with_module:
            mod = self
            return add_hook(self._load_state_dict_pre_hooks, lambda *a: hook(mod, *a), False)
        return add_hook(self._load_state_dict_pre_hooks, hook, False)

    def register_full_backward_hook(self, hook, prepend=False):
        """``hook(module, grad_input, grad_output)`` runs once the gradients with respect to the
        module's tensor inputs are computed; a non-None return replaces ``grad_input``.
        Returns a handle with ``.remove()``."""
        return add_hook(self._backward_hooks, hook, prepend)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """``hook(module, grad_output)`` runs when the gradients of the module's outputs are
        known; a non-None return replaces ``grad_output``. Returns a handle with ``.remove()``."""
        return add_hook(self._backward_pre_hooks, hook, prepend)

    register_backward_hook = register_full_backward_hook

    # -- printing ------------------------------------------------------------------------------
    def extra_repr(self):
        """The text inside ``Name(...)`` in the repr; override to show a layer's settings."""
        return ""

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): {_addindent(repr(m), 2)}" for name, m in self._modules.items()]
        lines = extra_lines + child_lines
        s = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                s += extra_lines[0]
            else:
                s += "\n  " + "\n  ".join(lines) + "\n"
        return s + ")"

    def __setstate__(self, state):
        self.__dict__.update(state)


def _remove_from(self, name, d, *containers):
    d.pop(name, None)
    for c in containers:
        if isinstance(c, set):
            c.discard(name)
        else:
            c.pop(name, None)
