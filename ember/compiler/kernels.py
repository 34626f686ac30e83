"""Replay kernels: hot ops (elementwise, a full sum, 2-D linear) as NumPy calls into preallocated buffers.

A speed-up, not math. For the ops listed in ``KERNELS``, the generated replay (``codegen.py``)
does not call ``Op.forward`` / ``Op.backward`` with a ``ctx``: it inlines the **same NumPy calls
in the same order** as that op's eager forward and backward, each writing its result with
``out=`` into a buffer the program owns (or into a fresh array where the result may outlive the
call). Same calls, same order: the results are bitwise eager ember's (``tests/compiler/``).

A kernel applies only when its step is plain: for the elementwise ones, every array operand has
the output's shape and dtype (no broadcasting, no promotion) and every other operand is a Python
int or float (``Linear`` and ``Sum`` check their own cases); and every array operand's shape is
fixed by the guards (``SHAPE_STATIC`` below). Any other step replays through its op's
``forward`` / ``backward`` (the generic path).

Each kernel has:

- ``fits(args, meta)``: ``args`` per argument, ``("arr", shape, dtype)`` or ``("const", value)``;
  ``meta`` the output's (shape, dtype);
- ``forward(a, o, dest, c)``: source lines computing output variable ``o`` from argument
  expressions ``a``; ``dest`` is the buffer expression to write into, or None for a fresh array;
  ``c(number)`` names that number as a 0-d array of the step's dtype (the value NumPy would
  convert a Python number to; a ufunc takes a 0-d array faster than a Python number);
- ``saves(a, o)``: the forward variables its backward reads;
- ``backward(a, o, g, needs, dest, tmp, shapes, c)``: lines computing one gradient expression per
  argument (None where not needed) from the output gradient ``g``; ``dest(i)`` is the buffer
  expression for argument ``i``'s gradient (or None: fresh), ``tmp()`` a new scratch buffer
  expression of the output's shape (``tmp(bool)`` for a boolean one), ``shapes`` the arguments'
  shapes. Returns (lines, gradient expressions).
"""
import numpy as np

from ..ops import _math, activation, arithmetic, conv, dropout, linalg, math_functions, normalization, pool, reduce
from ..ops import softmax_ops, views

__all__ = ["KERNELS", "SHAPE_STATIC", "kernel_for"]


def _into(call, dest):
    """``call`` with ``out=dest`` appended (a fresh result when dest is None)."""
    return f"{call[:-1]}, out={dest})" if dest is not None else call


def _plain(args, meta, arrays=(1, 2), scalars=True):
    """All array operands have the output's shape and dtype (float), others are Python numbers."""
    n_arr = 0
    for a in args:
        if a[0] == "arr":
            if a[1] != meta[0] or a[2] != meta[1]:
                return False
            n_arr += 1
        elif not (scalars and type(a[1]) in (int, float)):
            return False
    return n_arr in arrays and meta[1].kind == "f"


class _Binary:
    """``a OP b`` with the same shapes, or one side a Python number."""

    def __init__(self, ufunc):
        self.ufunc = ufunc

    def fits(self, args, meta):
        return len(args) == 2 and _plain(args, meta)

    def forward(self, a, o, dest, c):
        return [f"{o} = " + _into(f"{self.ufunc}({a[0]}, {a[1]})", dest)]

    def saves(self, a, o):
        return ()


class _Add(_Binary):
    def backward(self, a, o, g, needs, dest, tmp, shapes, c):        # Add.backward: grad, grad
        return [], [g if needs[0] else None, g if needs[1] else None]


class _Sub(_Binary):
    def backward(self, a, o, g, needs, dest, tmp, shapes, c):        # Sub.backward: grad, -grad
        lines, out = [], [g if needs[0] else None, None]
        if needs[1]:
            lines.append(f"n_{o} = " + _into(f"negative({g})", dest(1)))
            out[1] = f"n_{o}"
        return lines, out


class _Mul(_Binary):
    def saves(self, a, o):
        return tuple(x for x in a if x.startswith("x"))

    def backward(self, a, o, g, needs, dest, tmp, shapes, c):        # Mul.backward: grad * b, grad * a
        lines, out = [], [None, None]
        if needs[0] and needs[1] and a[0] == a[1]:      # y * y: both products are the same NumPy call
            lines.append(f"m0_{o} = " + _into(f"multiply({g}, {a[0]})", dest(0)))
            return lines, [f"m0_{o}", f"m0_{o}"]
        for i in (0, 1):
            if needs[i]:
                lines.append(f"m{i}_{o} = " + _into(f"multiply({g}, {a[1 - i]})", dest(i)))
                out[i] = f"m{i}_{o}"
        return lines, out


class _DivByNumber(_Binary):
    """``a / number`` (number nonzero: no division by zero, so no ``errstate`` needed)."""

    def fits(self, args, meta):
        return (len(args) == 2 and args[0][0] == "arr" and args[1][0] == "const" and _plain(args, meta)
                and args[1][1] != 0)

    def backward(self, a, o, g, needs, dest, tmp, shapes, c):        # Div.backward: grad / b
        if not needs[0]:
            return [], [None, None]
        return [f"d_{o} = " + _into(f"true_divide({g}, {a[1]})", dest(0))], [f"d_{o}", None]


class _Unary:
    """A one-input op whose backward reads its output."""
    def fits(self, args, meta):
        return len(args) == 1 and _plain(args, meta, arrays=(1,))

    def saves(self, a, o):
        return (o,)


class _Tanh(_Unary):
    def forward(self, a, o, dest, c):
        return [f"{o} = " + _into(f"tanh({a[0]})", dest)]

    def backward(self, a, o, g, needs, dest, tmp, shapes, c):        # g * (1 - out * out), as Tanh.backward
        return [f"t_{o} = one_minus_square({o})",
                f"r_{o} = " + _into(f"multiply({g}, t_{o})", dest(0))], [f"r_{o}"]


class _Exp(_Unary):
    def forward(self, a, o, dest, c):
        return [f"{o} = " + _into(f"torch_exp({a[0]})", dest)]   # Exp.forward's _math.exp

    def backward(self, a, o, g, needs, dest, tmp, shapes, c):        # g * out
        return [f"r_{o} = " + _into(f"multiply({g}, {o})", dest(0))], [f"r_{o}"]


class _Sigmoid(_Unary):
    """``_math.sigmoid``: its four in-place passes when exp(-a) cannot overflow (checked at each
    replay, as eager does), else the stable formula. ``limit``: that overflow bound of the dtype."""

    def __init__(self, limit):
        self.limit = limit

    def fits(self, args, meta):
        return (super().fits(args, meta) and meta[1] in (np.dtype(np.float32), np.dtype(np.float64))
                and len(meta[0]) > 0 and int(np.prod(meta[0])) > 0)

    def forward(self, a, o, dest, c):
        return [f"if minimum.reduce({a[0]}, None) > {-self.limit!r}:",     # a.min()
                f"    {o} = " + _into(f"negative({a[0]})", dest),
                f"    exp({o}, out={o})",
                f"    add({o}, {c(1)}, out={o})",
                f"    reciprocal({o}, out={o})",
                "else:",
                f"    {o} = stable_sigmoid({a[0]})"]

    def backward(self, a, o, g, needs, dest, tmp, shapes, c):        # g * out * (1 - out)
        t = tmp()
        return [f"r_{o} = " + _into(f"multiply({g}, {o})", dest(0)),
                f"t_{o} = subtract({c(1)}, {o}, out={t})",
                f"multiply(r_{o}, t_{o}, out=r_{o})"], [f"r_{o}"]


class _Relu(_Unary):
    def forward(self, a, o, dest, c):
        return [f"{o} = " + _into(f"maximum({a[0]}, {c(0)})", dest)]

    def backward(self, a, o, g, needs, dest, tmp, shapes, c):        # g * ~(out <= 0)
        # the mask as 1.0/0.0 of g's dtype (not bool): the same products, without a mixed-type loop
        m, f = tmp(bool), tmp()
        return [f"k_{o} = less_equal({o}, {c(0)}, out={m})", f"f_{o} = logical_not(k_{o}, out={f})",
                f"r_{o} = " + _into(f"multiply({g}, f_{o})", dest(0))], [f"r_{o}"]


class _SumAll:
    """``a.sum()`` of a float array (no dims, no dtype): its gradient is ``g`` filled into a's shape."""

    def fits(self, args, meta):
        return (len(args) == 4 and args[0][0] == "arr" and args[0][2].kind == "f" and len(args[0][1]) > 0
                and args[1:] == (("const", None), ("const", False), ("const", None)))

    def forward(self, a, o, dest, c):
        # ndarray.sum() is this reduction (NumPy's _methods._sum), without the method's argument handling
        return [f"{o} = asarray(torch_order_total({a[0]}))"]   # as Sum.forward: ops/_torch_sum.py

    def saves(self, a, o):
        return ()

    def backward(self, a, o, g, needs, dest, tmp, shapes, c):        # expand_reduced of a 0-d gradient
        d = dest(0)
        first = f"e_{o} = {d}" if d is not None else f"e_{o} = empty({shapes[0]!r}, {g}.dtype)"
        return [first, f"e_{o}.fill({g})"], [f"e_{o}", None, None, None]


class _Linear:
    """``x @ w.T (+ b)`` for a 2-D ``x``: one GEMM into the buffer, the bias added in place;
    backward ``g @ w``, ``g.T @ x``, ``g.sum(axis=(0,))`` (``linalg.Linear``)."""

    def fits(self, args, meta):
        if len(args) != 3 or args[0][0] != "arr" or args[1][0] != "arr":
            return False
        (_, xs, xd), (_, ws, wd) = args[0], args[1]
        dt = meta[1]
        if len(xs) != 2 or len(ws) != 2 or xd != dt or wd != dt or dt.kind != "f" or 0 in xs or 0 in ws:
            return False
        if meta[0] != (xs[0], ws[0]) or xs[1] != ws[1]:
            return False
        b = args[2]
        return b == ("const", None) or (b[0] == "arr" and b[1] == (ws[0],) and b[2] == dt)

    def forward(self, a, o, dest, c):
        lines = [f"{o} = " + _into(f"matmul({a[0]}, {a[1]}.T)", dest)]
        if a[2] != "None":
            lines.append(f"{o} += {a[2]}")
        return lines

    def saves(self, a, o):
        return (a[0], a[1])

    def backward(self, a, o, g, needs, dest, tmp, shapes, c):
        lines, out = [], [None, None, None]
        if needs[0]:
            lines.append(f"lx_{o} = " + _into(f"matmul({g}, {a[1]})", dest(0)))
            out[0] = f"lx_{o}"
        if needs[1]:
            lines.append(f"lw_{o} = " + _into(f"matmul({g}.T, {a[0]})", dest(1)))
            out[1] = f"lw_{o}"
        if needs[2]:
            lines.append(f"lb_{o} = {g}.sum(axis=(0,))")
            out[2] = f"lb_{o}"
        return lines, out


KERNELS = {
    linalg.Linear: _Linear(),
    arithmetic.Add: _Add("add"), arithmetic.Sub: _Sub("subtract"), arithmetic.Mul: _Mul("multiply"),
    arithmetic.Div: _DivByNumber("true_divide"), math_functions.Tanh: _Tanh(), math_functions.Exp: _Exp(),
    math_functions.Sigmoid: (_Sigmoid(_math._EXP_OVERFLOW[np.dtype(np.float32)]),
                             _Sigmoid(_math._EXP_OVERFLOW[np.dtype(np.float64)])),
    activation.Relu: _Relu(), reduce.Sum: _SumAll(),
    arithmetic.Rsub: _Sub("subtract"),
}


# Ops whose output shapes follow from their input shapes and constant arguments alone. A kernel
# writes into a buffer of the recorded shape, so its array operands must have shapes fixed by the
# guards: the call's inputs, state, constants, kernel results and results of these ops (not, say,
# masked_select's, whose length depends on the mask's values).
SHAPE_STATIC = frozenset([
    conv.Convolution, conv.ConvTranspose, pool.MaxPool2d, pool.AvgPool2d, pool.AdaptiveAvgPool2d,
    pool.AdaptiveMaxPool2d, normalization.BatchNormTrain, normalization.BatchNormEval, normalization.LayerNorm,
    normalization.GroupNorm, views.Reshape, views.Permute, views.Expand, views.Slice, softmax_ops.Softmax,
    softmax_ops.LogSoftmax, dropout.Dropout,
])


def kernel_for(cls, args, meta):
    """The kernel replaying this step, or None (generic replay)."""
    k = KERNELS.get(cls)
    if k is None or meta is None:
        return None
    if type(k) is tuple:                       # per dtype (sigmoid's overflow limit)
        k = k[0] if meta[1] == np.dtype(np.float32) else k[1]
    return k if k.fits(args, meta) else None
