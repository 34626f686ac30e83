"""Every collective on N ranks against the single-process expectation computed with NumPy from all
ranks' inputs. Each check raises on a mismatch (the excepthook then aborts the job); rank 0 writes
the names of the checks that ran. argv: out.json"""
import datetime
import json
import sys

import numpy as np

import ember
import ember.distributed as dist

dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=30))
rank, world = dist.get_rank(), dist.get_world_size()
done = []


def value(r, shape=(2, 3), dtype=np.float32):
    """Rank r's input."""
    return (np.arange(np.prod(shape)).reshape(shape) * (r + 1) + r).astype(dtype)


def check(name, got, expected):
    got = got.numpy() if isinstance(got, ember.Tensor) else got
    np.testing.assert_allclose(got, expected, rtol=1e-6, err_msg=f"rank {rank}: {name}")
    assert got.dtype == np.asarray(expected).dtype, f"rank {rank}: {name}: dtype {got.dtype} vs {expected.dtype}"
    done.append(name)


everyone = np.stack([value(r) for r in range(world)])
expect = {"SUM": everyone.sum(0), "AVG": everyone.mean(0, dtype=np.float32), "MAX": everyone.max(0),
          "MIN": everyone.min(0), "PRODUCT": everyone.prod(0)}
for name, exp in expect.items():
    t = ember.tensor(value(rank))
    v = t._version
    assert dist.all_reduce(t, op=getattr(dist.ReduceOp, name)) is None
    check(f"all_reduce {name}", t, exp.astype(np.float32))
    assert t._version > v, "all_reduce must bump the version counter (an in-place write)"
ints = np.stack([value(r, dtype=np.int64) for r in range(world)])
t = ember.tensor(value(rank, dtype=np.int64))
dist.all_reduce(t, op=dist.ReduceOp.MAX)
check("all_reduce MAX int64", t, ints.max(0))
t = ember.tensor(value(rank, dtype=np.float16))
dist.all_reduce(t)
check("all_reduce float16", t, np.stack([value(r, dtype=np.float16) for r in range(world)]).sum(0, dtype=np.float16))
t = ember.tensor(np.array([rank == 0, False, True]))
dist.all_reduce(t)                                    # bool SUM is a logical or
check("all_reduce bool", t, np.array([True, False, True]))
base = ember.tensor(value(rank, (3, 2)))
view = base.t()                                       # a non-contiguous view: written through
dist.all_reduce(view)
check("all_reduce non-contiguous view", base, np.stack([value(r, (3, 2)) for r in range(world)]).sum(0))
t = ember.tensor(value(rank))
work = dist.all_reduce(t, async_op=True)
assert isinstance(work, dist.Work)
assert work.wait() is True and work.is_completed() and work.is_success()
check("all_reduce async_op", t, expect["SUM"])
check("Work.result", work.result()[0], expect["SUM"])

t = ember.tensor(value(rank))
dist.reduce(t, dst=world - 1)
check("reduce", t, expect["SUM"] if rank == world - 1 else value(rank))

for src in range(world):
    t = ember.tensor(value(rank))
    dist.broadcast(t, src=src)
    check(f"broadcast src={src}", t, value(src))
t = ember.tensor(value(rank))
dist.broadcast(t, src=0, async_op=True).wait()
check("broadcast async_op", t, value(0))

outs = [ember.zeros(2, 3) for _ in range(world)]
dist.all_gather(outs, ember.tensor(value(rank)))
for r in range(world):
    check(f"all_gather [{r}]", outs[r], value(r))
flat = ember.zeros(world * 2, 3)
dist.all_gather_into_tensor(flat, ember.tensor(value(rank)))
check("all_gather_into_tensor (concatenated)", flat, np.concatenate([value(r) for r in range(world)]))
stacked = ember.zeros(world, 2, 3)
dist.all_gather_into_tensor(stacked, ember.tensor(value(rank)), async_op=True).wait()
check("all_gather_into_tensor (stacked, async)", stacked, everyone)

big = np.stack([value(r, (world * 2, 3)) for r in range(world)])
out = ember.zeros(2, 3)
dist.reduce_scatter_tensor(out, ember.tensor(value(rank, (world * 2, 3))))
check("reduce_scatter_tensor SUM", out, big.sum(0)[rank * 2:(rank + 1) * 2])
dist.reduce_scatter_tensor(out, ember.tensor(value(rank, (world * 2, 3))), op=dist.ReduceOp.AVG)
check("reduce_scatter_tensor AVG", out, big.mean(0, dtype=np.float32)[rank * 2:(rank + 1) * 2])

dst = world - 1
glist = [ember.zeros(2, 3) for _ in range(world)] if rank == dst else None
dist.gather(ember.tensor(value(rank)), glist, dst=dst)
if rank == dst:
    for r in range(world):
        check(f"gather [{r}]", glist[r], value(r))
recvd = ember.zeros(2, 3)
dist.scatter(recvd, [ember.tensor(value(10 + r)) for r in range(world)] if rank == 0 else None, src=0)
check("scatter", recvd, value(10 + rank))

if world >= 2:
    if rank == 0:
        dist.send(ember.tensor(value(5)), dst=1)
        t = ember.zeros(2, 3)
        assert dist.recv(t) == 1                     # from any rank: returns the sender
        check("recv (any source)", t, value(6))
        w = dist.isend(ember.tensor(value(7)), dst=1, tag=3)
        w.wait()
        done.append("isend")
    elif rank == 1:
        t = ember.zeros(2, 3)
        assert dist.recv(t, src=0) == 0
        check("send/recv", t, value(5))
        dist.send(ember.tensor(value(6)), dst=0)
        t = ember.zeros(2, 3)
        dist.irecv(t, src=0, tag=3).wait()
        check("irecv", t, value(7))

dist.barrier()
assert dist.barrier(async_op=True).wait()

g = dist.new_group([0])                              # every rank calls it; rank 0 alone is a member
if rank == 0:
    assert dist.get_world_size(g) == 1 and dist.get_rank(g) == 0
    t = ember.tensor(value(rank))
    dist.all_reduce(t, group=g)
    check("new_group([0]) all_reduce", t, value(0))
else:
    assert g == dist.GroupMember.NON_GROUP_MEMBER and dist.get_rank(g) == -1
    assert dist.all_reduce(ember.ones(1), group=g) is None
whole = dist.new_group(list(range(world)))
t = ember.tensor(value(rank))
dist.all_reduce(t, group=whole)
check("new_group(all) all_reduce", t, expect["SUM"])
assert dist.get_process_group_ranks(whole) == list(range(world))

try:
    dist.all_reduce(ember.ones(2 + rank))
    raise AssertionError("mismatched shapes must raise")
except RuntimeError as e:
    assert "mismatched collective" in str(e) and "shape=(2,)" in str(e), e
    done.append("mismatch raises")

dist.destroy_process_group()
assert not dist.is_initialized()
if rank == 0:
    json.dump({"checks": done, "world": world}, open(sys.argv[1], "w"))
