"""Module hooks against torch.nn.Module: forward (pre-)hooks, ``always_call``, full backward hooks."""
import warnings

import numpy as np
import pytest
import torch

import ember
from ember import nn


def test_forward_hooks():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: calls.append(("pre", mod, args[0].shape)))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(("post", out.shape)))
    x = ember.randn(3, 2)
    m(x)
    assert calls == [("pre", m, (3, 2)), ("post", (3, 2))]
    h1.remove()
    h2.remove()
    calls.clear()
    m(x)
    assert calls == []
    # returning a value replaces the input / output
    m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    h = m.register_forward_hook(lambda mod, args, out: out + 1)
    np.testing.assert_allclose(m(x)._data, m.bias._data[None, :].repeat(3, 0) + 1, atol=1e-6)
    h.remove()
    # with_kwargs and prepend
    order = []
    m2 = nn.Identity()
    m2.register_forward_hook(lambda mod, a, o: order.append(1))
    m2.register_forward_hook(lambda mod, a, o: order.append(0), prepend=True)
    m2.register_forward_pre_hook(lambda mod, a, kw: ((a[0] + 1,), kw), with_kwargs=True)
    assert m2(ember.zeros(1)).item() == 1.0 and order == [0, 1]


class _Boom(Exception):
    pass


def _raise(message):
    def hook(*args):
        raise _Boom(message)
    return hook


def _recorder(log, tag):
    """A forward hook logging (tag, output shape or None, whether it got the kwargs)."""
    def hook(mod, args, *rest):
        out = rest[-1]
        log.append((tag, None if out is None else tuple(out.shape), len(rest) == 2))
    return hook


def _failing_forward(lib):
    class Failing(lib.nn.Linear):
        def forward(self, x):
            raise _Boom("in forward")
    return Failing(2, 2)


def _setup(lib, scenario, log):
    """A module and hooks for one way a call can fail; returns the module."""
    if scenario == "forward raises":
        m = _failing_forward(lib)
        m.register_forward_hook(_recorder(log, "plain"))
        m.register_forward_hook(_recorder(log, "always"), always_call=True)
        m.register_forward_hook(_recorder(log, "always kw"), with_kwargs=True, always_call=True)
    elif scenario == "pre-hook raises":
        m = lib.nn.Linear(2, 2)
        m.register_forward_pre_hook(_raise("in pre-hook"))
        m.register_forward_hook(_recorder(log, "always"), always_call=True)
    elif scenario == "forward hook raises":
        m = lib.nn.Linear(2, 2)
        m.register_forward_hook(_recorder(log, "always, ran before"), always_call=True)
        m.register_forward_hook(_raise("in hook"))
        m.register_forward_hook(_recorder(log, "always, after"), always_call=True)
        m.register_forward_hook(_recorder(log, "plain, after"))
    elif scenario == "removed":
        m = _failing_forward(lib)
        m.register_forward_hook(_recorder(log, "always"), always_call=True).remove()
    else:  # "prepended"
        m = _failing_forward(lib)
        m.register_forward_hook(_recorder(log, "second"), always_call=True)
        m.register_forward_hook(_recorder(log, "first"), always_call=True, prepend=True)
    return m


@pytest.mark.parametrize("scenario", ["forward raises", "pre-hook raises", "forward hook raises", "removed",
                                      "prepended"])
def test_always_call_forward_hooks_run_when_the_call_raises(scenario):
    logs = {}
    for lib in (ember, torch):
        log = logs[lib.__name__] = []
        m = _setup(lib, scenario, log)
        with pytest.raises(_Boom):
            m(lib.ones(3, 2))
    assert logs["ember"] == logs["torch"]
    expected = {"forward raises": [("always", None, False), ("always kw", None, True)],
                "pre-hook raises": [("always", None, False)],
                "forward hook raises": [("always, ran before", (3, 2), False), ("always, after", (3, 2), False)],
                "removed": [], "prepended": [("first", None, False), ("second", None, False)]}[scenario]
    assert logs["ember"] == expected


def test_always_call_hook_that_raises_too_is_a_warning_and_the_first_error_propagates():
    for lib in (ember, torch):
        log = []
        m = _failing_forward(lib)
        m.register_forward_hook(_raise("in hook"), always_call=True)
        m.register_forward_hook(_recorder(log, "always"), always_call=True)
        with pytest.warns(UserWarning, match="always_call=True`` raised an exception that was silenced as another "
                                             "error was raised in forward: in hook"):
            with pytest.raises(_Boom, match="in forward"):
                m(lib.ones(3, 2))
        assert log == [("always", None, False)], lib.__name__


def test_always_call_hook_runs_once_and_can_replace_the_output_on_success():
    for lib in (ember, torch):
        m = lib.nn.Linear(2, 2)
        log = []
        m.register_forward_hook(_recorder(log, "always"), always_call=True)
        m.register_forward_hook(lambda mod, args, out: out * 0, always_call=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = m(lib.ones(3, 2))
        assert log == [("always", (3, 2), False)]
        assert not out.detach().numpy().any()


def _hooked(lib, log):
    m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))
    m[0].register_full_backward_pre_hook(lambda mod, go: log.append(("pre", [tuple(g.shape) for g in go])))
    m[0].register_full_backward_hook(lambda mod, gi, go: (gi[0] * 2,))
    m[2].register_full_backward_hook(
        lambda mod, gi, go: log.append(("post", [tuple(g.shape) for g in gi], [tuple(g.shape) for g in go])))
    return m


def test_full_backward_hooks_match_torch():
    e_log, t_log = [], []
    e, t = _hooked(ember, e_log), _hooked(torch, t_log)
    t.load_state_dict({k: torch.tensor(v._data) for k, v in e.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    e(ex).sum().backward()
    t(tx).sum().backward()
    assert e_log == t_log == [("post", [(5, 4)], [(5, 2)]), ("pre", [(5, 4)])]
    np.testing.assert_allclose(ex.grad._data, tx.grad.numpy(), atol=1e-6)  # the doubled grad_input
    for (n, p), tp in zip(e.named_parameters(), t.parameters()):
        np.testing.assert_allclose(p.grad._data, tp.grad.numpy(), atol=1e-6, err_msg=n)


def test_backward_hook_without_input_grad_and_removal():
    m = nn.Linear(2, 2)
    seen = []
    h = m.register_full_backward_hook(lambda mod, gi, go: seen.append(gi))
    m(ember.ones(1, 2)).sum().backward()
    assert seen == [(None,)]
    h.remove()
    m(ember.ones(1, 2)).sum().backward()
    assert len(seen) == 1
    with ember.no_grad():  # no graph: hooks are not attached
        m.register_full_backward_hook(lambda *a: seen.append(1))
        assert m(ember.ones(1, 2)).grad_fn is None


def test_plain_forward_hooks_alone_chain_outputs_and_see_removal_as_pytorch():
    # a module with only plain forward hooks takes Module.__call__'s short way: same semantics
    def run(lib):
        m = lib.nn.Identity()
        seen = []
        handles = []

        def first(mod, args, out):
            seen.append(("first", float(out.sum())))
            handles[0].remove()                   # removing itself mid-call: the next hook still runs
            return out * 2

        handles.append(m.register_forward_hook(first))
        m.register_forward_hook(lambda mod, args, out: seen.append(("second", float(out.sum()), len(args))))
        m.register_forward_hook(lambda mod, args, out: out + 1, prepend=True)
        y1 = m(lib.ones(3))
        y2 = m(lib.ones(3))
        return seen, y1.tolist(), y2.tolist()
    assert run(ember) == run(torch)
