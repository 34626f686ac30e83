"""``keepdim=`` given without ``dim``: PyTorch's overloads that reduce every element take no keepdim
(``x.sum(keepdim=False)`` is a TypeError), while the reductions whose ``dim`` defaults to "all" take it.
ember must accept and refuse the same calls, as a function and as a Tensor method."""
import pytest

from tests.both import run_both, same

NAMES = ["sum", "mean", "prod", "max", "min", "median", "nanmedian", "nansum", "nanmean", "amax", "amin", "std",
         "var", "any", "all", "logsumexp", "norm", "count_nonzero", "argmax", "argmin", "aminmax", "quantile",
         "nanquantile"]


def _call(t, name, form, kwargs):
    x = t.arange(6.).reshape(2, 3)
    if name in ("any", "all"):
        x = x > 2
    if "quantile" in name:
        kwargs = dict(kwargs, q=0.5)
    return getattr(t, name)(x, **kwargs) if form == "function" else getattr(x, name)(**kwargs)


KWARGS = [{"keepdim": False}, {"keepdim": True}, {"dim": 1, "keepdim": False}, {"dim": 1, "keepdim": True},
          {"dim": 0}, {}, {"keepdims": False}]


@pytest.mark.parametrize("kwargs", KWARGS, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()) or "none")
@pytest.mark.parametrize("form", ["function", "method"])
@pytest.mark.parametrize("name", NAMES)
def test_keepdim_without_dim_as_torch(name, form, kwargs):
    t_res, e_res = run_both(lambda t: _call(t, name, form, kwargs))
    ok, why = same(t_res, e_res)
    assert ok, why
    if isinstance(t_res, Exception):
        assert type(e_res) is type(t_res), f"torch raises {type(t_res).__name__}, ember {type(e_res).__name__}"


@pytest.mark.parametrize("name", ["sum", "mean"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_and_mean_take_keepdim_with_an_explicit_dim_none(name, keepdim):
    t_res, e_res = run_both(lambda t: getattr(t, name)(t.ones(2, 3), dim=None, keepdim=keepdim))
    assert not isinstance(t_res, Exception)
    ok, why = same(t_res, e_res)
    assert ok, why
    t_res, e_res = run_both(lambda t: getattr(t, name)(t.ones(2, 3), None, keepdim))
    ok, why = same(t_res, e_res)
    assert ok, why


def test_the_error_says_how_to_fix_it():
    import ember
    with pytest.raises(TypeError, match=r"sum\(\) got keepdim without dim.*dim=1, keepdim=False"):
        ember.ones(2).sum(keepdim=False)


def test_the_default_keepdim_is_a_plain_false_in_the_signature():
    import inspect

    import ember
    for fn in (ember.sum, ember.mean, ember.prod, ember.max, ember.min, ember.median, ember.nanmedian):
        default = inspect.signature(fn).parameters["keepdim"].default
        assert repr(default) == "False" and not default, fn


DIM_NONE = [{"dim": None}, {"dim": None, "keepdim": False}, {"dim": None, "keepdim": True}]


@pytest.mark.parametrize("kwargs", DIM_NONE, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
@pytest.mark.parametrize("form", ["function", "method"])
@pytest.mark.parametrize("name", NAMES)
def test_an_explicit_dim_none_as_torch(name, form, kwargs):
    # torch.sum/mean/amax/std/... take dim=None (every element); prod/max/min/median/nanmedian refuse it
    t_res, e_res = run_both(lambda t: _call(t, name, form, kwargs))
    ok, why = same(t_res, e_res)
    assert ok, why
    if isinstance(t_res, Exception):
        assert type(e_res) is type(t_res), f"torch raises {type(t_res).__name__}, ember {type(e_res).__name__}"


@pytest.mark.parametrize("name", ["prod", "max", "min", "median", "nanmedian"])
def test_a_positional_dim_none_as_torch(name):
    t_res, e_res = run_both(lambda t: getattr(t.arange(6.).reshape(2, 3), name)(None))
    assert isinstance(t_res, TypeError) and isinstance(e_res, TypeError), (t_res, e_res)
