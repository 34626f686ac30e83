"""DistributedDataParallel's behaviours on N ranks, each checked against one process (rank 0 computes
the reference). Raises on a mismatch; rank 0 writes what it checked. argv: out.json"""
import datetime
import json
import sys

import numpy as np

import ember
import ember.distributed as dist
from ember import nn
from ember.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=30))
rank, world = dist.get_rank(), dist.get_world_size()
done = {}
rng = np.random.default_rng(0)
X = rng.standard_normal((world, 2, 6, 5)).astype(np.float32)       # [rank, micro-batch, rows, features]
Y = rng.integers(0, 3, (world, 2, 6))
loss_fn = nn.CrossEntropyLoss()


def net():
    ember.manual_seed(0)
    return nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))


def grads(m):
    return np.concatenate([p.grad.numpy().ravel() for p in m.parameters()])


# -- no_sync: two accumulated micro-batches == one step on the large batch ------------------------------
ddp = DDP(net())
with ddp.no_sync():
    (loss_fn(ddp(ember.tensor(X[rank, 0])), ember.tensor(Y[rank, 0])) / 2).backward()
local_after_no_sync = grads(ddp.module)
(loss_fn(ddp(ember.tensor(X[rank, 1])), ember.tensor(Y[rank, 1])) / 2).backward()
ref = net()
loss_fn(ref(ember.tensor(X.reshape(-1, 5))), ember.tensor(Y.reshape(-1))).backward()
np.testing.assert_allclose(grads(ddp.module), grads(ref), rtol=1e-5, atol=1e-7)
solo = net()
(loss_fn(solo(ember.tensor(X[rank, 0])), ember.tensor(Y[rank, 0])) / 2).backward()
np.testing.assert_array_equal(local_after_no_sync, grads(solo))     # inside no_sync: local gradients only
done["no_sync"] = float(np.abs(grads(ddp.module) - grads(ref)).max())

# -- BatchNorm buffers are broadcast from rank 0 before forward --------------------------------------
ember.manual_seed(0)
bn_model = DDP(nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4)))
bn = bn_model.module[1]
bn_model(ember.tensor(X[rank, 0])).sum().backward()                 # updates running stats locally
local_mean = bn.running_mean.numpy().copy()
bn_model(ember.tensor(X[rank, 1])).sum().backward()                 # starts with rank 0's buffers
ember.manual_seed(0)
ref_bn = nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4))
ref_bn(ember.tensor(X[0, 0]))
ref_bn[1].running_mean.mul_(0.9).add_(0.1 * ember.tensor(
    (X[rank, 1] @ ref_bn[0].weight.detach().numpy().T + ref_bn[0].bias.detach().numpy()).mean(0)))
np.testing.assert_allclose(bn.running_mean.numpy(), ref_bn[1].running_mean.numpy(), rtol=1e-5, atol=1e-6)
means = [ember.zeros(4) for _ in range(world)]
dist.all_gather(means, ember.tensor(local_mean))
done["buffers_broadcast"] = bool(world == 1 or not np.allclose(means[0].numpy(), means[1].numpy()))
assert list(bn_model.state_dict())[0].startswith("module."), list(bn_model.state_dict())
done["state_dict_prefix"] = list(bn_model.state_dict())[:2]


# -- find_unused_parameters: a branch used on rank 0 only ---------------------------------------------
class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        ember.manual_seed(0)
        self.body = nn.Linear(5, 4)
        self.head_a = nn.Linear(4, 3)
        self.head_b = nn.Linear(4, 3)
        self.never = nn.Linear(4, 3)

    def forward(self, x, use_b):
        h = self.body(x)
        return self.head_b(h) if use_b else self.head_a(h)


m = DDP(TwoHeads(), find_unused_parameters=True)
loss_fn(m(ember.tensor(X[rank, 0]), use_b=(rank == 0)), ember.tensor(Y[rank, 0])).backward()
ref = TwoHeads()
for r in range(world):
    (loss_fn(ref(ember.tensor(X[r, 0]), use_b=(r == 0)), ember.tensor(Y[r, 0])) / world).backward()
for name, p in m.module.named_parameters():
    q = dict(ref.named_parameters())[name]
    if name.startswith("never"):
        assert p.grad is None, f"{name}: unused on every rank, its grad must stay None"
    else:
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-7, err_msg=name)
done["find_unused_parameters"] = True

# -- without find_unused_parameters, a parameter without gradient makes the next forward raise --------
m = DDP(TwoHeads())
loss_fn(m(ember.tensor(X[rank, 0]), use_b=False), ember.tensor(Y[rank, 0])).backward()
try:
    m(ember.tensor(X[rank, 0]), use_b=False)
    raise AssertionError("expected the unfinished-reduction error")
except RuntimeError as e:
    assert "Expected to have finished reduction" in str(e) and "head_b.weight" in str(e), e
done["unused_error"] = True

# -- several buckets (tiny cap) give the same gradients --------------------------------------------------
small = DDP(net(), bucket_cap_mb=0.0001)
assert len(small._buckets) > 1
loss_fn(small(ember.tensor(X[rank, 0])), ember.tensor(Y[rank, 0])).backward()
ref = net()
loss_fn(ref(ember.tensor(X[:, 0].reshape(-1, 5))), ember.tensor(Y[:, 0].reshape(-1))).backward()
np.testing.assert_allclose(grads(small.module), grads(ref), rtol=1e-5, atol=1e-7)
done["buckets"] = len(small._buckets)

dist.destroy_process_group()
if rank == 0:
    json.dump(done, open(sys.argv[1], "w"))
