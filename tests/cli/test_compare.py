"""ember compare: curves of several runs in one figure, final metrics, the settings that differ."""
import json

import numpy as np
import pytest

from ember.cli.compare import compare_runs
from ember.cli.main import main


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("runs")
    assert main(["train", "phone-price", "--epochs", "2", "--out", str(d / "slow"), "--lr", "0.0003"]) == 0
    assert main(["train", "phone-price", "--epochs", "2", "--out", str(d / "fast")]) == 0
    return d


def test_table_figure_and_config_differences(two_runs, tmp_path, capsys):
    out = tmp_path / "cmp.png"
    assert main(["compare", str(two_runs / "slow"), str(two_runs / "fast"), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "slow" in text and "fast" in text and "test acc" in text
    diff_part = text.split("settings that differ")[1]
    assert "lr" in diff_part and "0.0003" in diff_part and "0.003" in diff_part
    assert "epochs" not in diff_part.splitlines()[1]        # equal settings are not listed
    import matplotlib.image
    img = matplotlib.image.imread(str(out))
    assert img.shape[0] > 200 and img.shape[1] > 400 and np.ptp(img[..., :3]) > 0.5


def test_comparison_numbers_are_the_runs_last_epochs(two_runs):
    cmp = compare_runs([two_runs / "slow", two_runs / "fast"])
    for path, final in zip(("slow", "fast"), cmp.final):
        m = json.loads((two_runs / path / "metrics.json").read_text())
        assert final["train_loss"] == m["epochs"][-1]["train_loss"]
        assert final["test_accuracy"] == m["final"]["test_accuracy"]
        assert final["epochs"] == 2
    assert list(cmp.config_diff) == ["lr"] and cmp.config_diff["lr"] == [0.0003, 0.003]


def test_names_and_errors(two_runs, tmp_path, capsys):
    assert main(["compare", str(two_runs / "slow"), str(two_runs / "fast"), "--names", "a,b",
                 "--out", str(tmp_path / "c.png")]) == 0
    assert "a  " in capsys.readouterr().out
    assert main(["compare", str(two_runs / "slow"), "--names", "a,b", "--out", str(tmp_path / "c.png")]) == 1
    assert "2 names for 1 runs" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "nothing"), "--out", str(tmp_path / "c.png")]) == 1
    assert "holds no metrics.json" in capsys.readouterr().err
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "metrics.json").write_text("[1, 2]")
    assert main(["compare", str(tmp_path / "bad"), "--out", str(tmp_path / "c.png")]) == 1
    err = capsys.readouterr().err
    assert "not the metrics.json" in err and len(err.strip().splitlines()) == 1
    assert main(["compare", str(two_runs / "slow"), "--out", str(tmp_path / "no" / "c.png")]) == 1
    assert "does not exist" in capsys.readouterr().err
