"""Compare ember against PyTorch (the oracle): forward values and input gradients."""
import numpy as np
import torch

import ember


def to_ember(a, requires_grad=False):
    t = ember.tensor(np.array(a))
    return t.requires_grad_(requires_grad) if requires_grad else t


def to_torch(a, requires_grad=False):
    return torch.tensor(np.array(a), requires_grad=requires_grad)


def assert_close(e, t, atol=1e-5, rtol=1e-4, what="value"):
    """``e`` (ember Tensor / array / number) equals ``t`` (torch Tensor / number) to tolerance."""
    ev = e._data if isinstance(e, ember.Tensor) else np.asarray(e)
    tv = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    assert ev.shape == tv.shape, f"{what}: shape {ev.shape} != torch {tv.shape}"
    if isinstance(t, torch.Tensor):
        expected = str(t.dtype).replace("torch.", "")
        assert ev.dtype.name == expected, f"{what}: dtype {ev.dtype} != torch {expected}"
    if ev.dtype.kind in "biu":
        np.testing.assert_array_equal(ev, tv, err_msg=what)
    else:
        np.testing.assert_allclose(ev, tv, atol=atol, rtol=rtol, err_msg=what, equal_nan=True)


def check(fn_e, fn_t=None, *inputs, grad=True, atol=1e-5, rtol=1e-4, seed=0):
    """Run ``fn_e`` on ember tensors and ``fn_t`` on torch tensors made from the same arrays.

    Float inputs require grad when ``grad``; the backward pass uses the same random upstream
    gradient in both and the input gradients must match.
    """
    fn_t = fn_t or fn_e
    arrays = [np.asarray(a) for a in inputs]
    req = [grad and a.dtype.kind == "f" for a in arrays]
    e_in = [to_ember(a, r) for a, r in zip(arrays, req)]
    t_in = [to_torch(a, r) for a, r in zip(arrays, req)]
    e_out = fn_e(*e_in)
    t_out = fn_t(*t_in)
    e_outs = e_out if isinstance(e_out, (tuple, list)) else (e_out,)
    t_outs = t_out if isinstance(t_out, (tuple, list)) else (t_out,)
    assert len(e_outs) == len(t_outs)
    for i, (eo, to) in enumerate(zip(e_outs, t_outs)):
        assert_close(eo, to, atol, rtol, what=f"output {i}")
    if not grad or not any(req):
        return e_out, t_out
    rng = np.random.default_rng(seed)
    e_diff = [(eo, to) for eo, to in zip(e_outs, t_outs)
              if isinstance(to, torch.Tensor) and to.requires_grad]
    if not e_diff:
        return e_out, t_out
    gs = [rng.standard_normal(to.shape).astype(to.detach().numpy().dtype) for _, to in e_diff]
    ember.autograd.backward([eo for eo, _ in e_diff], [ember.tensor(g) for g in gs])
    torch.autograd.backward([to for _, to in e_diff], [torch.tensor(g) for g in gs])
    for i, (ei, ti) in enumerate(zip(e_in, t_in)):
        if req[i]:
            if ti.grad is None:
                assert ei.grad is None or np.all(ei.grad._data == 0), f"input {i}: torch has no grad"
            else:
                assert ei.grad is not None, f"input {i}: ember produced no gradient"
                assert_close(ei.grad, ti.grad, atol, rtol, what=f"grad of input {i}")
    return e_out, t_out
