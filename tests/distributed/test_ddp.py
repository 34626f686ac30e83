"""DistributedDataParallel on 2 MPI ranks: the same weights as one process trained on the same global
batches (the tutorials' CIFAR network and phone-price MLP), no_sync, buffers, unused parameters."""
import numpy as np
import pytest

import ember
from ember import nn
from ember.nn.parallel import DistributedDataParallel

from . import launch


@pytest.mark.parametrize("kind,steps,cap", [("cifar", 3, 0.1), ("phone", 4, 0)])
def test_ddp_and_distributed_sampler_equal_one_process(tmp_path, kind, steps, cap):
    _, r = launch.run("ddp_train.py", kind, steps, cap, n=2, tmp_path=tmp_path)
    assert r["steps"] == steps
    assert r["ranks_identical"]                    # every replica holds the same weights
    assert r["rank1_init_differed"]                # ... though rank 1 built other ones: the wrap broadcast
    assert r["change"] > 1e-3                      # training moved the weights
    assert r["max_diff"] <= 2e-6 * max(1.0, r["max_abs"]) + 1e-6, r   # float32 round-off
    if kind == "cifar":
        assert r["buckets"] > 1                    # a small bucket cap: several all-reduces per backward


def test_no_sync_buffers_unused_parameters(tmp_path):
    _, r = launch.run("ddp_features.py", n=2, tmp_path=tmp_path)
    assert r["no_sync"] < 1e-6
    assert r["buffers_broadcast"] and r["find_unused_parameters"] and r["unused_error"]
    assert r["state_dict_prefix"] == ["module.0.weight", "module.0.bias"]
    assert r["buckets"] > 1


def test_needs_a_process_group_and_cpu():
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedDataParallel(nn.Linear(2, 2))


def test_torch_paths():
    import ember.nn.parallel.distributed as mod
    assert mod.DistributedDataParallel is DistributedDataParallel is ember.nn.parallel.DistributedDataParallel
    from ember.autograd import Variable
    with pytest.raises(RuntimeError, match="Final callbacks can only be installed during backward pass"):
        Variable._execution_engine.queue_callback(lambda: None)


def test_queue_callback_runs_after_every_leaf():
    from ember.autograd import Variable
    x, y = ember.ones(3, requires_grad=True), ember.ones(2, requires_grad=True)
    seen = []

    def hook(p):
        seen.append(("acc", p.shape[0]))
        if len(seen) == 1:
            Variable._execution_engine.queue_callback(lambda: seen.append(("end", x.grad is not None and
                                                                           y.grad is not None)))
    x.register_post_accumulate_grad_hook(hook)
    y.register_post_accumulate_grad_hook(hook)
    ((x * 2).sum() + (y * 3).sum()).backward()
    assert seen[-1] == ("end", True) and len(seen) == 3
    np.testing.assert_array_equal(x.grad.numpy(), [2, 2, 2])
