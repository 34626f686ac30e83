"""ember train TASK --sweep KEY=V1,V2: one run per grid point, then their comparison."""
import json

import pytest

from ember.cli.main import main
from ember.cli.sweep import variants, parse_sweep


def test_grid_of_two_flags_trains_every_variant_and_compares(tmp_path, capsys):
    out = tmp_path / "sw"
    assert main(["train", "phone-price", "--epochs", "2", "--sweep", "optimizer=sgd,rmsprop",
                 "--sweep", "batchnorm=false,true", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    names = ["optimizer-sgd_batchnorm-false", "optimizer-sgd_batchnorm-true",
             "optimizer-rmsprop_batchnorm-false", "optimizer-rmsprop_batchnorm-true"]
    for n in names:
        cfg = json.loads((out / n / "metrics.json").read_text())["config"]
        assert cfg["optimizer"] == n.split("_")[0].split("-")[1]
        assert cfg["batchnorm"] is n.endswith("true") and "sweep" not in cfg
        assert (out / n / "checkpoint").is_file()
    assert (out / "compare.png").is_file()
    table = text.split("comparison of the 4 runs")[1]
    assert all(n in table for n in names) and "optimizer" in table and "batchnorm" in table


def test_a_variant_is_the_same_run_as_plain_ember_train(tmp_path):
    assert main(["train", "phone-price", "--epochs", "2", "--sweep", "lr=0.01,0.001", "--sweep", "dropout=0.2",
                 "--scheduler", "step", "--out", str(tmp_path / "sw")]) == 0
    assert main(["train", "phone-price", "--epochs", "2", "--lr", "0.001", "--dropout", "0.2", "--scheduler", "step",
                 "--out", str(tmp_path / "one")]) == 0
    a = json.loads((tmp_path / "sw" / "lr-0.001_dropout-0.2" / "metrics.json").read_text())
    b = json.loads((tmp_path / "one" / "metrics.json").read_text())
    for row in (a["epochs"] + b["epochs"]):
        row.pop("seconds")
    assert a["epochs"] == b["epochs"] and a["config"] == b["config"]


def test_parse_and_grid():
    assert parse_sweep("lr=0.1,1e-3") == ("lr", [("0.1", 0.1), ("1e-3", 0.001)])
    assert parse_sweep("batchnorm=on,false")[1] == [("on", True), ("false", False)]
    names = [n for n, _ in variants([parse_sweep("optimizer=sgd,adam"), parse_sweep("lr=0.1,0.01")])]
    assert names == ["optimizer-sgd_lr-0.1", "optimizer-sgd_lr-0.01", "optimizer-adam_lr-0.1", "optimizer-adam_lr-0.01"]


@pytest.mark.parametrize("argv,message", [
    (["--sweep", "momentum=0.9"], "cannot sweep 'momentum'"),
    (["--sweep", "optimizer=sgd,lbfgs"], "expected adam, adamw, sgd, rmsprop or adagrad, got 'lbfgs'"),
    (["--sweep", "lr=0.1,-1"], "expected positive numbers, got '-1'"),
    (["--sweep", "lr"], "expected KEY=V1,V2"),
    (["--sweep", "lr=0.1,0.1"], "repeated"),
    (["--sweep", "lr=0.1", "--sweep", "lr=0.2"], "given twice"),
    (["--lr", "0.1", "--sweep", "lr=0.1,0.2"], "also swept"),
    (["--resume", "x/checkpoint", "--sweep", "lr=0.1,0.2"], "cannot be combined"),
])
def test_bad_sweeps_are_one_line(tmp_path, capsys, argv, message):
    rc = main(["train", "phone-price", "--epochs", "1", "--out", str(tmp_path / "o")] + argv)
    err = capsys.readouterr().err
    assert rc in (1, 2) and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o" / "compare.png").exists()
