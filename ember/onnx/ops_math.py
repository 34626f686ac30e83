"""ONNX translations of arithmetic, elementwise math, reductions, clamps, matmul/linear, softmax."""
import math

import numpy as np
from onnx import helper

from ..ops import _cast, arithmetic as A, clamp_where as CW, cumulative as CU, diagonals as D, linalg as L
from ..ops import math_functions as M, reduce as R
from ..ops import softmax_ops as S
from ._registry import translates
from ._trace import ARG_EXTREMES, LOGIC


def _binary(op_type):
    def translate(g, c):
        dt = c.out_dtype()
        return g.node(op_type, [c.operand(0, dt), c.operand(1, dt)])
    return translate


for _cls, _op in [(A.Add, "Add"), (A.Sub, "Sub"), (A.Mul, "Mul"), (CW.Maximum, "Max"), (CW.Minimum, "Min")]:
    translates(_cls)(_binary(_op))
translates(A.Rsub)(_binary("Sub"))


@translates(A.Div)
def _div(g, c):
    dt = c.out_dtype()
    return g.node("Div", [c.operand(0, dt), c.operand(1, dt)])


@translates(A.Pow, A.PowTensor, A.PowScalarBase)
def _pow(g, c):
    dt = c.out_dtype()
    return g.node("Pow", [c.operand(0, dt), c.operand(1, dt)])


@translates(A.Fmod)
def _fmod(g, c):
    dt = c.out_dtype()
    return g.node("Mod", [c.operand(0, dt), c.operand(1, dt)], fmod=1)


@translates(A.Remainder)
def _remainder(g, c):
    dt = c.out_dtype()
    a, b = c.operand(0, dt), c.operand(1, dt)
    if np.dtype(dt).kind != "f":
        return g.node("Mod", [a, b], fmod=0)
    return g.node("Sub", [a, g.node("Mul", [b, g.node("Floor", [g.node("Div", [a, b])])])])


@translates(A._Round)
def _round(g, c):
    digits = c.a(1) if c.nargs > 1 else 0
    if not digits:
        return g.node("Round", [c.x(0)])
    scale = g.scalar(10.0 ** digits, c.out_dtype())
    return g.node("Div", [g.node("Round", [g.node("Mul", [c.x(0), scale])]), scale])


@translates(A.Trunc)
def _trunc(g, c):
    x = c.x(0)
    return g.node("Where", [g.node("Less", [x, g.scalar(0, c.out_dtype())]), g.node("Ceil", [x]), g.node("Floor", [x])])


_UNARY = {A.Neg: "Neg", A.Sign: "Sign", A.Floor: "Floor", A.Ceil: "Ceil", M.Exp: "Exp", M.Log: "Log",
          M.Sqrt: "Sqrt", M.Sin: "Sin", M.Cos: "Cos", M.Tan: "Tan", M.Asin: "Asin", M.Acos: "Acos",
          M.Atan: "Atan", M.Sinh: "Sinh", M.Cosh: "Cosh", M.Tanh: "Tanh", M.Reciprocal: "Reciprocal",
          M.Erf: "Erf", M.Sigmoid: "Sigmoid", M.Abs: "Abs"}


def _unary(op_type):
    def translate(g, c):
        return g.node(op_type, [c.x(0)])
    return translate


for _cls, _op in _UNARY.items():
    translates(_cls)(_unary(_op))


@translates(M.Rsqrt)
def _rsqrt(g, c):
    return g.node("Reciprocal", [g.node("Sqrt", [c.x(0)])])


@translates(M.Log2, M.Log10)
def _log_base(g, c):
    base = 2.0 if c.cls is M.Log2 else 10.0
    return g.node("Div", [g.node("Log", [c.x(0)]), g.scalar(math.log(base), c.out_dtype())])


@translates(M.Log1p)
def _log1p(g, c):
    return g.node("Log", [g.node("Add", [c.x(0), g.scalar(1, c.out_dtype())])])


@translates(M.Expm1)
def _expm1(g, c):
    return g.node("Sub", [g.node("Exp", [c.x(0)]), g.scalar(1, c.out_dtype())])


@translates(M.Exp2)
def _exp2(g, c):
    return g.node("Pow", [g.scalar(2, c.out_dtype()), c.x(0)])


@translates(_cast.ToDtype)
def _to_dtype(g, c):
    return g.node("Cast", [c.x(0)], to=helper.np_dtype_to_tensor_dtype(c.out_dtype()))


# -- reductions --------------------------------------------------------------------------------------
def axes_list(axes, rank):
    """Reduction axes as non-negative ints (``None``: all of them)."""
    if axes is None:
        return list(range(rank))
    if isinstance(axes, (int, np.integer)):
        axes = (axes,)
    return sorted(int(a) % max(rank, 1) for a in axes)


def reduce(g, op_type, x, axes, keepdim):
    return g.node(op_type, [x, g.i64(axes)], keepdims=int(bool(keepdim)))


def _cast_to(g, c, name, j=0):
    return name if c.out_dtype(j) == c.dtype(0) else g.node(
        "Cast", [name], to=helper.np_dtype_to_tensor_dtype(c.out_dtype(j)))


def _reduction(op_type):
    def translate(g, c):
        x = c.x(0)
        if c.dtype(0) != c.out_dtype():        # sum(dtype=...), sum of ints (int64)
            x = g.node("Cast", [x], to=helper.np_dtype_to_tensor_dtype(c.out_dtype()))
        if c.rank(0) == 0:
            return g.node("Identity", [x])
        return reduce(g, op_type, x, axes_list(c.a(1), c.rank(0)), c.a(2))
    return translate


for _cls, _op in [(R.Sum, "ReduceSum"), (R.SumDim, "ReduceSum"), (R.Mean, "ReduceMean"),
                  (R.MeanDim, "ReduceMean"), (R.Prod, "ReduceProd"), (R.Amax, "ReduceMax"),
                  (R.Amin, "ReduceMin"), (R.Max, "ReduceMax"), (R.Min, "ReduceMin"),
                  (R.Logsumexp, "ReduceLogSumExp")]:
    translates(_cls)(_reduction(_op))


@translates(R.MaxDim, R.MinDim)
def _extreme_dim(g, c):
    if c.rank(0) == 0:
        return [g.node("Identity", [c.x(0)]), g.i64(0)]
    dim, keep = int(c.a(1)) % c.rank(0), int(bool(c.a(2)))
    values = reduce(g, "ReduceMax" if c.cls is R.MaxDim else "ReduceMin", c.x(0), [dim], keep)
    idx = g.node("ArgMax" if c.cls is R.MaxDim else "ArgMin", [c.x(0)], axis=dim, keepdims=keep)
    return [values, idx]


def _arg_extreme(g, c):
    """argmax/argmin: of the flattened input when ``dim`` is None (PyTorch's first extreme, as ONNX)."""
    x, dim, keep = c.x(0), c.a(1), c.a(2)
    if dim is None or c.rank(0) == 0:
        flat = g.node(c.cls.onnx, [g.node("Reshape", [x, g.i64([-1])])], axis=0, keepdims=0)
        return g.node("Reshape", [flat, g.i64([1] * c.rank(0))]) if keep else flat
    return g.node(c.cls.onnx, [x], axis=int(dim) % c.rank(0), keepdims=int(keep))


for _cls in ARG_EXTREMES.values():
    translates(_cls)(_arg_extreme)


@translates(R.Var, R.Std)
def _var(g, c):
    x, rank = c.x(0), c.rank(0)
    axes = axes_list(c.a(1), rank)
    n = int(np.prod([c.shape(0)[a] for a in axes]))
    if c.dynamic and c.shape(0) != c.shape2(0) and any(c.shape(0)[a] != c.shape2(0)[a] for a in axes):
        c.fail("a variance over a dynamic axis")
    mean = reduce(g, "ReduceMean", x, axes, 1)
    d = g.node("Sub", [x, mean])
    ss = reduce(g, "ReduceSum", g.node("Mul", [d, d]), axes, c.a(3))
    var = g.node("Div", [ss, g.scalar(max(n - c.a(2), 0), c.out_dtype())])
    return g.node("Sqrt", [var]) if c.a(4) else var


@translates(R.Norm)
def _norm(g, c):
    p = c.a(1)
    op_type = {1: "ReduceL1", 2: "ReduceL2"}.get(p)
    if op_type is None:
        c.fail(f"a {p}-norm (only p=1 and p=2 are translated)")
    return reduce(g, op_type, c.x(0), axes_list(c.a(2), c.rank(0)), c.a(3))


@translates(CU.Cumsum)
def _cumsum(g, c):
    if c.rank(0) == 0:
        return g.node("Identity", [c.x(0)])
    x = c.x(0)
    if c.dtype(0) != c.out_dtype():
        x = g.node("Cast", [x], to=helper.np_dtype_to_tensor_dtype(c.out_dtype()))
    return g.node("CumSum", [x, g.i64(int(c.a(1)) % c.rank(0))])


@translates(D.Tril, D.Triu)
def _tril(g, c):
    """where(mask, x, 0) with the constant mask of the traced (static) last two dims."""
    if c.shape(0)[-2:] != c.shape2(0)[-2:]:
        c.fail("tril/triu over a dynamic axis")
    return g.node("Where", [g.const(np.asarray(c.a(1), bool)), c.x(0), g.scalar(0, c.out_dtype())])


# -- clamps and selection -------------------------------------------------------------------------
@translates(CW.Clamp)
def _clamp(g, c):
    dt = c.out_dtype()
    x = c.operand(0, dt)
    lo, hi = c.a(1), c.a(2)
    if lo is not None and not isinstance(lo, (int, float)) or hi is not None and not isinstance(hi, (int, float)):
        lo_n = None if lo is None else c.operand(1, dt)
        hi_n = None if hi is None else c.operand(2, dt)
        if lo_n is not None:
            x = g.node("Max", [x, lo_n])
        return x if hi_n is None else g.node("Min", [x, hi_n])
    return g.node("Clip", [x, None if lo is None else g.scalar(lo, dt), None if hi is None else g.scalar(hi, dt)])


@translates(CW.Where)
def _where(g, c):
    dt = c.out_dtype()
    cond = c.x(0) if c.is_tensor(0) else g.const(np.asarray(c.a(0), bool))
    return g.node("Where", [cond, c.operand(1, dt), c.operand(2, dt)])


# -- matrix products -------------------------------------------------------------------------------
@translates(L.Matmul, L.Unsafe, L.Bmm, L.Mv, L.Dot)
def _matmul(g, c):
    return g.node("MatMul", [c.x(0), c.x(1)])


def _weight_t(g, c, i):
    """Argument ``i`` (a (out, in) weight) transposed: an initializer when it is constant."""
    if not c.ex.is_live(c.a(i)):
        return g.const(np.ascontiguousarray(c.value_of(i).T), "weight_t")
    return g.node("Transpose", [c.x(i)], perm=[1, 0])


@translates(L.Linear, L.LinearNoBias)
def _linear(g, c):
    has_bias = c.nargs > 2 and c.a(2) is not None
    if c.rank(0) == 2 and c.rank(1) == 2:
        ins = [c.x(0), c.x(1)] + ([c.x(2)] if has_bias else [])
        return g.node("Gemm", ins, transB=1)
    y = g.node("MatMul", [c.x(0), _weight_t(g, c, 1)])
    return g.node("Add", [y, c.x(2)]) if has_bias else y


@translates(S.Softmax, S.LogSoftmax)
def _softmax(g, c):
    if c.rank(0) == 0:
        return g.node("Identity", [c.x(0)]) if c.cls is S.Softmax else g.node(
            "Sub", [c.x(0), c.x(0)])
    return g.node("Softmax" if c.cls is S.Softmax else "LogSoftmax", [c.x(0)], axis=int(c.a(1)) % c.rank(0))


# -- comparisons and logic (traced functions, not Ops) --------------------------------------------------
_ON_BOOL = {"BitwiseAnd": "And", "BitwiseOr": "Or", "BitwiseXor": "Xor", "BitwiseNot": "Not"}


def _logic(g, c):
    tensors = [i for i in range(c.nargs) if c.is_tensor(i)]
    dt = np.result_type(*[c.dtype(i) for i in tensors])
    op_type = c.cls.onnx
    if dt == np.bool_:
        op_type = _ON_BOOL.get(op_type, op_type)
    ins = [c.operand(i, dt) for i in range(c.nargs)]
    if op_type == "NotEqual":
        return g.node("Not", [g.node("Equal", ins)])
    return g.node(op_type, ins)


for _cls in set(LOGIC.values()):
    translates(_cls)(_logic)
