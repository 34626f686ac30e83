"""``SummaryWriter``: PyTorch's TensorBoard logger, writing event files with the tensorboard package.

Example:
    >>> from ember.utils.tensorboard import SummaryWriter
    >>> with SummaryWriter("runs/exp1") as w:
    ...     for step in range(100):
    ...         w.add_scalar("loss", 1.0 / (step + 1), step)
    $ tensorboard --logdir runs
"""
import os
import socket
import sys
import time
from datetime import datetime

import numpy as np

from . import summary as _summary
from ._deps import require
from .graph import build_graph

__all__ = ["SummaryWriter", "FileWriter"]


class FileWriter:
    """One event file in ``log_dir``: ``Summary`` protos and graphs become ``Event`` records.

    Example:
        >>> fw = FileWriter("runs/exp1")
        >>> fw.add_summary(summary.scalar("loss", 0.5), global_step=1)
        >>> fw.close()
    """

    def __init__(self, log_dir, max_queue=10, flush_secs=120, filename_suffix=""):
        efw = require("tensorboard.summary.writer.event_file_writer")
        self._event_pb2 = require("tensorboard.compat.proto.event_pb2")
        self.log_dir = str(log_dir)
        self.event_writer = efw.EventFileWriter(self.log_dir, max_queue, flush_secs, filename_suffix)

    def get_logdir(self):
        return self.log_dir

    def add_event(self, event, step=None, walltime=None):
        event.wall_time = time.time() if walltime is None else float(walltime)
        if step is not None:
            event.step = int(step)
        self.event_writer.add_event(event)

    def add_summary(self, summary, global_step=None, walltime=None):
        self.add_event(self._event_pb2.Event(summary=summary), global_step, walltime)

    def add_graph(self, graph_def, walltime=None):
        self.add_event(self._event_pb2.Event(graph_def=graph_def.SerializeToString()), None, walltime)

    def flush(self):
        self.event_writer.flush()

    def close(self):
        self.event_writer.close()


def _step(global_step, what):
    if global_step is None:
        return None
    if hasattr(global_step, "item"):
        global_step = global_step.item()
    if isinstance(global_step, float) and global_step.is_integer():
        global_step = int(global_step)
    if not isinstance(global_step, (int, np.integer)) or isinstance(global_step, bool):
        raise TypeError(f"{what}: global_step must be an int, got {global_step!r}")
    return int(global_step)


class SummaryWriter:
    """Writes scalars, histograms, images, text, hyperparameters and graphs for TensorBoard.

    PyTorch's ``torch.utils.tensorboard.SummaryWriter``: ``log_dir`` defaults to
    ``runs/<Mon DD_HH-MM-SS>_<hostname><comment>``; events are queued and written by the
    ``tensorboard`` package's event-file writer every ``flush_secs`` seconds, on ``flush()`` and on
    ``close()``. Needs ``pip install 'ember[tensorboard]'``.

    Example:
        >>> writer = SummaryWriter(comment="_lr0.01")
        >>> writer.add_scalar("Loss/train", 0.7, global_step=0)
        >>> writer.add_histogram("fc1.weight", model.fc1.weight, global_step=0)
        >>> writer.close()
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120, filename_suffix=""):
        require()                       # a clear error naming the extra before anything is created
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", stamp + "_" + socket.gethostname() + comment)
        self.log_dir = os.fspath(log_dir)
        self.purge_step = purge_step
        self.max_queue, self.flush_secs, self.filename_suffix = max_queue, flush_secs, filename_suffix
        self.file_writer = None
        self.all_writers = {}
        self._get_file_writer()

    def _get_file_writer(self):
        if self.file_writer is None:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs, self.filename_suffix)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:   # TensorBoard drops events at or after this step
                event_pb2 = require("tensorboard.compat.proto.event_pb2")
                self.file_writer.add_event(event_pb2.Event(
                    session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START)), step=self.purge_step)
                self.purge_step = None
        return self.file_writer

    def get_logdir(self):
        """The directory the event files go to."""
        return self.log_dir

    # ---- numbers ---------------------------------------------------------------------------
    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False, double_precision=False):
        """Log one number under ``tag`` at ``global_step``."""
        self._get_file_writer().add_summary(_summary.scalar(tag, scalar_value, new_style, double_precision),
                                            _step(global_step, f"add_scalar({tag!r})"), walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Log several numbers on one chart: each key gets its own run ``<log_dir>/<main_tag>_<key>``."""
        if not isinstance(tag_scalar_dict, dict):
            raise TypeError(f"add_scalars({main_tag!r}): tag_scalar_dict must be a dict, got {type(tag_scalar_dict).__name__}")
        walltime = time.time() if walltime is None else walltime
        step = _step(global_step, f"add_scalars({main_tag!r})")
        base = self._get_file_writer().get_logdir()
        for tag, value in tag_scalar_dict.items():
            path = os.path.join(base, main_tag.replace("/", "_") + "_" + tag)
            fw = self.all_writers.get(path)
            if fw is None:
                fw = self.all_writers[path] = FileWriter(path, self.max_queue, self.flush_secs, self.filename_suffix)
            fw.add_summary(_summary.scalar(main_tag, value), step, walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        """Log the distribution of ``values`` (any shape) as a histogram."""
        self._get_file_writer().add_summary(_summary.histogram(tag, values, bins, max_bins),
                                            _step(global_step, f"add_histogram({tag!r})"), walltime)

    def add_histogram_raw(self, tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts,
                          global_step=None, walltime=None):
        """Log a histogram already computed: its statistics and buckets (right edges and counts)."""
        limits, counts = list(_summary.to_numpy(bucket_limits).reshape(-1)), list(_summary.to_numpy(bucket_counts).reshape(-1))
        if len(limits) != len(counts):
            raise ValueError(f"add_histogram_raw({tag!r}): bucket_limits has {len(limits)} entries but bucket_counts "
                             f"has {len(counts)}; give one right edge per bucket")
        summary_pb2 = require("tensorboard.compat.proto.summary_pb2")
        histo = summary_pb2.HistogramProto(min=float(min), max=float(max), num=float(num), sum=float(sum),
                                           sum_squares=float(sum_squares), bucket_limit=[float(x) for x in limits],
                                           bucket=[float(c) for c in counts])
        self._get_file_writer().add_summary(summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, histo=histo)]),
                                            _step(global_step, f"add_histogram_raw({tag!r})"), walltime)

    # ---- pictures and text -----------------------------------------------------------------
    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """Log an image: float values in [0, 1] or uint8; ``dataformats`` 'CHW', 'HWC', 'HW', ..."""
        self._get_file_writer().add_summary(_summary.image(tag, img_tensor, dataformats),
                                            _step(global_step, f"add_image({tag!r})"), walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """Log a batch of images as one grid (8 per row)."""
        self._get_file_writer().add_summary(_summary.image(tag, img_tensor, dataformats),
                                            _step(global_step, f"add_images({tag!r})"), walltime)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        """Log a matplotlib figure (or a list of figures, as a batch) rendered to an image."""
        figures = figure if isinstance(figure, (list, tuple)) else [figure]
        images = np.stack([_render(f, close) for f in figures])
        if isinstance(figure, (list, tuple)):
            self.add_images(tag, images, global_step, walltime, dataformats="NHWC")
        else:
            self.add_image(tag, images[0], global_step, walltime, dataformats="HWC")

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """Log a string (Markdown) under ``<tag>/text_summary``."""
        self._get_file_writer().add_summary(_summary.text(tag, text_string),
                                            _step(global_step, f"add_text({tag!r})"), walltime)

    # ---- experiments and models ------------------------------------------------------------
    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None, global_step=None):
        """Log one trial's hyperparameters and final metrics (a run ``<log_dir>/<run_name>``)."""
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("add_hparams: hparam_dict and metric_dict must be dicts, got "
                            f"{type(hparam_dict).__name__} and {type(metric_dict).__name__}")
        exp, ssi, sei = _summary.hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        logdir = os.path.join(self._get_file_writer().get_logdir(), run_name or str(time.time()))
        step = _step(global_step, "add_hparams")
        with SummaryWriter(log_dir=logdir) as w:
            for s in (exp, ssi, sei):
                w.file_writer.add_summary(s, step)
            for k, v in metric_dict.items():
                w.add_scalar(k, v, step)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """Log the model's graph, recorded by running ``model(input_to_model)`` once with autograd."""
        graph_def, _ = build_graph(model, input_to_model)
        if verbose:
            print(graph_def)
        self._get_file_writer().add_graph(graph_def)

    # ---- lifecycle -------------------------------------------------------------------------
    def flush(self):
        """Write everything queued to disk."""
        for fw in self.all_writers.values():
            fw.flush()

    def close(self):
        """Flush and close every event file (the writer can be reopened by logging again)."""
        for fw in self.all_writers.values():
            fw.flush()
            fw.close()
        self.file_writer = None
        self.all_writers = {}

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()


def _not_implemented(name):
    def method(self, *args, **kwargs):
        raise NotImplementedError(f"SummaryWriter.{name} is not implemented in ember yet; supported: add_scalar(s), "
                                  "add_histogram(_raw), add_image(s), add_figure, add_text, add_hparams, add_graph")
    method.__name__ = name
    method.__doc__ = f"PyTorch's ``{name}``: not implemented in ember (raises NotImplementedError)."
    return method


for _name in ("add_audio", "add_video", "add_embedding", "add_pr_curve", "add_pr_curve_raw", "add_mesh",
              "add_custom_scalars", "add_custom_scalars_multilinechart", "add_custom_scalars_marginchart",
              "add_image_with_boxes", "add_onnx_graph"):
    setattr(SummaryWriter, _name, _not_implemented(_name))
del _name


def _render(figure, close):
    """A matplotlib figure as an H x W x 4 uint8 array."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
    except ImportError:
        raise ImportError("add_figure needs matplotlib: pip install 'ember[plot]'") from None
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba()).copy()
    if close and "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close(figure)
    return rgba
