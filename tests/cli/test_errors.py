"""Bad input to `ember`: one `ember: error: ...` line on stderr, non-zero exit, no traceback."""
import os
import signal
import subprocess
import sys
import time
import types

import pytest

import ember
from ember.cli.main import main
from ember.cli.synthetic import write_phone_price_csv


def _run_error(argv, capsys, code=None):
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc != 0, "expected a failure exit status"
    if code is not None:
        assert rc == code
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ember: error: ")
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def csv_dir(tmp_path):
    good = write_phone_price_csv(tmp_path / "good.csv", n=40)
    text = good.read_text().splitlines()
    (tmp_path / "no_target.csv").write_text("\n".join(",".join(l.split(",")[:-1]) for l in text) + "\n")
    bad = list(text)
    bad[3] = bad[3].replace(bad[3].split(",")[13], "lots", 1)
    (tmp_path / "text_cell.csv").write_text("\n".join(bad) + "\n")
    (tmp_path / "empty.csv").write_text("")
    frac = [text[0]] + [l.rsplit(",", 1)[0] + ",1.5" for l in text[1:]]
    (tmp_path / "frac_target.csv").write_text("\n".join(frac) + "\n")
    (tmp_path / "garbage_ckpt").write_bytes(b"\x00" * 5)
    return tmp_path


@pytest.mark.parametrize("argv, pattern", [
    (["train", "phone-price", "--data", "{d}/missing.csv"], "no such file"),
    (["train", "phone-price", "--data", "{d}/no_target.csv"], "'price_range' is not in"),
    (["train", "phone-price", "--data", "{d}/text_cell.csv"], "non-numeric value 'lots'.*line 4"),
    (["train", "phone-price", "--data", "{d}/empty.csv"], "empty"),
    (["train", "phone-price", "--data", "{d}/frac_target.csv"], "integer classes"),
    (["train", "phone-price", "--data", "{d}"], "directory"),
    (["train", "phone-price", "--resume", "{d}/missing_ckpt"], "no such checkpoint"),
    (["train", "phone-price", "--resume", "{d}/garbage_ckpt"], "garbage_ckpt.*truncated"),
    (["train", "phone-price", "--epochs", "1", "--out", "{d}/good.csv"], "--out: cannot create"),
    (["train", "cifar10"], "--root DIR"),
    (["train", "cifar10", "--root", "{d}"], "dataset not found"),
    (["train", "cifar10", "--root", "{d}", "--synthetic"], "not both"),
])
def test_bad_input_is_one_line(csv_dir, capsys, argv, pattern):
    import re
    line = _run_error([a.format(d=csv_dir) for a in argv], capsys, code=1)
    assert re.search(pattern, line), line


@pytest.mark.parametrize("argv, pattern", [
    (["train", "phone-price", "--bogus"], "unrecognized arguments: --bogus"),
    (["train", "phone-price", "--epochs", "zero"], "--epochs: expected a positive integer"),
    (["train", "phone-price", "--epochs", "0"], "--epochs: expected a positive integer"),
    (["train", "phone-price", "--lr", "-1"], "--lr: expected a positive number"),
    (["train", "phone-price", "--hidden", "128,x"], "--hidden: expected comma-separated"),
    (["train", "phone-price", "--dropout", "1.5"], r"--dropout: expected a probability in \[0, 1\)"),
    (["train", "phone-price", "--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
    (["train", "phone-price", "--scheduler", "linear"], "invalid choice"),
    (["train", "mnist"], "invalid choice: 'mnist'"),
    (["plot", "weights"], "invalid choice"),
    ([], "required"),
])
def test_usage_errors_are_one_line(capsys, argv, pattern):
    import re
    line = _run_error(argv, capsys, code=2)
    assert re.search(pattern, line), line


def test_resume_refuses_a_changed_recipe_or_other_task(tmp_path, capsys):
    assert main(["train", "phone-price", "--epochs", "1", "--out", str(tmp_path / "p")]) == 0
    capsys.readouterr()
    ckpt = str(tmp_path / "p" / "checkpoint")
    line = _run_error(["train", "phone-price", "--resume", ckpt, "--lr", "0.5"], capsys, code=1)
    assert "--lr 0.5 differs from the checkpoint's value 0.003" in line
    line = _run_error(["train", "cifar10", "--resume", ckpt], capsys, code=1)
    assert "'phone-price' checkpoint" in line
    other = write_phone_price_csv(tmp_path / "other.csv", n=100)
    line = _run_error(["train", "phone-price", "--resume", ckpt, "--data", str(other)], capsys, code=1)
    assert "data differs" in line
    broken = ember.load(ckpt)
    broken["model"]["layers.0.weight"] = ember.zeros(3, 3)
    del broken["rng"]
    ember.save(broken, tmp_path / "broken")
    line = _run_error(["train", "phone-price", "--resume", str(tmp_path / "broken")], capsys, code=1)
    assert "incomplete or does not fit" in line
    ember.save({"model": {}}, tmp_path / "not_a_run")
    line = _run_error(["train", "phone-price", "--resume", str(tmp_path / "not_a_run")], capsys, code=1)
    assert "not a checkpoint written by 'ember train'" in line


def test_plot_errors(tmp_path, capsys):
    line = _run_error(["plot", "losses", "--out", str(tmp_path / "no" / "x.png")], capsys, code=1)
    assert "does not exist" in line
    line = _run_error(["plot", "losses", "--out", str(tmp_path / "x.notaformat")], capsys, code=1)
    assert "notaformat" in line


def test_help_documents_the_synthetic_data(capsys):
    assert main(["train", "phone-price", "--help"]) == 0
    out = capsys.readouterr().out
    assert "SYNTHETIC" in out and "quartile" in out and "--resume" in out and "--weight-decay" in out


def test_interrupt_while_importing_is_one_line(monkeypatch, capsys):
    """Ctrl-C during ``import ember`` (the command's start-up) ends with one line and status 130."""
    import ember_cli

    class Interrupted(types.ModuleType):
        def __getattr__(self, name):
            raise KeyboardInterrupt

    monkeypatch.setitem(sys.modules, "ember.cli.main", Interrupted("ember.cli.main"))
    assert ember_cli.main() == 130
    assert capsys.readouterr().err == "ember: interrupted while starting\n"


def test_sigint_while_the_handler_is_installed_ends_quietly(monkeypatch, capsys):
    # The signal can land inside signal.signal itself, before ember's handler is in place.
    import ember_cli

    def interrupted_install(signum, handler):
        raise KeyboardInterrupt
    monkeypatch.setattr(ember_cli.signal, "signal", interrupted_install)
    assert ember_cli.main() == 130
    assert capsys.readouterr().err == "ember: interrupted while starting\n"


def test_sigint_during_start_up_prints_no_traceback(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for delay in (0.0, 0.1, 0.2):
        # "started" once the interpreter itself is up (a SIGINT inside Python's own site import is
        # Python's fatal error, before any ember code could run), then the signal lands in ember's start-up
        code = "import sys, ember_cli; print('started', flush=True); sys.exit(ember_cli.main())"
        proc = subprocess.Popen([sys.executable, "-c", code,
                                 "train", "phone-price", "--epochs", "500", "--out", str(tmp_path / str(delay))],
                                stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        assert proc.stdout.readline().strip() == "started"
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        err = proc.communicate(timeout=60)[1]
        assert "Traceback" not in err, err
        assert proc.returncode == 130, (proc.returncode, err)


def test_sigint_inside_a_c_extensions_import_is_not_an_import_error(tmp_path):
    # A KeyboardInterrupt raised inside a C extension's import comes out as an ImportError (NumPy:
    # "PyCapsule_Import could not import module 'datetime'"). A stand-in ember package signals
    # itself mid-import and converts the interrupt the same way: the command must still end with
    # one line and status 130, since Ctrl-C is only noted while ember imports.
    fake = tmp_path / "ember"
    (fake / "cli").mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "import os, signal, time\n"
        "try:\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(0.5)\n"
        "except KeyboardInterrupt as e:\n"
        "    raise ImportError('PyCapsule_Import could not import module \"datetime\"') from e\n")
    (fake / "cli" / "__init__.py").write_text("")
    (fake / "cli" / "main.py").write_text("def main():\n    return 0\n")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=str(tmp_path) + os.pathsep + root)
    proc = subprocess.run([sys.executable, "-c", "import sys, ember_cli; sys.exit(ember_cli.main())"],
                          capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip() == "ember: interrupted while starting"
    assert proc.returncode == 130
