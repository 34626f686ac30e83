"""``ember train charlm``: the character-level language model learns, resumes and reports clearly."""
import json
import os
import re

import pytest

from ember.cli import charlm
from ember.cli.main import main

SMALL = ["--max-chars", "30000", "--hidden", "48", "--seq-len", "32", "--epochs", "1", "--sample-chars", "20"]


def _run(capsys, *args):
    code = main(["train", "charlm", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_builtin_text_is_ember_docstrings():
    text = charlm.builtin_text()
    assert len(text) > 100_000
    assert "Example:" in text and "PyTorch" in text
    assert charlm.builtin_text(1000) == text[:1000]


@pytest.mark.parametrize("model", ["lstm", "gpt"])
def test_learns_below_unigram_entropy(capsys, tmp_path, model):
    # a shortened run (about 5 s): 230 steps of batch 16 on 60,000 characters
    code, out, _ = _run(capsys, "--model", model, "--max-chars", "60000", "--seq-len", "32", "--batch-size", "16",
                        "--hidden", "96", "--epochs", "2", "--lr", "5e-3", "--out", str(tmp_path))
    assert code == 0
    val = float(re.search(r"validation loss ([\d.]+) nats/char", out).group(1))
    unigram = float(re.search(r"unigram entropy ([\d.]+) nats/char", out).group(1))
    assert val < unigram - 0.4, out
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    losses = [e["test_loss"] for e in metrics["epochs"]]
    assert losses[-1] < losses[0]
    sample = out.split("sample:\n", 1)[1]
    assert sample.startswith("The ") and len(sample.splitlines()[0]) > 4
    assert os.path.isfile(tmp_path / "checkpoint")


def test_text_file_and_resume(capsys, tmp_path):
    text = tmp_path / "poem.txt"
    text.write_text("the quick brown fox jumps over the lazy dog. " * 300)
    out_dir = tmp_path / "run"
    code, out, _ = _run(capsys, "--text", str(text), *SMALL, "--out", str(out_dir))
    assert code == 0 and "poem.txt" in out
    code, out, _ = _run(capsys, "--resume", str(out_dir / "checkpoint"), "--epochs", "2", "--text", str(text))
    assert code == 0 and "resuming charlm from epoch 1" in out
    assert len(json.loads((out_dir / "metrics.json").read_text())["epochs"]) == 2


@pytest.mark.parametrize("args, message", [
    (["--text", "/no/such/file.txt"], "no such file"),
    (["--model", "gpt", "--hidden", "30", "--heads", "4"], "divisible by --heads"),
    (["--max-chars", "100"], "need at least"),
])
def test_bad_input_is_one_line_error(capsys, tmp_path, args, message):
    code, _, err = _run(capsys, *SMALL, *args, "--out", str(tmp_path))
    assert code == 1
    assert message in err and len(err.strip().splitlines()) == 1 and err.startswith("ember: error:")


def test_not_utf8_text(capsys, tmp_path):
    bad = tmp_path / "bin.txt"
    bad.write_bytes(b"\xff\xfe\x00abc" * 1000)
    code, _, err = _run(capsys, "--text", str(bad), *SMALL, "--out", str(tmp_path / "o"))
    assert code == 1 and "not UTF-8" in err
