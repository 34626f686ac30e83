"""ember.distributed's collectives on 2 MPI ranks against their single-process expectation, and the
API's behaviour without a process group against PyTorch's."""
import subprocess
import sys

import pytest
import torch
import torch.distributed as tdist

import ember
import ember.distributed as dist

from . import launch


def test_every_collective_on_two_ranks(tmp_path):
    _, result = launch.run("collectives.py", n=2, tmp_path=tmp_path)
    expected = {"all_reduce SUM", "all_reduce AVG", "all_reduce MAX", "all_reduce MIN", "all_reduce PRODUCT",
                "all_reduce async_op", "reduce", "broadcast src=1", "all_gather [1]",
                "all_gather_into_tensor (concatenated)", "all_gather_into_tensor (stacked, async)",
                "reduce_scatter_tensor SUM", "reduce_scatter_tensor AVG", "scatter", "recv (any source)", "isend",
                "new_group([0]) all_reduce", "new_group(all) all_reduce", "mismatch raises"}
    assert result["world"] == 2
    assert expected <= set(result["checks"]), expected - set(result["checks"])


@pytest.mark.parametrize("call", ["get_rank", "get_world_size", "barrier", "all_reduce", "broadcast", "new_group"])
def test_without_a_process_group_errors_as_torchs(call):
    args = {"all_reduce": lambda m: (m.ones(2),), "broadcast": lambda m: (m.ones(2), 0)}.get(call, lambda m: ())
    with pytest.raises(ValueError) as theirs:
        getattr(tdist, call)(*args(torch))
    with pytest.raises(ValueError) as mine:
        getattr(dist, call)(*args(ember))
    assert str(mine.value) == str(theirs.value)
    assert dist.is_initialized() is tdist.is_initialized() is False


def test_reduce_op_values_and_api_as_torchs():
    for name in ("SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR"):
        assert int(getattr(dist.ReduceOp, name)) == int(getattr(tdist.ReduceOp, name).value), name
    assert dist.is_available() and dist.is_mpi_available()
    import inspect
    for name in ("all_reduce", "all_gather", "all_gather_into_tensor", "reduce_scatter_tensor", "barrier"):
        theirs = list(inspect.signature(getattr(tdist, name)).parameters)
        assert list(inspect.signature(getattr(dist, name)).parameters)[:len(theirs)] == theirs[:len(theirs)] or \
            name == "barrier", name


def _python(code, **env):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env=launch.env(**env), cwd=str(launch.ROOT))


def test_missing_mpi4py_names_the_extra():
    proc = _python("import sys; sys.modules['mpi4py'] = None\n"
                   "import ember.distributed as d\n"
                   "try:\n    d.init_process_group('mpi')\nexcept ImportError as e:\n    print('IMPORT', e)\n")
    assert "IMPORT" in proc.stdout and "pip install 'ember[distributed]'" in proc.stdout, proc.stdout + proc.stderr


def test_one_process_without_launcher_and_environment_checks():
    pytest.importorskip("mpi4py", reason="needs the distributed extra: pip install -e '.[distributed]'")
    code = ("import datetime, ember, ember.distributed as d\n"
            "d.init_process_group('mpi', timeout=datetime.timedelta(seconds=5))\n"
            "t = ember.ones(3); d.all_reduce(t, op=d.ReduceOp.AVG)\n"
            "print(d.get_rank(), d.get_world_size(), t.tolist())\n"
            "try:\n    d.init_process_group()\nexcept ValueError as e:\n    print('TWICE', e)\n"
            "d.destroy_process_group(); print(d.is_initialized())\n"
            "for kw in (dict(world_size=2), dict(backend='nccl'), dict(init_method='tcp://1.2.3.4:5')):\n"
            "    try:\n        d.init_process_group(**kw)\n    except Exception as e:\n"
            "        print(type(e).__name__, e)\n")
    proc = _python(code)
    lines = proc.stdout.splitlines()
    assert lines[0] == "0 1 [1.0, 1.0, 1.0]", proc.stdout + proc.stderr
    assert lines[1] == "TWICE trying to initialize the default process group twice!"
    assert lines[2] == "False"
    assert lines[3].startswith("ValueError init_process_group(world_size=2) but MPI says")
    assert lines[4].startswith("RuntimeError ProcessGroupNCCL is only supported with GPUs")
    assert lines[5].startswith("NotImplementedError")
    proc = _python("import ember.distributed as d\ntry:\n    d.init_process_group()\nexcept ValueError as e:\n    print(e)",
                   WORLD_SIZE=2, RANK=0)
    assert "WORLD_SIZE=2 disagrees with MPI's world_size 1" in proc.stdout, proc.stdout + proc.stderr
    assert "ember.distributed.run" in proc.stdout
