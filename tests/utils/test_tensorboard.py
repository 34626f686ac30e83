"""ember.utils.tensorboard.SummaryWriter: event files read back with tensorboard's own EventAccumulator,
compared with what torch.utils.tensorboard writes for the same calls; ember train --tensorboard."""
import io
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.plugins.hparams import metadata as hp_metadata  # noqa: E402

import ember  # noqa: E402
from ember.cli.main import main  # noqa: E402
from ember.utils.tensorboard import SummaryWriter  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _read(log_dir):
    acc = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "histograms": 0, "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def _torch_writer(log_dir):
    from torch.utils.tensorboard import SummaryWriter as TorchWriter
    return TorchWriter(str(log_dir))


def test_scalars_steps_values_and_new_style(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(5):
            w.add_scalar("Loss/train", 1.0 / (step + 1), step)
        w.add_scalar("tensor_value", ember.tensor(2.5), 7, walltime=123.0)
        w.add_scalar("new", 0.125, 3, new_style=True)
        w.add_scalar("np", np.float64(4.0), ember.tensor(9))
    acc = _read(tmp_path)
    events = acc.Scalars("Loss/train")
    assert [e.step for e in events] == [0, 1, 2, 3, 4]
    np.testing.assert_allclose([e.value for e in events], [1.0 / (s + 1) for s in range(5)], rtol=1e-7)
    (e,) = acc.Scalars("tensor_value")
    assert (e.step, e.value, e.wall_time) == (7, 2.5, 123.0)
    (t,) = acc.Tensors("new")
    assert t.step == 3 and list(t.tensor_proto.float_val) == [0.125]
    assert acc.Scalars("np")[0].step == 9
    assert w.get_logdir() == str(tmp_path) and w.log_dir == str(tmp_path)


def test_add_scalars_writes_one_run_per_key_like_torch(tmp_path):
    with SummaryWriter(tmp_path / "ember") as w:
        w.add_scalars("run/loss", {"train": 1.0, "test": 2.0}, 0)
        w.add_scalars("run/loss", {"train": 0.5, "test": 1.5}, 1)
    with _torch_writer(tmp_path / "torch") as tw:
        tw.add_scalars("run/loss", {"train": 1.0, "test": 2.0}, 0)
        tw.add_scalars("run/loss", {"train": 0.5, "test": 1.5}, 1)
    def runs(d):
        return {r for r in os.listdir(d) if os.path.isdir(d / r)}
    assert runs(tmp_path / "ember") == runs(tmp_path / "torch") == {"run_loss_train", "run_loss_test"}
    for key, values in (("train", [1.0, 0.5]), ("test", [2.0, 1.5])):
        acc = _read(tmp_path / "ember" / f"run_loss_{key}")
        assert [(e.step, e.value) for e in acc.Scalars("run/loss")] == list(enumerate(values))


@pytest.mark.parametrize("bins,max_bins", [("tensorflow", None), (10, None), ("auto", None), ("tensorflow", 20),
                                           (10, 3)])
def test_histograms_match_torch(tmp_path, bins, max_bins):
    values = np.random.default_rng(0).standard_normal(1000).astype(np.float32) * 3 + 1
    with SummaryWriter(tmp_path / "ember") as w:
        w.add_histogram("h", ember.tensor(values), 4, bins=bins, max_bins=max_bins)
    with _torch_writer(tmp_path / "torch") as tw:
        import torch
        tw.add_histogram("h", torch.tensor(values), 4, bins=bins, max_bins=max_bins)
    (e,) = _read(tmp_path / "ember").Histograms("h")
    (t,) = _read(tmp_path / "torch").Histograms("h")
    assert e.step == t.step == 4
    hv, tv = e.histogram_value, t.histogram_value
    assert hv.num == tv.num == 1000
    np.testing.assert_allclose([hv.min, hv.max, hv.sum, hv.sum_squares], [tv.min, tv.max, tv.sum, tv.sum_squares],
                               rtol=1e-5)
    assert sum(hv.bucket) == 1000
    assert list(hv.bucket) == list(tv.bucket)
    np.testing.assert_allclose(hv.bucket_limit, tv.bucket_limit, rtol=1e-6)


def test_histogram_errors(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ValueError, match="empty"):
            w.add_histogram("h", ember.zeros(0))
        with pytest.raises(ValueError, match="NaN or infinity"):
            w.add_histogram("h", ember.tensor([1.0, float("nan")]))


def _png_pixels(image_event):
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(image_event.encoded_image_string)))


@pytest.mark.parametrize("shape,fmt", [((3, 6, 5), "CHW"), ((6, 5, 3), "HWC"), ((6, 5), "HW"), ((1, 6, 5), "CHW"),
                                       ((6, 5, 4), "HWC")])
def test_images_decode_to_the_same_pixels_as_torch(tmp_path, shape, fmt):
    import torch
    img = np.random.default_rng(1).random(shape).astype(np.float32)
    with SummaryWriter(tmp_path / "ember") as w:
        w.add_image("img", ember.tensor(img), 2, dataformats=fmt)
    with _torch_writer(tmp_path / "torch") as tw:
        tw.add_image("img", torch.tensor(img), 2, dataformats=fmt)
    (e,) = _read(tmp_path / "ember").Images("img")
    (t,) = _read(tmp_path / "torch").Images("img")
    assert (e.step, e.width, e.height) == (t.step, t.width, t.height) == (2, 5, 6)
    np.testing.assert_array_equal(_png_pixels(e), _png_pixels(t))


def test_image_batches_make_a_grid_like_torch(tmp_path):
    import torch
    imgs = (np.random.default_rng(2).random((10, 3, 4, 6)) * 255).astype(np.uint8)
    with SummaryWriter(tmp_path / "ember") as w:
        w.add_images("batch", imgs, 0)
        w.add_images("nhwc", imgs.transpose(0, 2, 3, 1), 0, dataformats="NHWC")
    with _torch_writer(tmp_path / "torch") as tw:
        tw.add_images("batch", torch.tensor(imgs), 0)
    e_acc, t_acc = _read(tmp_path / "ember"), _read(tmp_path / "torch")
    (e,), (t,) = e_acc.Images("batch"), t_acc.Images("batch")
    assert (e.width, e.height) == (t.width, t.height) == (8 * 6, 2 * 4)
    np.testing.assert_array_equal(_png_pixels(e), _png_pixels(t))
    np.testing.assert_array_equal(_png_pixels(e_acc.Images("nhwc")[0]), _png_pixels(e))


def test_image_errors(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ValueError, match="3-d array"):
            w.add_image("img", np.zeros((2, 3)))
        with pytest.raises(ValueError, match="1, 3 or 4 channels"):
            w.add_image("img", np.zeros((2, 3, 3)))


def test_figure(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    fig = Figure(figsize=(2, 1), dpi=50)
    fig.add_subplot().plot([0, 1], [1, 0])
    with SummaryWriter(tmp_path) as w:
        w.add_figure("fig", fig, 3)
    (e,) = _read(tmp_path).Images("fig")
    assert (e.step, e.width, e.height) == (3, 100, 50)
    assert _png_pixels(e).shape == (50, 100, 4)


def test_text_matches_torch(tmp_path):
    with SummaryWriter(tmp_path / "ember") as w:
        w.add_text("notes", "**lr** = 0.01 é", 5)
    with _torch_writer(tmp_path / "torch") as tw:
        tw.add_text("notes", "**lr** = 0.01 é", 5)
    e_acc, t_acc = _read(tmp_path / "ember"), _read(tmp_path / "torch")
    (e,), (t,) = e_acc.Tensors("notes/text_summary"), t_acc.Tensors("notes/text_summary")
    assert e.step == 5 and e.tensor_proto == t.tensor_proto
    assert e.tensor_proto.string_val[0].decode() == "**lr** = 0.01 é"
    assert e_acc.PluginTagToContent("text") == t_acc.PluginTagToContent("text")


def test_hparams_read_back_by_the_hparams_plugin(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.01, "bsize": 64, "opt": "adam", "bn": True}, {"hparam/accuracy": 0.93},
                      hparam_domain_discrete={"opt": ["adam", "sgd"]}, run_name="trial1")
    acc = _read(tmp_path / "trial1")
    content = acc.PluginTagToContent(hp_metadata.PLUGIN_NAME)
    exp = hp_metadata.parse_experiment_plugin_data(content[hp_metadata.EXPERIMENT_TAG])
    assert [h.name for h in exp.hparam_infos] == ["lr", "bsize", "opt", "bn"]
    assert [v.string_value for v in exp.hparam_infos[2].domain_discrete.values] == ["adam", "sgd"]
    assert [m.name.tag for m in exp.metric_infos] == ["hparam/accuracy"]
    start = hp_metadata.parse_session_start_info_plugin_data(content[hp_metadata.SESSION_START_INFO_TAG])
    assert start.hparams["lr"].number_value == 0.01 and start.hparams["bsize"].number_value == 64
    assert start.hparams["opt"].string_value == "adam" and start.hparams["bn"].bool_value is True
    end = hp_metadata.parse_session_end_info_plugin_data(content[hp_metadata.SESSION_END_INFO_TAG])
    assert end.status == 1   # STATUS_SUCCESS
    assert acc.Scalars("hparam/accuracy")[0].value == pytest.approx(0.93)
    with pytest.raises(TypeError, match="must be dicts"):
        SummaryWriter(tmp_path).add_hparams([("lr", 1)], {})
    with pytest.raises(ValueError, match="hyperparameter 'f'"):
        SummaryWriter(tmp_path).add_hparams({"f": [1, 2]}, {})


class _Net(ember.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = ember.nn.Linear(4, 8)
        self.body = ember.nn.Sequential(ember.nn.ReLU(), ember.nn.Linear(8, 3))

    def forward(self, x):
        return self.body(self.fc1(x)).softmax(-1)


def test_graph_from_ember_autograd(tmp_path):
    model = _Net()
    with SummaryWriter(tmp_path) as w:
        w.add_graph(model, ember.randn(2, 4))
    graph = _read(tmp_path).Graph()
    nodes = {n.name: n for n in graph.node}
    assert "input/input.0" in nodes and "output/output.0" in nodes
    assert nodes["_Net/Linear[fc1]/weight"].op == "Parameter"
    assert nodes["_Net/Sequential[body]/Linear[1]/bias"].op == "Parameter"
    relu = [n for n in graph.node if n.name.startswith("_Net/Sequential[body]/ReLU[0]/")]
    assert len(relu) == 1
    fc1 = [n for n in graph.node if n.name.startswith("_Net/Linear[fc1]/") and n.op != "Parameter"]
    assert len(fc1) == 1 and "input/input.0" in fc1[0].input and "_Net/Linear[fc1]/weight" in fc1[0].input
    assert list(relu[0].input) == [fc1[0].name]
    softmax = nodes[nodes["output/output.0"].input[0]]
    assert softmax.name.startswith("_Net/") and "Softmax" in softmax.op       # made in _Net.forward itself
    names = [n.name for n in graph.node]
    for n in graph.node:                       # every input is defined before it is used
        assert all(names.index(i) < names.index(n.name) for i in n.input)
    assert model.fc1.weight.grad is None       # nothing was back-propagated
    with pytest.raises(ValueError, match="input_to_model"):
        SummaryWriter(tmp_path).add_graph(model)


def test_purge_step_flush_close_and_reopen(tmp_path):
    w = SummaryWriter(tmp_path, purge_step=3, filename_suffix=".x")
    w.add_scalar("a", 1.0, 3)
    w.flush()
    assert any(f.endswith(".x") for f in os.listdir(tmp_path))
    w.close()
    w.add_scalar("a", 2.0, 4)                  # logging after close opens a new event file
    w.close()
    assert [e.value for e in _read(tmp_path).Scalars("a")] == [1.0, 2.0]


def test_default_log_dir_and_comment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_lr0.1")
    w.close()
    assert w.log_dir.startswith("runs" + os.sep) and w.log_dir.endswith("_lr0.1")
    assert os.path.isdir(tmp_path / w.log_dir)


def test_missing_tensorboard_names_the_extra(tmp_path):
    code = ("import sys; sys.modules['tensorboard'] = None\n"
            "from ember.utils.tensorboard import SummaryWriter\n"
            "try:\n    SummaryWriter(sys.argv[1])\n"
            "except ImportError as e:\n    print(e)\n")
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "x")], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=120)
    assert "pip install 'ember[tensorboard]'" in out.stdout, out.stderr
    assert not os.path.exists(tmp_path / "x")


def test_torch_import_path_through_ember_run(tmp_path):
    script = tmp_path / "tb.py"
    script.write_text("import torch\nfrom torch.utils.tensorboard import SummaryWriter\n"
                      "import sys\nw = SummaryWriter(sys.argv[1])\nw.add_scalar('x', torch.tensor(1.5), 0)\nw.close()\n"
                      "print(type(w).__module__)\n")
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-m", "ember.cli.main", "run", str(script), str(tmp_path / "logs")],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ember.utils.tensorboard.writer"
    assert _read(tmp_path / "logs").Scalars("x")[0].value == 1.5


def test_ember_train_tensorboard(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "phone-price", "--epochs", "2", "--out", str(out), "--tensorboard"]) == 0
    assert "TensorBoard logs in" in capsys.readouterr().out
    acc = _read(out / "tensorboard")
    import json
    history = json.loads((out / "metrics.json").read_text())["epochs"]
    for tag, key in (("Loss/train", "train_loss"), ("Loss/test", "test_loss"), ("Accuracy/train", "train_accuracy"),
                     ("Accuracy/test", "test_accuracy"), ("LearningRate", "lr")):
        events = acc.Scalars(tag)
        assert [e.step for e in events] == [1, 2]
        np.testing.assert_allclose([e.value for e in events], [h[key] for h in history], rtol=1e-6)
    batches = acc.Scalars("Loss/train_batch")
    assert [e.step for e in batches] == list(range(len(batches))) and len(batches) % 2 == 0
    tags = acc.Tags()["histograms"]
    for name in ("layers.0.weight", "layers.0.bias", "layers.4.weight"):
        assert f"weights/{name}" in tags and f"grads/{name}" in tags
    assert acc.Histograms("weights/layers.0.weight")[0].histogram_value.num == 20 * 128
    assert "config/text_summary" in acc.Tags()["tensors"]
    # an explicit directory, and --resume with --tensorboard is allowed (not part of the recipe)
    assert main(["train", "phone-price", "--resume", str(out / "checkpoint"), "--epochs", "3",
                 "--tensorboard", str(tmp_path / "tb2")]) == 0
    assert [e.step for e in _read(tmp_path / "tb2").Scalars("Loss/train")] == [3]


def test_histogram_raw_and_unsupported_methods(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_histogram_raw("raw", min=0.0, max=3.0, num=6, sum=9.0, sum_squares=17.0,
                            bucket_limits=[1.0, 2.0, 3.0], bucket_counts=[1, 2, 3], global_step=2)
        with pytest.raises(ValueError, match="one right edge per bucket"):
            w.add_histogram_raw("raw", 0, 1, 1, 1, 1, [1.0], [1, 2])
        with pytest.raises(NotImplementedError, match="add_embedding"):
            w.add_embedding(ember.zeros(3, 2))
    (e,) = _read(tmp_path).Histograms("raw")
    assert e.step == 2 and list(e.histogram_value.bucket) == [1, 2, 3] and e.histogram_value.num == 6
