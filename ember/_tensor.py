"""Tensor: a NumPy array plus what autograd needs (requires_grad, grad, grad_fn, version)."""
import warnings
import weakref

import numpy as np

from . import _dtype
from .autograd import function as _function
from .autograd.grad_mode import _State


class Size(tuple):
    """The shape of a tensor: a tuple, printed as ``ember.Size([2, 3])``."""

    def __repr__(self):
        return f"ember.Size({list(self)})"

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
        if type != "cpu":
            raise RuntimeError(f"Expected one of cpu device type at start of device string: {type}")
        self.type, self.index = type, index

    def __repr__(self):
        return "device(type='cpu')"

    def __str__(self):
        return "cpu"

    def __eq__(self, other):
        return isinstance(other, (device, str)) and str(other).split(":")[0] == "cpu"

    def __hash__(self):
        return hash("cpu")


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


class Tensor:
    """A multi-dimensional array that records operations for automatic differentiation.

    Create tensors with ``ember.tensor``, ``ember.zeros``, ``ember.randn``, ...; ``.data`` is the
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
            data = _creation_array(args[0], dtype or _dtype.get_default_dtype())
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
        """The underlying ``numpy.ndarray`` (ember's internal array is ``_data``)."""
        return self._data

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else value

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

    def _accumulator(self):
        acc = self._acc
        if acc is None:
            acc = self._acc = _function.AccumulateGrad(self)
        return acc

    # -- autograd -----------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``gradient`` is required unless self has one element. Pass ``retain_graph=True`` to
        backward through the same graph again.
        """
        if create_graph:
            raise NotImplementedError("ember computes first-order gradients only (create_graph=True "
                                      "is not supported)")
        from .autograd.engine import run_backward
        if isinstance(inputs, Tensor):
            inputs = [inputs]
        run_backward((self,), (gradient,), retain_graph=bool(retain_graph), inputs=inputs)

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor during backward."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        gf = self.grad_fn
        if gf is None:
            return
        if gf._retain is None:
            gf._retain = {}
        gf._retain[self._out_idx] = weakref.ref(self)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it.

        Returns a handle with ``.remove()``.
        """
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            acc = self._accumulator()
            acc.hooks.append(hook)
            return _function._RemovableHandle(acc.hooks, hook)
        return self.grad_fn.register_prehook(hook, self._out_idx)

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

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        """NumPy ufuncs on Tensors: ``ndarray -= tensor`` stays an in-place NumPy update (as in
        ``w._data -= lr * w.grad``); ``ndarray * tensor`` and ``np.exp(tensor)`` give Tensors (as torch)."""
        if out is not None:
            arrays = [x._data if isinstance(x, Tensor) else x for x in inputs]
            outs = tuple(o._data if isinstance(o, Tensor) else o for o in out)
            getattr(ufunc, method)(*arrays, out=outs, **kwargs)
            return out[0] if len(out) == 1 else out
        name = _UFUNC_OPS.get(ufunc.__name__)
        if method == "__call__" and name is not None and not kwargs:
            from . import ops
            return getattr(ops, name)(*inputs)
        arrays = [x._data if isinstance(x, Tensor) else x for x in inputs]
        return getattr(ufunc, method)(*arrays, **kwargs)

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

    def __repr__(self):
        from ._tensor_str import tensor_repr
        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec):
        if self._data.ndim == 0 and spec:
            return format(self.item(), spec)
        return repr(self) if not spec else format(repr(self), spec)

    def to(self, *args, dtype=None, copy=False, non_blocking=False, **kwargs):
        """Convert dtype (device must be cpu). ``t.to(ember.float64)``, ``t.to('cpu')``, ``t.to(other)``."""
        for a in args:
            if isinstance(a, _dtype.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, (str, device)):
                device(a)
        if "device" in kwargs and kwargs["device"] is not None:
            device(kwargs["device"])
        if dtype is None or _dtype.to_numpy_dtype(dtype) == self._data.dtype:
            return self.clone() if copy else self
        from .ops._cast import to_dtype
        return to_dtype(self, _dtype.to_numpy_dtype(dtype))

    def type(self, dtype=None):
        if dtype is None:
            return {"float32": "ember.FloatTensor", "float64": "ember.DoubleTensor",
                    "int64": "ember.LongTensor", "int32": "ember.IntTensor",
                    "bool": "ember.BoolTensor"}.get(self._data.dtype.name, f"ember.{self._data.dtype.name}")
        return self.to(dtype)

    def cpu(self):
        return self

    def cuda(self, *args, **kwargs):
        device("cuda")

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def half(self):
        return self.to(_dtype.float16)

    def long(self):
        return self.to(_dtype.int64)

    def int(self):
        return self.to(_dtype.int32)

    def short(self):
        return self.to(_dtype.int16)

    def bool(self):
        return self.to(_dtype.bool_)

    def byte(self):
        return self.to(_dtype.uint8)

    # -- new tensors like this one ------------------------------------------------------------
    def new_tensor(self, data, dtype=None, requires_grad=False):
        from ._creation import tensor
        return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, requires_grad=False):
        from ._creation import zeros
        return zeros(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad=False):
        from ._creation import ones
        return ones(*size, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad=False):
        from ._creation import full
        return full(size, fill_value, dtype=dtype or self.dtype, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad=False):
        return self.new_zeros(*size, dtype=dtype, requires_grad=requires_grad)

    # -- in-place ------------------------------------------------------------------------------
    def _check_inplace(self):
        if not _State.enabled:
            return
        if self.grad_fn is None and self.requires_grad:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation. Fix: wrap "
                "the update in `with ember.no_grad():` (as optimizers do), or operate on a clone().")
        base = self
        while getattr(base, "_view_of", None) is not None:
            base = base._view_of[0]
        if base is not self and base.grad_fn is None and base.requires_grad:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place operation. "
                "Fix: wrap the update in `with ember.no_grad():`, or write into a clone() of the leaf.")

    def _rebase_views(self):
        """After an in-place write into a view, give each base a CopySlices grad_fn."""
        from .ops.views import CopySlices
        view = self
        while getattr(view, "_view_of", None) is not None:
            base, cls, extra = view._view_of
            if base._data.dtype.kind != "f":
                return
            node = CopySlices.apply(base, view, cls, extra).grad_fn
            base.grad_fn, base._out_idx, base.requires_grad = node, 0, True
            view = base

    def _bump(self):
        self._vc[0] += 1

    def _inplace_apply(self, fn, *args, **kwargs):
        """``self <- fn(self, *args)`` in place.

        When the graph is recorded, ``fn`` runs on a snapshot of self's values so that arrays it
        saves for backward are not overwritten by the write into self's buffer.
        """
        if _State.enabled and (self.requires_grad or any(
                isinstance(a, Tensor) and a.requires_grad for a in args + tuple(kwargs.values()))):
            self._check_inplace()
            src = _wrap(self._data.copy(), self.requires_grad)
            src.grad_fn, src._out_idx = self.grad_fn, self._out_idx
            return self._inplace_from(fn(src, *args, **kwargs))
        return self._inplace_from(fn(self, *args, **kwargs))

    def _inplace_from(self, result):
        """Make ``self`` hold ``result`` (computed out of place from self), keeping its buffer."""
        self._check_inplace()
        old = self._data
        if result._data.dtype != old.dtype and not np.can_cast(result._data.dtype, old.dtype, "same_kind"):
            raise RuntimeError(f"result type {result.dtype} can't be cast to the desired output type "
                               f"{self.dtype} of this in-place operation; use the out-of-place form")
        gf = result.grad_fn
        if gf is not None:
            # The new node may have saved the old buffer, which is about to be overwritten.
            if any(s is old for s in gf._saved):
                gf._saved = tuple(s.copy() if s is old else s for s in gf._saved)
                gf._versions = tuple(v for v in gf._versions if v[0] is not self._vc)
        if result._data.shape != old.shape:
            raise RuntimeError(f"output with shape {list(old.shape)} doesn't match the broadcast shape "
                               f"{list(result._data.shape)}")
        if old.flags.writeable:
            np.copyto(old, result._data, casting="unsafe")
        elif any(st == 0 and n > 1 for st, n in zip(old.strides, old.shape)):
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers to a single "
                f"memory location (an expand()ed tensor of shape {tuple(old.shape)}). Please clone() the "
                "tensor before performing the operation.")
        else:
            self._data = result._data.astype(old.dtype, copy=True)
        self._vc[0] += 1
        if gf is not None:
            self.grad_fn = gf
            self._out_idx = result._out_idx
            self.requires_grad = True
            if getattr(self, "_view_of", None) is not None:
                self._rebase_views()
        return self

    def zero_(self):
        """Fill with zeros in place."""
        return self._fill(0, "zero")

    def fill_(self, value):
        """Fill with ``value`` in place."""
        return self._fill(value, "fill")

    def _fill(self, value, kind):
        if isinstance(value, Tensor):
            value = value.item()
        if _State.enabled and self.requires_grad:
            from .ops.fill import Fill, Zero
            return self._inplace_apply((Zero if kind == "zero" else Fill).apply, value)
        self._check_inplace()
        self._data[...] = value
        self._vc[0] += 1
        return self

    def copy_(self, src, non_blocking=False):
        """Copy ``src`` (broadcast to this shape) into this tensor."""
        if not isinstance(src, Tensor):
            from ._creation import tensor
            src = tensor(src)
        if _State.enabled and (src.requires_grad or self.grad_fn is not None):
            from .ops.views import expand
            from .ops._cast import to_dtype
            s = src if src._data.dtype == self._data.dtype else to_dtype(src, self._data.dtype)
            return self._inplace_from(expand(s, *self._data.shape))
        self._check_inplace()
        np.copyto(self._data, np.broadcast_to(src._data, self._data.shape), casting="unsafe")
        self._vc[0] += 1
        return self

    def set_(self, source):
        self._data = source._data
        self._vc[0] += 1
        return self

    # random in-place fills used by nn.init
    def uniform_(self, a=0.0, b=1.0, generator=None):
        from ._random import _rng
        self._check_inplace()
        self._data[...] = _rng(generator).uniform(a, b, self._data.shape)
        self._vc[0] += 1
        return self

    def normal_(self, mean=0.0, std=1.0, generator=None):
        from ._random import _rng
        self._check_inplace()
        self._data[...] = _rng(generator).normal(mean, std, self._data.shape)
        self._vc[0] += 1
        return self

    def bernoulli_(self, p=0.5, generator=None):
        from ._random import _rng
        self._check_inplace()
        self._data[...] = _rng(generator).random(self._data.shape) < p
        self._vc[0] += 1
        return self

    def random_(self, low=0, high=None, generator=None):
        from ._random import _rng
        if high is None:
            low, high = 0, low
        self._check_inplace()
        self._data[...] = _rng(generator).integers(low, high, self._data.shape)
        self._vc[0] += 1
        return self

    def exponential_(self, lambd=1.0, generator=None):
        from ._random import _rng
        self._check_inplace()
        self._data[...] = _rng(generator).exponential(1.0 / lambd, self._data.shape)
        self._vc[0] += 1
        return self


_UFUNC_OPS = {"add": "add", "subtract": "sub", "multiply": "mul", "divide": "div", "true_divide": "div",
              "power": "pow", "matmul": "matmul", "floor_divide": "floor_divide", "remainder": "remainder",
              "equal": "eq", "not_equal": "ne", "less": "lt", "less_equal": "le", "greater": "gt",
              "greater_equal": "ge", "maximum": "maximum", "minimum": "minimum", "exp": "exp", "log": "log",
              "sqrt": "sqrt", "sin": "sin", "cos": "cos", "tan": "tan", "tanh": "tanh", "absolute": "abs",
              "negative": "neg", "log1p": "log1p", "expm1": "expm1", "log2": "log2", "log10": "log10",
              "square": "square", "reciprocal": "reciprocal", "sign": "sign", "floor": "floor", "ceil": "ceil",
              "trunc": "trunc", "arctan2": "atan2", "exp2": "exp2"}


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


def _creation_array(data, dtype):
    # torch.Tensor(data) always makes the default float dtype (unlike torch.tensor)
    from ._creation import _to_array
    return _to_array(data, dtype=dtype)


_function.Tensor = Tensor
_function._wrap = _wrap
