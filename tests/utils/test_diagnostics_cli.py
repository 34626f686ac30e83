"""`ember train ... --diagnose`: findings printed, diagnostics.json and diagnostics.png written."""
import json
import sys

import pytest

from ember.cli.main import main


def test_diagnose_writes_json_and_png_and_prints_findings(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "phone-price", "--epochs", "2", "--diagnose", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "\ndiagnostics: " in text and "diagnostics.json" in text
    data = json.loads((out / "diagnostics.json").read_text())
    assert [e["epoch"] for e in data["epochs"]] == [1, 2]
    assert [l["name"] for l in data["layers"]] == [f"layers.{i}" for i in range(5)]
    e = data["epochs"][1]
    assert {"train_loss", "test_loss", "test_accuracy"} <= set(e["metrics"])
    assert e["layers"]["layers.1"]["units"] == 128 and e["layers"]["layers.3"]["units"] == 256
    assert e["layers"]["layers.0"]["grad_norm"] > 0 and e["layers"]["layers.4"]["update_ratio"] > 0
    assert [s["step"] for s in data["steps"]] == [1, 17, 26, 42]   # every 16th of 25 per epoch, and the first
    for f in data["findings"]:
        assert f["text"] in text
    if "no problems found" not in text:
        assert data["findings"]
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "no diagnostics.png: matplotlib is not installed" in text
    else:
        assert (out / "diagnostics.png").read_bytes()[:4] == b"\x89PNG"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["diagnose"] is True


def test_diagnose_reports_a_bad_recipe(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "phone-price", "--epochs", "2", "--lr", "30", "--optimizer", "sgd", "--diagnose",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    rules = [f["rule"] for f in json.loads((out / "diagnostics.json").read_text())["findings"]]
    assert "large_updates" in rules and "(updates too large); try a learning rate 10 times lower" in text


def test_without_diagnose_nothing_is_recorded(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "phone-price", "--epochs", "1", "--out", str(out)]) == 0
    assert "diagnostics" not in capsys.readouterr().out
    assert not (out / "diagnostics.json").exists()


def test_missing_matplotlib_is_a_note(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    out = tmp_path / "run"
    assert main(["train", "phone-price", "--epochs", "1", "--diagnose", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "(no diagnostics.png: matplotlib is not installed; pip install 'ember[plot]')" in text
    assert (out / "diagnostics.json").exists() and not (out / "diagnostics.png").exists()


def test_resume_may_add_diagnose(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "phone-price", "--epochs", "1", "--out", str(out)]) == 0
    assert main(["train", "phone-price", "--epochs", "2", "--resume", str(out / "checkpoint"), "--diagnose"]) == 0
    data = json.loads((out / "diagnostics.json").read_text())
    assert len(data["epochs"]) == 1 and data["epochs"][0]["epoch"] == data["epochs"][0]["metrics"]["epoch"] == 2
    assert {s["epoch"] for s in data["steps"]} == {2}


def test_diagnose_appears_in_help(capsys):
    assert main(["train", "phone-price", "--help"]) == 0
    assert "--diagnose" in capsys.readouterr().out
