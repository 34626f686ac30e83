"""dtypes: thin named wrappers over NumPy dtypes, with PyTorch's promotion rules."""
import numpy as np

# The module name reprs show (``ember.float32``, ``ember.Size([2])``, ``ember.return_types.max``):
# "torch" under ``ember run`` (``compat.install``), so a tutorial's printout reads the same.
DISPLAY_NAMESPACE = "ember"


class dtype:
    """A tensor element type, e.g. ``ember.float32``.

    Example:
        >>> ember.zeros(2, dtype=ember.int64).dtype
        ember.int64
    """
    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize")

    def __init__(self, name, np_dtype):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.is_signed = self.np.kind in "fi"
        self.itemsize = self.np.itemsize

    def __repr__(self):
        return f"{DISPLAY_NAMESPACE}.{self.name}"

    def __reduce__(self):
        return (_from_name, (self.name,))

    @property
    def is_complex(self):
        return False

    def to_real(self):
        return self


float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
float16 = dtype("float16", np.float16)
bfloat16 = float16  # no bfloat16 in NumPy; float16 is the closest stand-in
int64 = dtype("int64", np.int64)
int32 = dtype("int32", np.int32)
int16 = dtype("int16", np.int16)
int8 = dtype("int8", np.int8)
uint8 = dtype("uint8", np.uint8)
bool_ = dtype("bool", np.bool_)

float = float32
double = float64
half = float16
long = int64
int = int32
short = int16

_ALL = (float32, float64, float16, int64, int32, int16, int8, uint8, bool_)
_BY_NP = {d.np: d for d in _ALL}


def _from_name(name):
    return {d.name: d for d in _ALL}[name]


class _Defaults:
    float = float32


def get_default_dtype():
    """The dtype Python floats become (``ember.float32`` unless changed)."""
    return _Defaults.float


def set_default_dtype(d):
    """Set the dtype Python floats become; only float32 and float64 are allowed."""
    if d not in (float32, float64):
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the default type, got {d}")
    _Defaults.float = d


def to_numpy_dtype(d):
    """Accept an ember dtype, a NumPy dtype, a Python type or a name; return the NumPy dtype."""
    if d is None:
        return None
    if type(d) is dtype:
        return d.np
    if d is builtins_float:  # Python's float is a double, as in PyTorch (not the default dtype)
        return np.dtype(np.float64)
    if d is builtins_int:
        return np.dtype(np.int64)
    if d is builtins_bool:
        return np.dtype(np.bool_)
    try:
        return np.dtype(d)
    except TypeError:
        raise TypeError(f"expected an ember dtype such as ember.float32, got {d!r}") from None


def from_numpy_dtype(npd):
    d = _BY_NP.get(npd)
    if d is None:
        raise TypeError(f"NumPy dtype {npd} has no ember equivalent; supported: "
                        + ", ".join(x.name for x in _ALL))
    return d


import builtins as _b  # noqa: E402

builtins_float, builtins_int, builtins_bool = _b.float, _b.int, _b.bool

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def _category(npd):
    return _CATEGORY[npd.kind]


def scalar_category(x):
    if isinstance(x, (bool, np.bool_)):
        return 0
    if isinstance(x, (builtins_int, np.integer)):
        return 1
    return 2


def result_type(a, b):
    """PyTorch's promotion for two operands, each an ndarray-backed Tensor's data or a Python scalar.

    Tensors with dimensions outrank 0-d tensors, which outrank Python scalars; a lower-ranked
    operand only matters when it is of a higher category (bool < int < float).
    """
    a_arr = isinstance(a, np.ndarray)
    b_arr = isinstance(b, np.ndarray)
    if a_arr and b_arr:
        da, db = a.dtype, b.dtype
        if da == db:
            return da
        ca, cb = _category(da), _category(db)
        a_dim, b_dim = a.ndim > 0, b.ndim > 0
        if a_dim == b_dim:
            return _promote(da, db)
        hi, lo = (da, db) if a_dim else (db, da)
        chi, clo = (ca, cb) if a_dim else (cb, ca)
        if clo > chi:
            return lo
        return hi
    if a_arr or b_arr:
        arr, s = (a, b) if a_arr else (b, a)
        ca, cs = _category(arr.dtype), scalar_category(s)
        if cs <= ca:
            return arr.dtype
        return _Defaults.float.np if cs == 2 else np.dtype(np.int64)
    raise TypeError("result_type needs at least one tensor")


def _promote(da, db):
    ca, cb = _category(da), _category(db)
    if ca != cb:
        return da if ca > cb else db
    if ca == 1 and (da.kind != db.kind):  # uint8 with signed int
        if da.kind == "u":
            da, db = db, da
        # da signed, db unsigned (uint8 only in ember)
        return da if da.itemsize > db.itemsize else np.dtype(np.int16)
    return da if da.itemsize >= db.itemsize else db
