"""Tensor: a NumPy array plus what autograd needs (requires_grad, grad, grad_fn, version).

This is the bottom layer: it imports nothing of ember but dtypes. Methods that need autograd or
the ops (arithmetic, backward, in-place writes, ``to``) are attached in ``ember._tensor_methods``.
"""
import warnings

import numpy as np

from . import _dtype


class Size(tuple):
    """The shape of a tensor: a tuple, printed as ``ember.Size([2, 3])``."""

    def __repr__(self):
        return f"{_dtype.DISPLAY_NAMESPACE}.Size({list(self)})"

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n


class device:
    """Where a tensor lives. ember runs on the CPU only."""
    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        if type.startswith("cuda") or type == "mps":
            raise RuntimeError(f"ember runs on the CPU only; device '{type}' is not available. "
                               "Use device='cpu' (or torch.device('cuda' if torch.cuda.is_available() else 'cpu')).")
        name, sep, number = type.partition(":")
        if name != "cpu":
            raise RuntimeError(f"Expected one of cpu device type at start of device string: {type}")
        if sep:                                      # "cpu:0", as PyTorch
            if not number.isdigit() or index is not None:
                raise RuntimeError(f"Invalid device string: '{type}'")
            index = int(number)
        if index is not None and int(index) < 0:
            raise RuntimeError("Device index must not be negative")
        self.type, self.index = "cpu", None if index is None else int(index)

    def __repr__(self):
        return "device(type='cpu')" if self.index is None else f"device(type='cpu', index={self.index})"

    def __str__(self):
        return "cpu" if self.index is None else f"cpu:{self.index}"

    def __eq__(self, other):
        if isinstance(other, device):
            return self.index == other.index
        return isinstance(other, str) and other.split(":")[0] == "cpu"

    def __hash__(self):
        return hash(("cpu", self.index))


_CPU = device("cpu")


def _wrap(data, requires_grad=False):
    """Make a Tensor around an ndarray without copying or checking (the hot path)."""
    t = object.__new__(Tensor)
    t._data = data
    t.requires_grad = requires_grad
    t.grad_fn = None
    t._grad = None
    t._vc = [0]
    t._out_idx = 0
    t._acc = None
    return t


class _TensorType(type):
    """Tensor's metaclass, for the class's repr only: ``type(x)`` prints ``<class 'ember.Tensor'>``
    (``<class 'torch.Tensor'>`` under ``ember run``, as the tutorial printed), and subclasses in
    ember's packages name their module under the same namespace."""

    def __repr__(cls):
        module = cls.__module__
        if module == __name__:
            return f"<class '{_dtype.DISPLAY_NAMESPACE}.{cls.__qualname__}'>"
        if module.startswith("ember."):
            return f"<class '{_dtype.DISPLAY_NAMESPACE}{module[5:]}.{cls.__qualname__}'>"
        return super().__repr__()


class Tensor(metaclass=_TensorType):
    """A multi-dimensional array that records operations for automatic differentiation.

    Create tensors with ``ember.tensor``, ``ember.zeros``, ``ember.randn``, ...; ``.numpy()`` is the
    underlying ``numpy.ndarray``.

    Example:
        >>> x = ember.tensor([1.0, 2.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([2., 4.])
    """
    __slots__ = ("_data", "requires_grad", "grad_fn", "_grad", "_vc", "_out_idx", "_acc", "_view_of", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, *args, dtype=None, requires_grad=False):
        # torch.Tensor(2, 3) makes an uninitialised float tensor; torch.Tensor([1, 2]) copies data.
        if len(args) == 1 and not isinstance(args[0], int):
            data = to_array(args[0], dtype=dtype or _dtype.get_default_dtype())
        else:
            data = np.zeros(tuple(args[0]) if len(args) == 1 and not isinstance(args[0], int) else args,
                            dtype=_dtype.to_numpy_dtype(dtype or _dtype.get_default_dtype()))
        self._data = data
        self.requires_grad = False
        self.grad_fn = None
        self._grad = None
        self._vc = [0]
        self._out_idx = 0
        self._acc = None
        if requires_grad:
            self.requires_grad_(True)

    # -- basic attributes -----------------------------------------------------------------------
    @property
    def data(self):
        """This tensor's values as a new Tensor that shares its memory but not its graph
        (``requires_grad=False``, no ``grad_fn``) nor its version counter, so in-place changes
        through it are not tracked by autograd — PyTorch's ``.data``
        (``p.data.add_(g, alpha=-lr)``, ``m.bias.data.fill_(0)``, ``p.grad.data.zero_()``).
        ember's own code reads the NumPy array as ``_data``."""
        return _wrap(self._data)

    @data.setter
    def data(self, value):
        """``p.data = other``: ``p`` now holds ``other``'s values (shape and dtype may change)."""
        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.data must be assigned a Tensor, got {type(value).__name__}; "
                            "use ember.as_tensor(...) first")
        self._data = value._data

    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        """The shape as ``ember.Size``, or the length of one dimension."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_norm_dim(dim, self._data.ndim)]

    @property
    def dtype(self):
        return _dtype.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return _CPU

    @property
    def is_cuda(self):
        return False

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_contiguous(self, memory_format=None):
        return self._data.flags.c_contiguous

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[_norm_dim(dim, self._data.ndim)]

    def data_ptr(self):
        return self._data.ctypes.data

    @property
    def _version(self):
        return self._vc[0]

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def grad(self):
        if self.grad_fn is not None and self._grad is None and not self.retains_grad:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
                "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor.",
                UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"assigned grad has data of a different size: expected "
                                   f"{tuple(self._data.shape)}, got {tuple(value._data.shape)}")
        self._grad = value

    @property
    def retains_grad(self):
        gf = self.grad_fn
        return gf is not None and gf._retain is not None and self._out_idx in gf._retain

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place (leaf tensors only) and return self."""
        if self.grad_fn is not None:
            if not requires_grad:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to use a "
                    "computed variable in a subgraph that doesn't require differentiation use "
                    "var_no_grad = var.detach().")
            return self
        if requires_grad and self._data.dtype.kind != "f":
            raise RuntimeError(f"only Tensors of floating point dtype can require gradients "
                               f"(this one is {self.dtype}); convert it first with .float()")
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self):
        """A new tensor sharing data, cut from the graph."""
        t = _wrap(self._data)
        t._vc = self._vc
        return t

    def detach_(self):
        self.grad_fn = None
        self.requires_grad = False
        return self

    # -- conversion ---------------------------------------------------------------------------
    def numpy(self, force=False):
        """The data as a NumPy array (shared memory)."""
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar; "
                               "item() needs exactly one element (reduce first, e.g. loss.mean().item())")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous "
                               f"(shape {tuple(self._data.shape)}); use .any() or .all()")
        return bool(self._data.reshape(()).item())

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self):
        return id(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data, self.requires_grad))

    def __format__(self, spec):
        # As PyTorch: a plain 0-d tensor formats as its number (f"{loss}" prints 0.6931...); any
        # other tensor (or a Parameter) prints as str() and refuses a format spec.
        if self._data.ndim == 0 and type(self) is Tensor:
            return format(self.item(), spec)
        if spec:
            raise TypeError(f"unsupported format string passed to {type(self).__name__}.__format__")
        return str(self)

    def cpu(self):
        return self

    def cuda(self, *args, **kwargs):
        device("cuda")

def _rebuild(data, requires_grad):
    t = _wrap(np.array(data))
    t.requires_grad = requires_grad
    return t


def _norm_dim(dim, ndim):
    """Wrap a negative dim; IndexError in PyTorch's words when out of range."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim




def to_array(data, default_float=None, dtype=None):
    """Python data, NumPy arrays or Tensors to a new ndarray with PyTorch's dtype inference."""
    npd = _dtype.to_numpy_dtype(dtype)
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, np.ndarray):
        arr = data
    elif isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat(data)):
        arr = np.array(_untensor(data))
    else:
        arr = np.array(data)
        if arr.dtype == object:
            raise TypeError(f"could not make a tensor from {type(data).__name__}: nested sequences must "
                            f"be rectangular and hold numbers (got {data!r:.80})")
    if npd is not None:
        return np.array(arr, dtype=npd, copy=True)
    kind = arr.dtype.kind
    typed = isinstance(data, (np.ndarray, np.generic, Tensor))  # keeps its dtype, as in torch
    if kind == "f" and not typed:
        return arr.astype((default_float or _dtype.get_default_dtype()).np)
    if kind in "iu" and not typed:
        return arr.astype(np.int64)
    if kind in "US":
        raise TypeError(f"can't make a tensor from strings ({data!r:.60}); convert them to numbers first")
    if arr.dtype not in _dtype._BY_NP:
        if kind == "f":
            return arr.astype(np.float32)
        if kind in "iu":
            return arr.astype(np.int64)
        if kind == "c":
            raise TypeError("complex tensors are not supported by ember")
    return np.array(arr, copy=True)


def _flat(x):
    if isinstance(x, (list, tuple)):
        for y in x:
            yield from _flat(y)
    else:
        yield x


def _untensor(x):
    if isinstance(x, (list, tuple)):
        return [_untensor(y) for y in x]
    return x._data if isinstance(x, Tensor) else x
