"""Start a worker script on N MPI ranks (the venv's mpiexec) and collect what it reports."""
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]          # the repository being tested
WORKERS = pathlib.Path(__file__).resolve().parent / "workers"


def mpiexec():
    here = pathlib.Path(sys.executable).parent / "mpiexec"
    if here.exists():
        return str(here)
    found = shutil.which("mpiexec")
    if found is None:
        pytest.skip("no mpiexec: install the test extra (pip install -e '.[test]' brings the mpich wheel)")
    return found


def env(**extra):
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + (os.pathsep + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    e["OMP_NUM_THREADS"] = "1"
    e.update({k: str(v) for k, v in extra.items()})
    return e


def run(worker, *args, n=2, timeout=60, tmp_path=None, expect_ok=True, launcher=None, **extra_env):
    """Run ``workers/<worker>`` on ``n`` ranks; return (CompletedProcess, the JSON rank 0 wrote or None)."""
    out = None
    if tmp_path is not None:
        out = tmp_path / f"{worker}.json"
        args = (*args, str(out))
    cmd = launcher or [mpiexec(), "-n", str(n), sys.executable]
    try:
        proc = subprocess.run([*cmd, str(WORKERS / worker), *map(str, args)], env=env(**extra_env),
                              capture_output=True, text=True, timeout=timeout, cwd=str(ROOT))
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{worker} on {n} ranks did not end within {timeout} s (hang); output:\n{e.stdout}\n{e.stderr}")
    if expect_ok:
        assert proc.returncode == 0, f"{worker} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    result = json.loads(out.read_text()) if out is not None and out.exists() else None
    return proc, result
