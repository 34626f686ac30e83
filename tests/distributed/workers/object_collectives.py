"""The object collectives, all_to_all(_single), reduce_scatter, batch_isend_irecv and get_node_local_rank,
written against PyTorch's API: run by real torch (gloo, the oracle) and by ember (``_worker --compat``).

Each rank writes what every call produced (tensors as values, dtype, shape; errors as their type) to
``<out_dir>/rank<r>.json``; the test compares ember's files with torch's. Only errors every rank
raises alike are in the shared part (PyTorch hangs when one rank raises alone). Under ember a second
part checks what has no torch counterpart here (one-sided errors, mismatched calls, groups) and
raises on a wrong result (the excepthook then aborts the job). argv: out_dir"""
import datetime
import json
import os
import pathlib
import pickle
import sys

import torch
import torch.distributed as dist

EMBER = torch.__name__ != "torch"
CHECKS = os.environ.get("EMBER_DISTRIBUTED_CHECKS", "1") != "0"
rank = int(os.environ.get("RANK", os.environ.get("PMI_RANK", "0")))
world = int(os.environ.get("WORLD_SIZE", os.environ.get("PMI_SIZE", "1")))
os.environ.setdefault("RANK", str(rank))
os.environ.setdefault("WORLD_SIZE", str(world))
dist.init_process_group("gloo", rank=rank, world_size=world, timeout=datetime.timedelta(seconds=60))
n, r = dist.get_world_size(), dist.get_rank()
(pathlib.Path(sys.argv[1]) / f"started{r}").write_text("")      # the backend started
results, messages, done = {}, {}, []


def encode(x):
    if isinstance(x, torch.Tensor):
        return {"tensor": x.tolist(), "dtype": str(x.dtype).split(".")[-1], "shape": list(x.shape),
                "requires_grad": x.requires_grad}
    if isinstance(x, dict):
        return {str(k): encode(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [encode(v) for v in x] + (["<tuple>"] if isinstance(x, tuple) else [])
    if x is None or isinstance(x, (int, float, str, bool)):
        return x
    return f"<{type(x).__name__}>"


def record(name, value):
    results[name] = encode(value)


def error(name, fn):
    """Record the type of the error ``fn`` raises (every rank must raise)."""
    try:
        fn()
    except Exception as e:
        results[name] = {"error": type(e).__name__}
        messages[name] = str(e)
        return e
    raise AssertionError(f"rank {r}: {name} did not raise")


def unpicklable():
    return lambda: None


# -- object collectives --------------------------------------------------------------------------------
obj = {"rank": r, "t": torch.arange(3.0) * r, "i": torch.tensor([r, -r], dtype=torch.int64), "s": "x" * (40 * r),
       "nested": [r, (r, "a")], "leaf": torch.ones(2, requires_grad=True)}
out = [None] * n
assert dist.all_gather_object(out, obj) is None
record("all_gather_object", out)
longer = [None] * (n + 2)
dist.all_gather_object(longer, r * 10)
record("all_gather_object (longer list)", longer)
error("all_gather_object (list too short)", lambda: dist.all_gather_object([None] * (n - 1), r))
error("all_gather_object (unpicklable on every rank)", lambda: dist.all_gather_object([None] * n, unpicklable()))

for dst in (0, n - 1):
    got = [None] * n if r == dst else None
    assert dist.gather_object({"from": r, "t": torch.full((2,), float(r))}, got, dst=dst) is None
    record(f"gather_object dst={dst}", got)
got = [None] * n if r == 1 else None
dist.gather_object(("g", r), got, group_dst=1)
record("gather_object group_dst=1", got)
got = [None] * n if r == 0 else None
dist.gather_object(r * r, got)                                   # dst defaults to 0
record("gather_object default dst", got)

for src in (0, n - 1):
    objs = [{"src": src, "t": torch.arange(4).reshape(2, 2) + src}, "text", 3.5] if r == src else [None] * 3
    assert dist.broadcast_object_list(objs, src=src) is None
    record(f"broadcast_object_list src={src}", objs)
objs = [torch.zeros(1) + 7] if r == 1 else [None]
dist.broadcast_object_list(objs, group_src=1, device=torch.device("cpu"))
record("broadcast_object_list group_src=1 device=cpu", objs)
objs = [r]
dist.broadcast_object_list(objs)                                 # src defaults to 0
record("broadcast_object_list default src", objs)
error("broadcast_object_list src and group_src", lambda: dist.broadcast_object_list([None], src=0, group_src=0))

for src in (0, n - 1):
    mine = [None, "kept"]
    inputs = [{"to": j, "t": torch.full((j + 1,), j)} for j in range(n)] if r == src else None
    assert dist.scatter_object_list(mine, inputs, src=src) is None
    record(f"scatter_object_list src={src}", mine)
mine = [None]
dist.scatter_object_list(mine, ["a" * (j + 1) for j in range(n)] if r == 0 else None)
record("scatter_object_list default src", mine)
error("scatter_object_list empty output list", lambda: dist.scatter_object_list([], list(range(n))))

if r == 0:
    record("send_object_list", dist.send_object_list([{"a": torch.arange(3)}, "b" * 100, None], dst=n - 1))
    dist.send_object_list([r], group_dst=1)
elif r == n - 1:
    got = [None] * 3
    record("recv_object_list", [dist.recv_object_list(got, src=0), got])
if r == 1:
    got = ["x"]
    record("recv_object_list group_src", [dist.recv_object_list(got, group_src=0, device=torch.device("cpu")), got])
error("recv_object_list without src", lambda: dist.recv_object_list([None]))
error("send_object_list to itself", lambda: dist.send_object_list([None], dst=r))

# -- all_to_all_single ---------------------------------------------------------------------------------
for dtype in (torch.float32, torch.int64):
    output = torch.empty(2 * n, dtype=dtype)
    assert dist.all_to_all_single(output, (torch.arange(2 * n) + 100 * r).to(dtype)) is None
    record(f"all_to_all_single equal {str(dtype).split('.')[-1]}", output)
output = torch.empty(n, 3)
dist.all_to_all_single(output, torch.arange(3.0 * n).reshape(n, 3) + 10 * r)
record("all_to_all_single 2-D", output)


def split(i, j):
    """Rows rank i sends to rank j (some zero)."""
    return (i + 2 * j) % 3


ins = [split(r, j) for j in range(n)]
outs = [split(i, r) for i in range(n)]
output = torch.full((sum(outs), 2), -1.0)
inp = torch.arange(2.0 * sum(ins)).reshape(-1, 2) + 100 * r
work = dist.all_to_all_single(output, inp, outs, ins, async_op=True)
work.wait()
record("all_to_all_single uneven async", output)
error("all_to_all_single dtypes differ", lambda: dist.all_to_all_single(torch.empty(n, dtype=torch.int64),
                                                                          torch.ones(n)))
error("all_to_all_single split count", lambda: dist.all_to_all_single(torch.empty(n), torch.ones(n),
                                                                        [1] * (n + 1), [1] * n))
error("all_to_all_single split sum", lambda: dist.all_to_all_single(torch.empty(n), torch.ones(n), [1] * n,
                                                                      [2] * n))
error("all_to_all_single not a tensor", lambda: dist.all_to_all_single([0.0] * n, torch.ones(n)))

# -- all_to_all ------------------------------------------------------------------------------------------
inputs = [torch.full((2,), 10.0 * r + j) for j in range(n)]    # gloo needs one size for all the tensors
outputs = [torch.empty(2) for i in range(n)]
assert dist.all_to_all(outputs, inputs) is None
record("all_to_all", outputs)
inputs = [torch.arange(6).reshape(2, 3) * (r + 1) + j for j in range(n)]
outputs = [torch.empty(2, 3, dtype=torch.int64) for _ in range(n)]
dist.all_to_all(outputs, inputs, async_op=True).wait()
record("all_to_all 2-D async", outputs)
error("all_to_all list size", lambda: dist.all_to_all([torch.empty(1)], [torch.ones(1)] * n))
error("all_to_all dtypes differ", lambda: dist.all_to_all([torch.empty(1)] * n, [torch.ones(1, dtype=torch.int64)] * n))
error("all_to_all not a list", lambda: dist.all_to_all(torch.empty(n), [torch.ones(1)] * n))

# -- reduce_scatter with a list, batch_isend_irecv, get_node_local_rank -----------------------------------------
for op in ("SUM", "MAX"):
    output = torch.empty(2)
    dist.reduce_scatter(output, [torch.tensor([r + 1.0, j - r]) * (j + 1) for j in range(n)],
                        op=getattr(dist.ReduceOp, op))
    record(f"reduce_scatter {op}", output)
error("reduce_scatter dtypes differ",
      lambda: dist.reduce_scatter(torch.empty(2), [torch.ones(2, dtype=torch.int64)] * n))

got = torch.zeros(3)
ops = [dist.P2POp(dist.irecv, got, (r - 1) % n), dist.P2POp(dist.isend, torch.arange(3.0) + r, (r + 1) % n)]
works = dist.batch_isend_irecv(ops)
record("batch_isend_irecv ring", [[w.wait() for w in works], got])
got2 = [torch.zeros(1), torch.zeros(1)]
ops = [dist.P2POp(dist.isend, torch.tensor([1.0 + r]), (r + 1) % n, tag=5),
       dist.P2POp(dist.isend, torch.tensor([2.0 + r]), (r + 1) % n, tag=5),
       dist.P2POp(dist.irecv, got2[0], group_peer=(r - 1) % n, tag=5),
       dist.P2POp(dist.irecv, got2[1], (r - 1) % n, tag=5)]
for w in dist.batch_isend_irecv(ops):
    w.wait()
record("batch_isend_irecv same pair in order", got2)
error("P2POp with dist.send", lambda: dist.P2POp(dist.send, torch.ones(1), (r + 1) % n))
error("P2POp without a tensor", lambda: dist.P2POp(dist.isend, [1.0], (r + 1) % n))
error("batch_isend_irecv empty", lambda: dist.batch_isend_irecv([]))
error("batch_isend_irecv not P2POps", lambda: dist.batch_isend_irecv([1]))

local = os.environ.pop("LOCAL_RANK", None)
error("get_node_local_rank without LOCAL_RANK", lambda: dist.get_node_local_rank())
record("get_node_local_rank fallback", dist.get_node_local_rank(fallback_rank=3))
os.environ["LOCAL_RANK"] = str(r)
record("get_node_local_rank", dist.get_node_local_rank(fallback_rank=3))
if local is not None:
    os.environ["LOCAL_RANK"] = local


# -- ember only ----------------------------------------------------------------------------------------------
def check(name, condition, detail=""):
    assert condition, f"rank {r}: {name}: {detail}"
    done.append(name)


def everyone_raises(name, fn, mine, others=RuntimeError, text=""):
    """``fn`` on every rank: ``mine`` (a rank->bool) raise their own error, the others RuntimeError."""
    try:
        fn()
    except Exception as e:
        want = mine if isinstance(mine, type) else (mine[1] if mine[0](r) else others)
        check(name, isinstance(e, want) and text in str(e), f"{type(e).__name__}: {e}")
        return
    raise AssertionError(f"rank {r}: {name} did not raise")


if EMBER and CHECKS:
    import numpy as np

    import ember
    out = [None] * n
    dist.all_gather_object(out, {"t": ember.arange(2.0) + r, "p": ember.nn.Parameter(ember.ones(2))})
    check("tensors in objects are ember Tensors", all(type(o["t"]) is ember.Tensor for o in out)
          and all(type(o["p"]) is ember.nn.Parameter and o["p"].requires_grad for o in out), str(out))
    check("error messages say what to pass", "[None] * dist.get_world_size" in
          messages["all_gather_object (list too short)"], messages["all_gather_object (list too short)"])
    check("all_to_all_single errors keep PyTorch's text", messages["all_to_all_single split sum"].startswith(
        "Split sizes doesn't match total dim 0 size") and "sums to" in messages["all_to_all_single split sum"],
        messages["all_to_all_single split sum"])

    # one rank's wrong call: it raises its own error, the others a RuntimeError naming it; nobody hangs
    everyone_raises("gather_object without a list on dst", lambda: dist.gather_object(r, None, dst=0),
                    (lambda q: q == 0, ValueError), text="" if r == 0 else "rank(s) [0] raised")
    everyone_raises("scatter_object_list without inputs on src",
                    lambda: dist.scatter_object_list([None], None, src=n - 1), (lambda q: q == n - 1, ValueError))
    everyone_raises("all_gather_object unpicklable on one rank",
                    lambda: dist.all_gather_object([None] * n, unpicklable() if r == 1 else r),
                    (lambda q: q == 1, (pickle.PicklingError, AttributeError)))
    everyone_raises("scatter_object_list wrong input length",
                    lambda: dist.scatter_object_list([None], [0] * (n + 1) if r == 0 else None),
                    (lambda q: q == 0, RuntimeError), text="Incorrect input list size" if r == 0 else "raised")
    # mismatched calls: every rank raises the same error
    everyone_raises("object collective against another", lambda: dist.all_gather_object([None] * n, r) if r == 0
                    else dist.broadcast_object_list([None]), RuntimeError, text="mismatched collective")
    everyone_raises("object collective against a tensor collective", lambda: dist.all_gather_object([None] * n, r)
                    if r == 0 else dist.all_reduce(ember.ones(2)), RuntimeError, text="mismatched collective")
    everyone_raises("broadcast_object_list not a list on one rank", lambda: dist.broadcast_object_list(
        (None,) if r == n - 1 else [None]), (lambda q: q == n - 1, TypeError), text="" if r == n - 1 else "raised")
    everyone_raises("broadcast_object_list lengths differ", lambda: dist.broadcast_object_list([None] * (1 + r)),
                    RuntimeError, text="len(object_list)=")
    everyone_raises("all_to_all_single splits disagree", lambda: dist.all_to_all_single(
        ember.empty(n + (r == 0)), ember.ones(n), [1] * (n - 1) + [1 + (r == 0)], [1] * n), RuntimeError,
        text="expects")
    everyone_raises("all_to_all_single dim 0 not divisible", lambda: dist.all_to_all_single(
        ember.empty(n + 1), ember.ones(n + 1)), RuntimeError, text="does not divide equally")
    everyone_raises("all_to_all_single row sizes differ", lambda: dist.all_to_all_single(
        ember.empty(n, 2), ember.ones(n, 3)), RuntimeError, text="row")
    everyone_raises("all_to_all_single dtypes differ across ranks", lambda: dist.all_to_all_single(
        ember.empty(n, dtype=ember.float64 if r else ember.float32), ember.ones(n, dtype=ember.float64 if r
                                                                              else ember.float32)),
        RuntimeError, text="mismatched")
    everyone_raises("all_to_all one rank's list too short", lambda: dist.all_to_all(
        [ember.empty(1)] * (n - (r == 1)), [ember.ones(1)] * n), (lambda q: q == 1, RuntimeError),
        text="does not match world size" if r == 1 else "raised")

    # all_to_all with other sizes per peer (PyTorch's MPI and NCCL backends; gloo needs one size)
    inputs = [ember.full((j + 1 + r,), 10.0 * r + j) for j in range(n)]
    outputs = [ember.empty(r + 1 + i) for i in range(n)]
    dist.all_to_all(outputs, inputs)
    check("all_to_all uneven", [o.tolist() for o in outputs] == [[10.0 * i + r] * (r + 1 + i) for i in range(n)],
          outputs)

    # in place, non-contiguous output, float16 and bool, the group of the last ranks
    t = ember.arange(2.0 * n) + 100 * r
    dist.all_to_all_single(t, t)
    expect = np.concatenate([np.arange(2.0 * r, 2.0 * r + 2) + 100 * i for i in range(n)]).astype(np.float32)
    check("all_to_all_single in place", np.array_equal(t.numpy(), expect), t)
    base = ember.zeros(3, n)
    dist.all_to_all_single(base.t(), ember.arange(3.0 * n).reshape(n, 3) + 10 * r)
    expect = np.stack([np.arange(3.0 * r, 3.0 * r + 3) + 10 * i for i in range(n)]).T
    check("all_to_all_single into a non-contiguous view", np.array_equal(base.numpy(), expect), base)
    for dt, value in ((ember.float16, 1.5), (ember.bool, True)):
        o = ember.zeros(n, dtype=dt)
        dist.all_to_all_single(o, ember.full((n,), value, dtype=dt))
        check(f"all_to_all_single {dt}", o.tolist() == [value] * n, o)
    g = dist.new_group(list(range(1, n)))
    if r == 0:
        check("non-member returns None", dist.all_gather_object([None], r, group=g) is None
              and dist.all_to_all_single(ember.empty(1), ember.ones(1), group=g) is None)
    else:
        m = n - 1
        got = [None] * m
        dist.all_gather_object(got, r, group=g)
        check("all_gather_object on a group", got == list(range(1, n)), got)
        objs = ["from last"] if r == n - 1 else [None]
        dist.broadcast_object_list(objs, group_src=m - 1, group=g)
        check("broadcast_object_list group_src on a group", objs == ["from last"], objs)
        mine = [None]
        dist.scatter_object_list(mine, [f"to {j}" for j in range(m)] if r == 1 else None, src=1, group=g)
        check("scatter_object_list src (global) on a group", mine == [f"to {r - 1}"], mine)
        o = ember.empty(m)
        dist.all_to_all_single(o, ember.arange(float(m)) + 10 * r, group=g)
        check("all_to_all_single on a group", o.tolist() == [10.0 * i + r - 1 for i in range(1, n)], o)
    t = ember.ones(1)
    dist.all_reduce(t)
    check("still in step after the errors", t.item() == n, t)

dist.barrier()
out_dir = pathlib.Path(sys.argv[1])                 # written whole (rename), before the backend's teardown
(out_dir / f"rank{r}.json.part").write_text(json.dumps({"results": results, "done": done, "world": n}))
os.replace(out_dir / f"rank{r}.json.part", out_dir / f"rank{r}.json")
dist.destroy_process_group()
