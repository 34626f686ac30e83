"""NumPy's ``axis=`` / ``keepdims=`` spellings, swept against PyTorch itself.

PyTorch's native functions and methods accept ``axis`` for a parameter named ``dim`` and
``keepdims`` for ``keepdim``; its Python-level functions (``F.softmax``, ``torch.norm``,
``Tensor.split``, ``torch.unique``, ...) do not, nor do parameters with other names
(``dim0``, ``dims``, ``start_dim``). Every spelling below is tried on torch and on ember: either
both return the same values (shapes, dtypes, numbers) or both raise the same exception type.
"""
import numpy as np
import pytest
import torch

import ember


class _Namespace:
    def __init__(self, top, functional):
        self.T, self.F = top, functional


TORCH = _Namespace(torch, torch.nn.functional)
EMBER = _Namespace(ember, ember.nn.functional)


def _input(m, shape, kind):
    a = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    x = m.T.tensor(a)
    return x > 0 if kind == "bool" else x


def _index(m, shape):
    """An int64 index tensor for gather/scatter/index_* along dim 1 of ``shape``."""
    return m.T.tensor(np.random.default_rng(1).integers(0, shape[1], (shape[0], 2)))


# (name, forms, input shape, positional args before dim, arguments after dim, has keepdim, input kind)
# forms: "T" torch.name(x, ...), "M" x.name(...), "F" torch.nn.functional.name(x, ...),
#        "L" torch.name([x, x], ...) (a list of tensors).
# After-dim arguments are positional when dim is, keywords otherwise.
SPECS = [
    ("sum", "TM", (3, 4), (), (), True, "float"),
    ("mean", "TM", (3, 4), (), (), True, "float"),
    ("nansum", "TM", (3, 4), (), (), True, "float"),
    ("prod", "TM", (3, 4), (), (), True, "float"),
    ("max", "TM", (3, 4), (), (), True, "float"),
    ("min", "TM", (3, 4), (), (), True, "float"),
    ("amax", "TM", (3, 4), (), (), True, "float"),
    ("amin", "TM", (3, 4), (), (), True, "float"),
    ("aminmax", "TM", (3, 4), (), (), True, "float"),
    ("argmax", "TM", (3, 4), (), (), True, "float"),
    ("argmin", "TM", (3, 4), (), (), True, "float"),
    ("std", "TM", (3, 4), (), (), True, "float"),
    ("var", "TM", (3, 4), (), (), True, "float"),
    ("std_mean", "T", (3, 4), (), (), True, "float"),
    ("var_mean", "T", (3, 4), (), (), True, "float"),
    ("norm", "TM", (3, 4), (2,), (), True, "float"),
    ("all", "TM", (3, 4), (), (), True, "bool"),
    ("any", "TM", (3, 4), (), (), True, "bool"),
    ("logsumexp", "TM", (3, 4), (), (), True, "float"),
    ("median", "TM", (3, 4), (), (), True, "float"),
    ("mode", "TM", (3, 4), (), (), True, "float"),
    ("count_nonzero", "TM", (3, 4), (), (), False, "float"),
    ("cumsum", "TM", (3, 4), (), (), False, "float"),
    ("cumprod", "TM", (3, 4), (), (), False, "float"),
    ("softmax", "TMF", (3, 4), (), (), False, "float"),
    ("log_softmax", "TMF", (3, 4), (), (), False, "float"),
    ("softmin", "F", (3, 4), (), (), False, "float"),
    ("normalize", "F", (3, 4), (2.0,), (), False, "float"),
    ("glu", "F", (3, 4), (), (), False, "float"),
    ("sort", "TM", (3, 4), (), (), False, "float"),
    ("argsort", "TM", (3, 4), (), (), False, "float"),
    ("topk", "TM", (3, 4), (2,), (), False, "float"),
    ("squeeze", "TM", (3, 1, 4), (), (), False, "float"),
    ("unsqueeze", "TM", (3, 4), (), (), False, "float"),
    ("cat", "L", (3, 4), (), (), False, "float"),
    ("concat", "L", (3, 4), (), (), False, "float"),
    ("concatenate", "L", (3, 4), (), (), False, "float"),
    ("stack", "L", (3, 4), (), (), False, "float"),
    ("chunk", "TM", (3, 4), (2,), (), False, "float"),
    ("split", "TM", (3, 4), (2,), (), False, "float"),
    ("tensor_split", "TM", (3, 4), (2,), (), False, "float"),
    ("unbind", "TM", (3, 4), (), (), False, "float"),
    ("narrow", "TM", (3, 4), (), (("start", 1), ("length", 2)), False, "float"),
    ("select", "TM", (3, 4), (), (("index", 2),), False, "float"),
    ("unflatten", "TM", (3, 4), (), (("sizes", (2, 2)),), False, "float"),
    ("repeat_interleave", "TM", (3, 4), (2,), (), False, "float"),
    ("gather", "TM", (3, 4), (), (("index", "INDEX"),), False, "float"),
    ("index_select", "TM", (3, 4), (), (("index", "INDEX1"),), False, "float"),
    ("take_along_dim", "TM", (3, 4), ("INDEX",), (), False, "float"),
    ("scatter", "TM", (3, 4), (), (("index", "INDEX"), ("src", "SRC")), False, "float"),
    ("scatter_add", "TM", (3, 4), (), (("index", "INDEX"), ("src", "SRC")), False, "float"),
    ("index_add", "TM", (3, 4), (), (("index", "INDEX1"), ("source", "SOURCE")), False, "float"),
    ("unique", "TM", (3, 4), (True, False, False), (), False, "float"),
    ("cross", "TM", (3, 3), ("SELF",), (), False, "float"),
    ("cosine_similarity", "F", (3, 4), ("SELF",), (), False, "float"),
    ("pairwise_distance", "F", (3, 4), ("SELF",), (), True, "float"),
]

# spelling name -> (dim given positionally?, keywords); "D" stands for the dim value
SPELLINGS = {
    "dim-positional": (True, {}),
    "dim=": (False, {"dim": "D"}),
    "axis=": (False, {"axis": "D"}),
    "dim-positional+axis=": (True, {"axis": "D"}),
    "dim=+axis=": (False, {"dim": "D", "axis": "D"}),
}
KEEP_SPELLINGS = {
    "dim=,keepdim=": (False, {"dim": "D", "keepdim": True}),
    "dim=,keepdims=": (False, {"dim": "D", "keepdims": True}),
    "axis=,keepdims=": (False, {"axis": "D", "keepdims": True}),
    "axis=,keepdim=": (False, {"axis": "D", "keepdim": True}),
    "dim-positional,keepdims=": (True, {"keepdims": True}),
    "axis=,keepdims=False": (False, {"axis": "D", "keepdims": False}),
    "keepdims= alone": (None, {"keepdims": True}),
    "keepdim= alone": (None, {"keepdim": True}),
    "keepdim=+keepdims=": (False, {"dim": "D", "keepdim": True, "keepdims": True}),
    "dim=None,keepdims=": (False, {"dim": None, "keepdims": True}),
}


def _cases():
    for name, forms, shape, pre, post, keep, kind in SPECS:
        spellings = dict(SPELLINGS, **(KEEP_SPELLINGS if keep else {}))
        for form in forms:
            for spelling in spellings:
                yield pytest.param(name, form, spelling, id=f"{name}-{form}-{spelling}")


def _call(m, name, form, spelling):
    spec = next(s for s in SPECS if s[0] == name)
    _, _, shape, pre, post, keep, kind = spec
    x = _input(m, shape, kind)
    d = 1
    values = {"INDEX": _index(m, shape), "INDEX1": m.T.tensor([0, 2]), "SELF": _input(m, shape, kind) * 0.5 + 1,
              "SRC": m.T.ones(shape[0], 2), "SOURCE": m.T.ones(shape[0], 2)}
    resolve = (lambda v: values[v] if isinstance(v, str) and v in values else v)
    positional, keywords = (KEEP_SPELLINGS.get(spelling) or SPELLINGS[spelling])
    args = [resolve(a) for a in pre]
    kwargs = {k: (d if v == "D" else v) for k, v in keywords.items()}
    if positional:
        args.append(d)
        args += [resolve(v) for _, v in post]
    else:
        kwargs.update({k: resolve(v) for k, v in post})
    if form == "T":
        return getattr(m.T, name)(x, *args, **kwargs)
    if form == "M":
        return getattr(x, name)(*args, **kwargs)
    if form == "F":
        return getattr(m.F, name)(x, *args, **kwargs)
    return getattr(m.T, name)([x, x * 2], *args, **kwargs)


def _outcome(m, fn):
    try:
        return "value", _as_numpy(fn(m))
    except Exception as e:  # noqa: BLE001 - the outcome compared with torch's is the exception type
        return "raised", type(e).__name__


def _as_numpy(out):
    if isinstance(out, (tuple, list)):
        return [_as_numpy(o) for o in out]
    if isinstance(out, (torch.Tensor, ember.Tensor)):
        return (str(out.dtype).split(".")[-1], out.detach().numpy())
    return out


def _assert_same(e, t, where):
    if isinstance(t, list):
        assert isinstance(e, list) and len(e) == len(t), f"{where}: ember gave {e!r}, torch {t!r}"
        for a, b in zip(e, t):
            _assert_same(a, b, where)
        return
    assert e[0] == t[0], f"{where}: ember dtype {e[0]}, torch {t[0]}"
    assert e[1].shape == t[1].shape, f"{where}: ember shape {e[1].shape}, torch {t[1].shape}"
    np.testing.assert_allclose(e[1].astype(np.float64), t[1].astype(np.float64), rtol=1e-5, atol=1e-6, err_msg=where)


def _compare(fn, where):
    t = _outcome(TORCH, fn)
    e = _outcome(EMBER, fn)
    assert e[0] == t[0], (f"{where}: torch {t[0]} {t[1] if t[0] == 'raised' else ''}, "
                          f"ember {e[0]} {e[1] if e[0] == 'raised' else ''}")
    if t[0] == "raised":
        assert e[1] == t[1], f"{where}: torch raised {t[1]}, ember raised {e[1]}"
    else:
        _assert_same(e[1], t[1], where)


@pytest.mark.parametrize("name, form, spelling", list(_cases()))
def test_dim_spelling_same_outcome_as_torch(name, form, spelling):
    _compare(lambda m: _call(m, name, form, spelling), f"{name} {form} {spelling}")


def test_sweep_covers_both_outcomes():
    """The sweep is not vacuous: torch accepts some spellings and rejects others."""
    seen = {_outcome(TORCH, lambda m, c=c: _call(m, *c.values))[0] for c in _cases()}
    assert seen == {"value", "raised"}


# Parameters not named ``dim``: PyTorch's alias does not apply to them (except swapaxes, whose
# own names are axis0/axis1), so each spelling is checked individually.
OTHER = {
    "transpose dim0/dim1": lambda m, x: m.T.transpose(x, dim0=0, dim1=1),
    "transpose axis0/axis1": lambda m, x: m.T.transpose(x, axis0=0, axis1=1),
    "Tensor.transpose axis0/axis1": lambda m, x: x.transpose(axis0=0, axis1=1),
    "swapaxes axis0/axis1": lambda m, x: m.T.swapaxes(x, axis0=0, axis1=1),
    "Tensor.swapaxes axis0/axis1": lambda m, x: x.swapaxes(axis0=0, axis1=1),
    "swapaxes dim0/dim1": lambda m, x: m.T.swapaxes(x, dim0=0, dim1=1),
    "swapdims dim0/dim1": lambda m, x: m.T.swapdims(x, dim0=0, dim1=1),
    "swapdims axis0/axis1": lambda m, x: m.T.swapdims(x, axis0=0, axis1=1),
    "moveaxis source/destination": lambda m, x: m.T.moveaxis(x, source=0, destination=2),
    "movedim source/destination": lambda m, x: x.movedim(source=0, destination=2),
    "movedim axis": lambda m, x: m.T.movedim(x, 0, axis=2),
    "diagonal dim1/dim2": lambda m, x: m.T.diagonal(x, dim1=1, dim2=2),
    "diagonal axis1/axis2": lambda m, x: m.T.diagonal(x, axis1=1, axis2=2),
    "Tensor.diagonal axis1/axis2": lambda m, x: x.diagonal(axis1=1, axis2=2),
    "flip dims": lambda m, x: m.T.flip(x, dims=(1,)),
    "flip axis": lambda m, x: m.T.flip(x, axis=(1,)),
    "flip dims int": lambda m, x: m.T.flip(x, dims=1),
    "flip positional int": lambda m, x: m.T.flip(x, 1),
    "Tensor.flip ints": lambda m, x: x.flip(1, 2),
    "Tensor.flip dims=": lambda m, x: x.flip(dims=(0, 2)),
    "Tensor.flip axis": lambda m, x: x.flip(axis=(0,)),
    "roll dims": lambda m, x: m.T.roll(x, 1, dims=1),
    "roll axis": lambda m, x: m.T.roll(x, 1, axis=1),
    "Tensor.roll axis": lambda m, x: x.roll(1, axis=1),
    "flatten start_dim": lambda m, x: m.T.flatten(x, start_dim=1),
    "flatten axis": lambda m, x: m.T.flatten(x, axis=1),
    "Tensor.flatten start_axis": lambda m, x: x.flatten(start_axis=1),
    "squeeze axis tuple": lambda m, x: m.T.squeeze(x[:, :1, :1], axis=(1, 2)),
    "Tensor.squeeze axis tuple": lambda m, x: x[:, :1].squeeze(axis=(1,)),
    "sum axis tuple": lambda m, x: x.sum(axis=(0, 2)),
    "sum axis list keepdims": lambda m, x: m.T.sum(x, axis=[0, 2], keepdims=True),
    "mean axis=None": lambda m, x: x.mean(axis=None),
    "sum axis=None keepdim=False": lambda m, x: x.sum(axis=None, keepdim=False),
    "mean axis=None keepdim=True": lambda m, x: m.T.mean(x, axis=None, keepdim=True),
    "sum dim and axis": lambda m, x: x.sum(1, axis=1),
    "sum keepdim without dim": lambda m, x: x.sum(keepdim=False),
    "argmax axis=None keepdims": lambda m, x: x.argmax(axis=None, keepdims=True),
    "amax negative axis": lambda m, x: m.T.amax(x, axis=-1, keepdims=True),
    "softmax axis dtype": lambda m, x: m.T.softmax(x, axis=-1, dtype=m.T.float64),
    "Tensor.log_softmax axis": lambda m, x: x.log_softmax(axis=0),
    "softmax no dim": lambda m, x: m.T.softmax(x),
    "Tensor.softmax no dim": lambda m, x: x.softmax(),
    "softmax positional dtype": lambda m, x: m.T.softmax(x, 1, m.T.float64),
    "std axis correction": lambda m, x: x.std(axis=1, correction=0, keepdims=True),
    "var positional unbiased keepdims": lambda m, x: x.var(1, False, keepdims=True),
    "max axis with other tensor": lambda m, x: m.T.max(x, x, axis=1),
    "cumsum axis dtype": lambda m, x: m.T.cumsum(x, axis=2, dtype=m.T.float64),
    "cat tensors= axis=": lambda m, x: m.T.cat(tensors=[x, x], axis=2),
    "stack negative axis": lambda m, x: m.T.stack([x, x], axis=-1),
    "sort axis descending": lambda m, x: x.sort(axis=0, descending=True),
    "topk keyword k axis": lambda m, x: m.T.topk(x, k=1, axis=0, largest=False),
    "chunk keyword chunks axis": lambda m, x: x.chunk(chunks=2, axis=2),
    "Tensor.size axis": lambda m, x: m.T.tensor(x.size(axis=1)),
    "Tensor.size dim and axis": lambda m, x: x.size(1, axis=1),
    "Tensor.stride axis": lambda m, x: m.T.tensor(x.stride(axis=0)),
}


@pytest.mark.parametrize("label", list(OTHER))
def test_other_spellings_same_outcome_as_torch(label):
    def fn(m):
        return OTHER[label](m, _input(m, (2, 3, 4), "float"))
    _compare(fn, label)


def test_axis_gradient_through_softmax_and_gather():
    a = np.random.default_rng(2).standard_normal((3, 4)).astype(np.float32)
    grads = []
    for m in (torch, ember):
        x = m.tensor(a, requires_grad=True)
        y = x.softmax(axis=1)
        z = m.gather(y, axis=1, index=m.tensor([[0], [3], [1]])).sum() + m.log_softmax(x, axis=0).amax(axis=1).sum()
        z.backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-5, atol=1e-6)
