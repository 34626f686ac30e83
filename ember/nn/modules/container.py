"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict."""
import operator
from collections import OrderedDict
from itertools import islice

from ..._tensor import Tensor
from ..parameter import Parameter
from .module import Module, _addindent

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict"]


def _index(idx, n, kind):
    idx = operator.index(idx)
    if not -n <= idx < n:
        raise IndexError(f"index {idx} is out of range for {kind} of length {n}")
    return idx + n if idx < 0 else idx


class _ModuleSequence(Module):
    """Deletion, length, iteration and pop shared by Sequential and ModuleList (children '0'..'n-1')."""
    _kind = "ModuleSequence"

    def __delitem__(self, idx):
        keys = list(self._modules)
        if isinstance(idx, slice):
            for key in keys[idx]:
                delattr(self, key)
        else:
            delattr(self, keys[_index(idx, len(keys), self._kind)])
        # re-number so that the keys are 0..n-1 again, as PyTorch does
        self._renumber(list(self._modules.values()))

    def _renumber(self, modules):
        self._modules.clear()
        for i, m in enumerate(modules):
            self._modules[str(i)] = m

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def pop(self, key):
        v = self[key]
        del self[key]
        return v


class Sequential(_ModuleSequence):
    """Modules applied in order: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Children are named ``'0', '1', ...``, or by the keys of an ``OrderedDict``.

    Example:
        >>> model = ember.nn.Sequential(ember.nn.Linear(20, 128), ember.nn.ReLU(), ember.nn.Linear(128, 4))
        >>> model[0]
        Linear(in_features=20, out_features=128, bias=True)
    """
    _kind = "Sequential"

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        i = _index(idx, len(self._modules), self._kind)
        return next(islice(self._modules.values(), i, None))

    def __setitem__(self, idx, module):
        i = _index(idx, len(self._modules), self._kind)
        key = list(self._modules)[i]
        setattr(self, key, module)

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError(f"add operator supports only objects of Sequential class, but "
                             f"{type(other).__name__} is given.")
        return Sequential(*self, *other)

    def __iadd__(self, other):
        return self.extend(other)

    def __mul__(self, n):
        if not isinstance(n, int) or n <= 0:
            raise ValueError(f"Non-positive multiplication factor {n} for Sequential")
        return Sequential(*(list(self) * n))

    def append(self, module):
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def insert(self, index, module):
        """Insert ``module`` before position ``index``."""
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: Module, got {type(module).__name__}")
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index} (Sequential of length {n})")
        if index < 0:
            index += n
        mods = list(self._modules.values())
        mods.insert(index, module)
        self._renumber(mods)
        return self

    def extend(self, sequential):
        for m in sequential:
            self.append(m)
        return self

    def __dir__(self):
        return [k for k in super().__dir__() if not k.isdigit()]


class ModuleList(_ModuleSequence):
    """A list of modules, registered (their parameters appear in ``parameters()``).

    Example:
        >>> layers = ember.nn.ModuleList([ember.nn.Linear(8, 8) for _ in range(3)])
    """
    _kind = "ModuleList"

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[str(_index(idx, len(self), self._kind))]

    def __setitem__(self, idx, module):
        setattr(self, str(_index(idx, len(self), self._kind)), module)

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList(list(self) + list(other))

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        if isinstance(modules, (Module, Tensor)) or not hasattr(modules, "__iter__"):
            raise TypeError("ModuleList.extend should be called with an iterable, but got "
                            + type(modules).__name__)
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        mods = list(self._modules.values())
        mods.insert(index, module)
        self._modules.clear()
        for i, m in enumerate(mods):
            self.add_module(str(i), m)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward(); iterate over it and call each module")

    def __repr__(self):
        # Consecutive children with identical repr are shown once, as '(0-2): 3 x Linear(...)'.
        items = [(k, repr(m)) for k, m in self._modules.items()]
        if not items:
            return self._get_name() + "()"
        lines = []
        start = 0
        for i in range(1, len(items) + 1):
            if i < len(items) and items[i][1] == items[start][1]:
                continue
            body = _addindent(items[start][1], 2)
            if i - start > 1:
                lines.append(f"({items[start][0]}-{items[i - 1][0]}): {i - start} x {body}")
            else:
                lines.append(f"({items[start][0]}): {body}")
            start = i
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return [k for k in super().__dir__() if not k.isdigit()]


class ModuleDict(Module):
    """An ordered dict of modules, registered under their keys.

    Example:
        >>> acts = ember.nn.ModuleDict({'relu': ember.nn.ReLU(), 'tanh': ember.nn.Tanh()})
        >>> acts['relu']
        ReLU()
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def clear(self):
        self._modules.clear()

    def pop(self, key):
        v = self[key]
        del self[key]
        return v

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules):
        items = modules.items() if hasattr(modules, "items") else modules
        for j, kv in enumerate(items):
            if not isinstance(kv, tuple) and not isinstance(kv, list) and not hasattr(modules, "items"):
                raise TypeError(f"ModuleDict update sequence element #{j} should be Iterable; is "
                                + type(kv).__name__)
            k, v = kv
            self[k] = v

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict has no forward(); index it and call the module")


def _param_str(p):
    size = "x".join(str(s) for s in p.shape)
    kind = "Parameter containing" if isinstance(p, Parameter) else "Tensor"
    return f"{kind}: [{p.dtype} of size {size}]"


class ParameterList(Module):
    """A list of Parameters, registered as ``'0', '1', ...`` (plain tensors are wrapped).

    Example:
        >>> ps = ember.nn.ParameterList([ember.nn.Parameter(ember.randn(3)) for _ in range(2)])
    """

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self += values

    def _wrap_value(self, value):
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        return value

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ParameterList([self[i] for i in range(len(self))[idx]])
        return getattr(self, str(_index(idx, self._size, "ParameterList")))

    def __setitem__(self, idx, param):
        setattr(self, str(_index(idx, self._size, "ParameterList")), self._wrap_value(param))

    def __len__(self):
        return self._size

    def __iter__(self):
        return iter(self[i] for i in range(self._size))

    def __iadd__(self, parameters):
        return self.extend(parameters)

    def append(self, value):
        new_idx = self._size
        self._size += 1
        setattr(self, str(new_idx), self._wrap_value(value))
        return self

    def extend(self, values):
        for v in values:
            self.append(v)
        return self

    def extra_repr(self):
        return "\n".join(f"({i}): {_param_str(p) if isinstance(p, Tensor) else repr(p)}"
                         for i, p in enumerate(self))

    def __repr__(self):
        lines = self.extra_repr()
        if not lines:
            return "ParameterList()"
        return "ParameterList(\n" + "\n".join("    " + ln for ln in lines.split("\n")) + "\n)"

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ParameterList has no forward()")


class ParameterDict(Module):
    """An ordered dict of Parameters, registered under their keys (plain tensors are wrapped).

    Example:
        >>> ps = ember.nn.ParameterDict({'scale': ember.nn.Parameter(ember.ones(3))})
    """

    def __init__(self, parameters=None):
        super().__init__()
        self._keys = {}
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key):
        return getattr(self, key)

    def __setitem__(self, key, value):
        self._keys[key] = None
        if isinstance(value, Tensor) and not isinstance(value, Parameter):
            value = Parameter(value)
        setattr(self, key, value)

    def __delitem__(self, key):
        del self._keys[key]
        delattr(self, key)

    def __len__(self):
        return len(self._keys)

    def __iter__(self):
        return iter(self._keys)

    def __contains__(self, key):
        return key in self._keys

    def keys(self):
        return self._keys.keys()

    def items(self):
        return ((k, self[k]) for k in self._keys)

    def values(self):
        return (self[k] for k in self._keys)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def pop(self, key):
        v = self[key]
        del self[key]
        return v

    def clear(self):
        for k in list(self._keys):
            del self[k]

    def update(self, parameters):
        items = parameters.items() if hasattr(parameters, "items") else parameters
        for k, v in items:
            self[k] = v

    def extra_repr(self):
        return "\n".join(f"({k}): {_param_str(p) if isinstance(p, Tensor) else repr(p)}"
                         for k, p in self.items())

    def __repr__(self):
        lines = self.extra_repr()
        if not lines:
            return "ParameterDict()"
        return "ParameterDict(\n" + "\n".join("    " + ln for ln in lines.split("\n")) + "\n)"

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ParameterDict has no forward()")
