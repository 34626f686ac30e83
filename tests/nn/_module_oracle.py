"""Compare an ember Module with the same torch Module: weights copied through state_dict,
then forward values, input gradients, parameter gradients and buffers."""
import numpy as np
import torch

import ember
from tests.oracle import assert_close


def copy_weights(e_mod, t_mod):
    """Load ember's state_dict into the torch module (strict: the keys must be identical)."""
    sd = {k: torch.tensor(np.array(v._data)) for k, v in e_mod.state_dict().items()}
    t_mod.load_state_dict(sd, strict=True)
    assert list(e_mod.state_dict()) == list(t_mod.state_dict())


def compare_module(e_mod, t_mod, *inputs, train=True, atol=1e-5, rtol=1e-4, grad=True, seed=0, copy=True):
    """Run both modules on the same inputs and compare everything; returns (e_out, t_out)."""
    if copy:
        copy_weights(e_mod, t_mod)
    e_mod.train(train)
    t_mod.train(train)
    arrays = [np.asarray(a) for a in inputs]
    req = [grad and a.dtype.kind == "f" for a in arrays]
    e_in = [ember.tensor(a.copy(), requires_grad=r) for a, r in zip(arrays, req)]
    t_in = [torch.tensor(a.copy(), requires_grad=r) for a, r in zip(arrays, req)]
    e_out = e_mod(*e_in)
    t_out = t_mod(*t_in)
    assert_close(e_out, t_out, atol, rtol, what="output")
    if grad and t_out.requires_grad:
        g = np.random.default_rng(seed).standard_normal(tuple(t_out.shape)).astype(t_out.detach().numpy().dtype)
        e_out.backward(ember.tensor(g))
        t_out.backward(torch.tensor(g))
        for i, (ei, ti) in enumerate(zip(e_in, t_in)):
            if req[i]:
                assert_close(ei.grad, ti.grad, atol, rtol, what=f"grad of input {i}")
        t_params = dict(t_mod.named_parameters())
        e_params = dict(e_mod.named_parameters())
        assert list(e_params) == list(t_params)
        for name, tp in t_params.items():
            ep = e_params[name]
            if tp.grad is None:
                assert ep.grad is None or not np.any(ep.grad._data), f"{name}: torch has no grad"
            else:
                assert ep.grad is not None, f"{name}: ember has no grad"
                assert_close(ep.grad, tp.grad, atol, rtol, what=f"grad of {name}")
    for name, tb in t_mod.named_buffers():
        assert_close(e_mod.get_buffer(name), tb, atol, rtol, what=f"buffer {name}")
    return e_out, t_out
