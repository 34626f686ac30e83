"""Object collectives, all_to_all(_single), reduce_scatter (list), P2POp/batch_isend_irecv and
get_node_local_rank: one worker script in PyTorch's API run by real torch.distributed (gloo, on
the same MPI launcher) and by ember (``_worker --compat``) on 2 and 3 ranks; every rank's results
must be equal. Plus the API's shape without a process group."""
import inspect
import json
import socket
import sys

import pytest
import torch.distributed as tdist

import ember.distributed as dist

from . import launch

WORKER = "object_collectives.py"
NAMES = ["all_gather_object", "gather_object", "broadcast_object_list", "scatter_object_list", "send_object_list",
         "recv_object_list", "all_to_all_single",
         "all_to_all", "reduce_scatter", "batch_isend_irecv", "get_node_local_rank", "is_backend_available",
         "get_default_backend_for_device"]
EMBER_ONLY = {"tensors in objects are ember Tensors", "gather_object without a list on dst",
              "all_gather_object unpicklable on one rank", "object collective against a tensor collective",
              "all_to_all_single splits disagree", "all_to_all_single dtypes differ across ranks",
              "all_to_all one rank's list too short", "all_to_all uneven",
              "broadcast_object_list not a list on one rank", "all_to_all_single in place",
              "all_to_all_single into a non-contiguous view", "still in step after the errors"}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _results(out_dir, n):
    return [json.loads((out_dir / f"rank{r}.json").read_text()) for r in range(n)]


def _run_torch(out_dir, n):
    """torch.distributed with gloo, started by mpiexec (the ranks come from PMI_RANK/PMI_SIZE).

    torch's gloo sometimes dies at exit ("terminate called without an active exception") after
    every rank has written its results: those results count; a run without them is tried again once.
    """
    out_dir.mkdir()
    for attempt in range(2):
        for old in out_dir.iterdir():
            old.unlink()
        proc, _ = launch.run(WORKER, out_dir, n=n, timeout=120, expect_ok=False, MASTER_ADDR="127.0.0.1",
                             MASTER_PORT=_free_port())
        if all((out_dir / f"rank{r}.json").exists() for r in range(n)):
            return _results(out_dir, n)
        if not list(out_dir.glob("started*")):
            pytest.skip(f"torch.distributed with gloo does not start here:\n{proc.stderr[-2000:]}")
    raise AssertionError(f"torch run failed twice:\n{proc.stdout}\n{proc.stderr}")


def _run_ember(out_dir, n, **env):
    out_dir.mkdir()
    launcher = [launch.mpiexec(), "-n", str(n), sys.executable, "-m", "ember.distributed._worker", "--compat"]
    launch.run(WORKER, out_dir, n=n, timeout=120, launcher=launcher, **env)
    return _results(out_dir, n)


@pytest.fixture(scope="module", params=[2, 3])
def both(request, tmp_path_factory):
    n = request.param
    base = tmp_path_factory.mktemp(f"objcoll{n}")
    return n, _run_torch(base / "torch", n), _run_ember(base / "ember", n)


def test_every_result_equals_torch_gloo(both):
    n, theirs, mine = both
    assert len(theirs[0]["results"]) >= 40
    for r in range(n):
        assert mine[r]["world"] == theirs[r]["world"] == n
        assert set(mine[r]["results"]) == set(theirs[r]["results"])
        for name, want in theirs[r]["results"].items():
            assert mine[r]["results"][name] == want, f"rank {r}: {name}"


def test_ember_only_checks_ran(both):
    n, _, mine = both
    for r in range(n):
        assert EMBER_ONLY <= set(mine[r]["done"]), EMBER_ONLY - set(mine[r]["done"])
    assert "all_gather_object on a group" in mine[1]["done"]


def test_without_the_agreement_checks_same_results(both, tmp_path):
    """EMBER_DISTRIBUTED_CHECKS=0 skips all_to_all's header exchange: same results and local errors."""
    n, theirs, _ = both
    mine = _run_ember(tmp_path / "nochecks", n, EMBER_DISTRIBUTED_CHECKS=0)
    for r in range(n):
        assert mine[r]["results"] == theirs[r]["results"]


@pytest.mark.parametrize("name", NAMES + ["P2POp"])
def test_signatures_as_torchs(name):
    theirs = inspect.signature(getattr(tdist, name)).parameters
    mine = inspect.signature(getattr(dist, name)).parameters
    assert list(mine) == list(theirs)
    for p in theirs:
        assert mine[p].default == theirs[p].default, (name, p)


@pytest.mark.parametrize("call", ["all_gather_object", "broadcast_object_list", "all_to_all_single"])
def test_without_a_process_group_errors_as_torchs(call):
    import torch
    args = {"all_gather_object": lambda m: ([None], 1), "broadcast_object_list": lambda m: ([1],),
            "all_to_all_single": lambda m: (m.empty(2), m.ones(2))}[call]
    with pytest.raises(ValueError) as theirs:
        getattr(tdist, call)(*args(torch))
    import ember
    with pytest.raises(ValueError) as mine:
        getattr(dist, call)(*args(ember))
    assert str(mine.value) == str(theirs.value)


def test_get_node_local_rank_without_a_group(monkeypatch):
    monkeypatch.delenv("LOCAL_RANK", raising=False)
    with pytest.raises(RuntimeError, match="fallback_rank"):
        dist.get_node_local_rank()
    assert dist.get_node_local_rank(fallback_rank=2) == tdist.get_node_local_rank(fallback_rank=2) == 2
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert dist.get_node_local_rank(0) == tdist.get_node_local_rank(0) == 1


@pytest.mark.parametrize("backend", ["mpi", "gloo", "nccl", "cpu:gloo", "cpu:gloo,cuda:nccl", "xyz"])
def test_is_backend_available(backend):
    """As ``is_<backend>_available()``, PyTorch's rule; ember says MPI and gloo are available (it runs
    ``backend="gloo"`` on MPI) and NCCL is not."""
    expected = {"mpi": True, "gloo": True, "nccl": False, "cpu:gloo": True,
                "cpu:gloo,cuda:nccl": False, "xyz": False}[backend]
    assert dist.is_backend_available(backend) is expected
    assert dist.is_mpi_available() is True
    assert dist.is_gloo_available() is True is tdist.is_gloo_available()


@pytest.mark.parametrize("device", ["cpu", "cpu:0", "cuda", "mps", "meta", None])
def test_get_default_backend_for_device_as_torchs(device):
    import torch

    import ember
    try:
        want = tdist.get_default_backend_for_device(device)
    except Exception as e:
        with pytest.raises(type(e)):
            dist.get_default_backend_for_device(device)
        return
    assert dist.get_default_backend_for_device(device) == want
    if device == "cpu":
        assert dist.get_default_backend_for_device(ember.device(device)) == \
            tdist.get_default_backend_for_device(torch.device(device))
