"""ember report: one self-contained HTML page, rendered in headless Chromium (not blank, no console errors)."""
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from ember.cli import report as report_mod
from ember.cli.main import main


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("headless Chromium is required in CI (apt-get install chromium) but was not found")
    pytest.skip("Chromium is not installed (apt-get install chromium)")


def _render(page, tmp_path, tag):
    """Screenshot of ``page`` (an HTML file) and the browser's console messages."""
    shot = tmp_path / f"{tag}.png"
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
           f"--user-data-dir={tmp_path / ('profile-' + tag)}", f"--screenshot={shot}", "--window-size=1200,2000",
           "--enable-logging=stderr", "--v=0", page.as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    assert shot.is_file(), f"Chromium wrote no screenshot (exit {proc.returncode}):\n{proc.stderr[-2000:]}"
    import matplotlib.image
    return matplotlib.image.imread(str(shot))[..., :3], console


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("run")
    assert main(["train", "phone-price", "--epochs", "3", "--diagnose", "--out", str(d)]) == 0
    return d


def test_page_is_self_contained_with_every_section(run_dir, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", str(run_dir), "--out", str(out)]) == 0
    assert "self-contained" in capsys.readouterr().out
    page = out.read_text()
    for title in ("Settings", "Curves", "Confusion matrix", "Diagnostics", "Model", "Computation graph"):
        assert f"<h2>{title}</h2>" in page
    assert "Linear(in_features=20, out_features=128" in page                 # print(model)
    srcs = re.findall(r"""(?:src|href)\s*=\s*['"]([^'"]*)""", page)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)  # every picture embedded
    assert "default-src 'none'" in page and "<script" not in page
    if shutil.which("dot"):
        assert "<svg" in page and "AddmmBackward0" in page
    else:
        assert "not installed" in page


def test_without_graphviz_the_graph_section_says_so(run_dir, monkeypatch):
    monkeypatch.setattr(report_mod.shutil, "which", lambda name: None)
    page = report_mod.build_report(str(run_dir))
    assert "<svg" not in page and "Graphviz" in page and "not installed" in page


def test_without_diagnose_the_section_says_how(run_dir, tmp_path):
    d = tmp_path / "plain"
    shutil.copytree(run_dir, d)
    os.remove(d / "diagnostics.json")
    assert "--diagnose" in report_mod.build_report(str(d))


def test_rendered_in_chromium_not_blank_and_no_console_errors(run_dir, tmp_path):
    out = tmp_path / "report.html"
    assert main(["report", str(run_dir), "--out", str(out)]) == 0
    img, console = _render(out, tmp_path, "report")
    assert console == []
    assert np.ptp(img) > 0.5                                        # not one colour
    assert len(np.unique((img * 255).astype(np.uint8).reshape(-1, 3), axis=0)) > 50  # text, pictures, colours


def test_the_browser_check_catches_a_broken_page(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><html><head><meta http-equiv='Content-Security-Policy' "
                    "content=\"default-src 'none'; img-src data:\"></head><body>"
                    "<img src='http://example.invalid/x.png'></body></html>")
    img, console = _render(page, tmp_path, "bad")
    assert console and "Content Security Policy" in console[0]
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>")
    img, console = _render(blank, tmp_path, "blank")
    assert np.ptp(img) == 0


def test_errors_are_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing")]) == 1
    assert "is not a directory" in capsys.readouterr().err
    assert main(["report", str(tmp_path)]) == 1
    assert "holds no metrics.json" in capsys.readouterr().err
