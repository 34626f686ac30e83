"""`ember export onnx CHECKPOINT`: train a tiny model with `ember train`, export it, run it in ONNX Runtime."""
import numpy as np
import pytest

import ember
from ember.cli.export_onnx import rebuild
from ember.cli.main import main

ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


def _run_file(path, name, x):
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {name: x})[0]


def _train(tmp_path, *args):
    out = tmp_path / "run"
    assert main(["train", *args, "--epochs", "1", "--out", str(out)]) == 0
    return out / "checkpoint"


def test_phone_price_checkpoint_exports_with_its_standardization(tmp_path, capsys):
    ckpt = _train(tmp_path, "phone-price", "--hidden", "16,8", "--batchnorm", "--dropout", "0.2")
    capsys.readouterr()
    assert main(["export", "onnx", str(ckpt), "--out", str(tmp_path / "phone.onnx")]) == 0
    text = capsys.readouterr().out
    assert "wrote" in text and "'features'" in text and "max |difference|" in text
    # the file takes raw features: standardize with the checkpoint's statistics, then the trained MLP
    saved = ember.load(ckpt)
    x = (np.random.rand(7, 20) * 100).astype(np.float32)
    model, *_ = rebuild(saved)
    mlp = model.model
    z = (x - saved["standardization"]["mean"]) / saved["standardization"]["std"]
    with ember.no_grad():
        want = mlp(ember.tensor(z.astype(np.float32))).numpy()
    np.testing.assert_allclose(_run_file(tmp_path / "phone.onnx", "features", x), want, atol=1e-4, rtol=1e-5)


def test_cifar10_checkpoint_exports_beside_the_checkpoint(tmp_path, capsys):
    ckpt = _train(tmp_path, "cifar10", "--synthetic", "--limit", "32", "--batch-size", "16")
    assert main(["export", "onnx", str(ckpt)]) == 0
    path = ckpt.parent / "model.onnx"
    model, *_ = rebuild(ember.load(ckpt))
    x = np.random.rand(2, 3, 32, 32).astype(np.float32)
    with ember.no_grad():
        want = model(ember.tensor(x)).numpy()
    np.testing.assert_allclose(_run_file(path, "images", x), want, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("arch", ["lstm", "gpt"])
def test_charlm_checkpoint_exports(tmp_path, capsys, arch):
    ckpt = _train(tmp_path, "charlm", "--model", arch, "--max-chars", "3000", "--seq-len", "16", "--hidden", "16",
                  "--layers", "1", "--heads", "2", "--sample-chars", "5")
    assert main(["export", "onnx", str(ckpt), "--out", str(tmp_path / "lm.onnx")]) == 0
    model, *_ = rebuild(ember.load(ckpt))
    for t in (16, 5, 40 if arch == "lstm" else 11):       # the GPT's positions stop at --seq-len
        ids = np.random.randint(0, 10, (3, t)).astype(np.int64)
        with ember.no_grad():
            want = model(ember.tensor(ids)).numpy()
        np.testing.assert_allclose(_run_file(tmp_path / "lm.onnx", "ids", ids), want, atol=1e-5, rtol=1e-5)


def test_errors_are_one_line(tmp_path, capsys):
    assert main(["export", "onnx", str(tmp_path / "nope")]) == 1
    assert "no such checkpoint" in capsys.readouterr().err
    (tmp_path / "junk").write_bytes(b"not a checkpoint")
    assert main(["export", "onnx", str(tmp_path / "junk")]) == 1
    assert "ember: error:" in capsys.readouterr().err
    ckpt = _train(tmp_path, "phone-price", "--hidden", "4")
    capsys.readouterr()
    assert main(["export", "onnx", str(ckpt), "--out", str(tmp_path / "missing" / "m.onnx")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert main(["export", "onnx", str(ckpt), "--opset", "7"]) == 1
    assert "opset" in capsys.readouterr().err
