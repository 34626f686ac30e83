"""DDP + DistributedSampler training on every rank; rank 0 also trains one process on the same global
batches and reports the largest weight difference. argv: model (cifar|phone) steps bucket_cap_mb out.json
(bucket_cap_mb 0: the default)"""
import datetime
import json
import sys

import numpy as np

import ember
import ember.distributed as dist
from ember import nn
from ember.cli.cifar10 import cifar10_net
from ember.cli.phone_price import PhonePriceMLP
from ember.nn.parallel import DistributedDataParallel as DDP
from ember.utils.data import DataLoader, TensorDataset
from ember.utils.data.distributed import DistributedSampler

kind, steps, cap, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=40))
rank, world = dist.get_rank(), dist.get_world_size()
per_rank = 4 if kind == "cifar" else 16
rng = np.random.default_rng(0)
n = world * per_rank * steps - 3                   # not a multiple: DistributedSampler pads
if kind == "cifar":
    x = rng.standard_normal((n, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, n)
else:
    x = rng.standard_normal((n, 20)).astype(np.float32)
    y = rng.integers(0, 4, n)
data = TensorDataset(ember.tensor(x), ember.tensor(y))


def build():
    ember.manual_seed(1 + rank * 7)                 # different on each rank: DDP must broadcast rank 0's
    return cifar10_net() if kind == "cifar" else PhonePriceMLP()


def optimizer(params):
    return ember.optim.SGD(params, lr=0.05, momentum=0.9) if kind == "cifar" else ember.optim.Adam(params, lr=1e-2)


net = build()
before = [p.detach().clone() for p in net.parameters()]
model = DDP(net, bucket_cap_mb=cap or None)
opt = optimizer(model.parameters())
loss_fn = nn.CrossEntropyLoss()
sampler = DistributedSampler(data, shuffle=True, seed=3)
sampler.set_epoch(1)
loader = DataLoader(data, batch_size=per_rank, sampler=sampler)
for xb, yb in loader:
    opt.zero_grad()
    loss_fn(model(xb), yb).backward()
    opt.step()

flat = ember.cat([p.detach().reshape(-1) for p in model.module.parameters()])
every = [ember.zeros_like(flat) for _ in range(world)]
dist.all_gather(every, flat)

if rank == 0:
    ember.manual_seed(1)
    ref = cifar10_net() if kind == "cifar" else PhonePriceMLP()
    ref_opt = optimizer(ref.parameters())
    shares = []
    for r in range(world):
        s = DistributedSampler(data, num_replicas=world, rank=r, shuffle=True, seed=3)
        s.set_epoch(1)
        shares.append(list(s))
    for k in range(len(shares[0]) // per_rank + (len(shares[0]) % per_rank > 0)):
        idx = [i for s in shares for i in s[k * per_rank:(k + 1) * per_rank]]
        ref_opt.zero_grad()
        loss_fn(ref(ember.tensor(x[idx])), ember.tensor(y[idx])).backward()
        ref_opt.step()
    ref_flat = ember.cat([p.detach().reshape(-1) for p in ref.parameters()]).numpy()
    ddp_flat = flat.numpy()
    init = ember.cat([p.reshape(-1) for p in before]).numpy()
    result = {"steps": len(loader), "n_params": int(ddp_flat.size), "buckets": len(model._buckets),
              "change": float(np.abs(ddp_flat - init).max()),
              "ranks_identical": all(bool((e.numpy() == ddp_flat).all()) for e in every),
              "max_diff": float(np.abs(ref_flat - ddp_flat).max()),
              "max_abs": float(np.abs(ref_flat).max())}
    if world > 1:                                   # rank 1 started from other weights: the wrap broadcast them
        other = ember.zeros_like(flat)
        dist.recv(other, src=1)
        result["rank1_init_differed"] = bool(np.abs(other.numpy() - init).max() > 1e-3)
    json.dump(result, open(out, "w"))
elif rank == 1:
    dist.send(ember.cat([p.reshape(-1) for p in before]), dst=0)
dist.destroy_process_group()
