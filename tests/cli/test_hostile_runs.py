"""`ember train` against careless and crafted input: negative seeds, tiny CSVs, huge labels, crafted
--resume configs, an unwritable or full --out, Ctrl-C at start-up. Each ends with one
`ember: error: ...` (or `ember: interrupted`) line and a non-zero exit, never a traceback."""
import errno
import os

import pytest

import ember
from ember.cli import main as cli_main
from ember.cli.main import main


def _one_line(rc, capsys, start="ember: error: "):
    err = capsys.readouterr().err
    assert rc != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(start), err
    assert "Traceback" not in err
    return lines[0]


def _csv(path, labels):
    cols = ",".join(f"c{i}" for i in range(20))
    rows = [",".join(str((i * 7 + j) % 5) for j in range(20)) + f",{y}" for i, y in enumerate(labels)]
    path.write_text(cols + ",price_range\n" + "\n".join(rows) + "\n")
    return str(path)


def test_negative_seed_is_accepted_as_in_pytorch(tmp_path, capsys):
    rc = main(["train", "phone-price", "--seed", "-1", "--epochs", "1", "--out", str(tmp_path / "o")])
    assert rc == 0, capsys.readouterr().err
    assert ember.load(tmp_path / "o" / "checkpoint")["config"]["seed"] == -1


@pytest.mark.parametrize("labels", [[0, 1], [0, 1, 0], [0, 0, 0, 1]])
def test_tiny_csvs_give_one_line(tmp_path, capsys, labels):
    rc = main(["train", "phone-price", "--data", _csv(tmp_path / "t.csv", labels), "--epochs", "1",
               "--out", str(tmp_path / "o")])
    assert "at least 2" in _one_line(rc, capsys)


def test_four_rows_two_per_class_train(tmp_path, capsys):
    rc = main(["train", "phone-price", "--data", _csv(tmp_path / "t.csv", [0, 1, 0, 1]), "--epochs", "1",
               "--out", str(tmp_path / "o")])
    assert rc == 0, capsys.readouterr().err


def test_huge_label_is_refused_with_its_row(tmp_path, capsys):
    labels = [i % 4 for i in range(20)] + [1000000000]
    rc = main(["train", "phone-price", "--data", _csv(tmp_path / "t.csv", labels), "--out", str(tmp_path / "o")])
    assert "data row 21" in _one_line(rc, capsys)


def test_huge_hidden_sizes_are_refused_before_allocating(tmp_path, capsys):
    rc = main(["train", "phone-price", "--hidden", "100000,100000", "--out", str(tmp_path / "o")])
    assert "parameters" in _one_line(rc, capsys)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    d = tmp_path_factory.mktemp("run")
    assert main(["train", "phone-price", "--epochs", "1", "--out", str(d)]) == 0
    return d / "checkpoint"


@pytest.mark.parametrize("key,value", [("hidden", "abc"), ("batch_size", 0), ("lr", "fast"), ("dropout", 2),
                                       ("hidden", [100000, 100000]), ("batch_size", 2.5), ("seed", "x"),
                                       ("optimizer", "lbfgs"), ("weight_decay", float("nan")),
                                       ("standardize", "yes"), ("hidden", [])])
def test_crafted_resume_config_gives_one_line(tmp_path, capsys, checkpoint, key, value):
    ckpt = ember.load(checkpoint)
    ckpt["config"][key] = value
    path = tmp_path / "checkpoint"
    ember.save(ckpt, path)
    capsys.readouterr()
    rc = main(["train", "phone-price", "--resume", str(path), "--epochs", "2"])
    assert key in _one_line(rc, capsys)


def test_unwritable_out_fails_before_training(tmp_path, capsys, monkeypatch):
    def refuse(*a, **k):
        raise PermissionError(errno.EACCES, "Permission denied")
    monkeypatch.setattr(cli_main.tempfile, "mkstemp", refuse)
    called = []
    monkeypatch.setattr(cli_main, "fit", lambda *a, **k: called.append(1))
    rc = main(["train", "phone-price", "--out", str(tmp_path / "o")])
    assert "cannot write" in _one_line(rc, capsys) and not called


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only directories")
def test_read_only_out_directory(tmp_path, capsys):
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o555)
    try:
        rc = main(["train", "phone-price", "--epochs", "1", "--out", str(d)])
        assert "cannot write" in _one_line(rc, capsys)
    finally:
        d.chmod(0o755)


def test_full_disk_while_saving_is_one_line(tmp_path, capsys, monkeypatch):
    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "o" / "checkpoint"))
    monkeypatch.setattr(ember, "save", full)
    rc = main(["train", "phone-price", "--epochs", "1", "--out", str(tmp_path / "o")])
    assert "No space left on device" in _one_line(rc, capsys)


def test_ctrl_c_while_parsing_the_command_line(capsys, monkeypatch):
    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(cli_main, "build_parser", interrupted)
    rc = main(["train", "phone-price"])
    assert rc == 130
    assert _one_line(rc, capsys, start="ember: interrupted") == "ember: interrupted"
