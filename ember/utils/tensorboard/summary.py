"""TensorBoard ``Summary`` protos for scalars, histograms, images, text and hyperparameters.

Each function turns ember tensors, NumPy arrays or Python numbers into the protocol buffer the
matching TensorBoard plugin reads (the proto classes come from the ``tensorboard`` package).
``SummaryWriter`` writes them into event files.

Example:
    >>> from ember.utils.tensorboard import summary
    >>> s = summary.scalar("loss", 0.25)         # a tensorboard.compat.proto.summary_pb2.Summary
"""
import io

import numpy as np

from ..._tensor import Tensor
from ._deps import require

__all__ = ["scalar", "histogram", "image", "text", "hparams", "to_numpy", "default_bins"]


def to_numpy(x, what="value"):
    """An ember Tensor, NumPy array, number or list as a NumPy array (no gradient tracking)."""
    if isinstance(x, Tensor):
        return np.asarray(x._data)
    if hasattr(x, "detach") and hasattr(x, "numpy"):      # a torch tensor handed over by user code
        return np.asarray(x.detach().cpu().numpy())
    try:
        return np.asarray(x)
    except (TypeError, ValueError):
        raise TypeError(f"{what}: expected a Tensor, a NumPy array or a number, got {type(x).__name__}") from None


def _pb(name):
    return require(f"tensorboard.compat.proto.{name}")


def scalar(tag, value, new_style=False, double_precision=False):
    """A ``Summary`` holding one number (``simple_value``; a scalar tensor with ``new_style=True``)."""
    arr = to_numpy(value, f"add_scalar({tag!r})")
    if arr.size != 1:
        raise ValueError(f"add_scalar({tag!r}): expected one number, got an array of shape {arr.shape}; "
                         "use add_scalars or add_histogram for several values")
    v = float(arr.reshape(()))
    summary_pb2 = _pb("summary_pb2")
    if not new_style:
        return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=v)])
    tensor_pb2, types_pb2, shape_pb2 = _pb("tensor_pb2"), _pb("types_pb2"), _pb("tensor_shape_pb2")
    tensor = (tensor_pb2.TensorProto(dtype=types_pb2.DT_DOUBLE, double_val=[v], tensor_shape=shape_pb2.TensorShapeProto())
              if double_precision else
              tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[v], tensor_shape=shape_pb2.TensorShapeProto()))
    meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, tensor=tensor, metadata=meta)])


def default_bins():
    """TensorFlow's default histogram edges: +-1e-12 growing by 10 % up to 1e20, and 0."""
    edges, v = [], 1e-12
    while v < 1e20:
        edges.append(v)
        v *= 1.1
    return [-e for e in reversed(edges)] + [0.0] + edges


def histogram(tag, values, bins="tensorflow", max_bins=None):
    """A ``Summary`` with a ``HistogramProto``: min, max, count, sum, sum of squares and buckets.

    ``bins`` is ``'tensorflow'`` (the default edges), an int, a sequence of edges or a NumPy
    method name (``'auto'``, ``'fd'``...); only buckets from the first to the last non-empty one
    are kept, plus one empty bucket on the left (TensorBoard stores right edges only).
    """
    arr = to_numpy(values, f"add_histogram({tag!r})").astype(np.float64).reshape(-1)
    if arr.size == 0:
        raise ValueError(f"add_histogram({tag!r}): the values are empty; a histogram needs at least one value")
    if not np.isfinite(arr).all():
        raise ValueError(f"add_histogram({tag!r}): the values contain NaN or infinity "
                         f"({int((~np.isfinite(arr)).sum())} of {arr.size}); a histogram needs finite values")
    counts, edges = np.histogram(arr, bins=default_bins() if isinstance(bins, str) and bins == "tensorflow" else bins)
    if max_bins is not None and len(counts) > max_bins:
        step = len(counts) // int(max_bins)          # merge groups of `step` buckets, as PyTorch
        pad = -len(counts) % step
        counts = np.pad(counts, (0, pad)).reshape(-1, step).sum(1)
        edges = np.append(edges[:-1:step], edges[-1])
    nz = np.flatnonzero(counts)
    first, last = int(nz[0]), int(nz[-1])
    if first > 0:
        counts, limits = counts[first - 1:last + 1], edges[first:last + 2]
    else:
        counts, limits = np.concatenate([[0], counts[:last + 1]]), edges[:last + 2]
    summary_pb2 = _pb("summary_pb2")
    histo = _pb("summary_pb2").HistogramProto(
        min=float(arr.min()), max=float(arr.max()), num=float(arr.size), sum=float(arr.sum()),
        sum_squares=float(arr.dot(arr)), bucket_limit=[float(x) for x in limits], bucket=[float(c) for c in counts])
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, histo=histo)])


def _to_hwc(arr, dataformats, what):
    """An image array in ``dataformats`` (e.g. 'CHW', 'HWC', 'HW', 'NCHW') as H x W x C (C = 1, 3, 4)."""
    fmt = dataformats.upper()
    if len(set(fmt)) != len(fmt) or not set(fmt) <= set("NCHW") or not {"H", "W"} <= set(fmt):
        raise ValueError(f"{what}: dataformats must be letters from N, C, H, W containing H and W, got {dataformats!r}")
    if arr.ndim != len(fmt):
        raise ValueError(f"{what}: dataformats={dataformats!r} needs a {len(fmt)}-d array, got shape {arr.shape}")
    if "C" not in fmt:                       # gray: a channel axis of 1
        arr, fmt = arr[..., None], fmt + "C"
    if "N" in fmt:                           # a batch: one grid image
        arr, fmt = _grid(np.transpose(arr, [fmt.index(ch) for ch in "NCHW"])), "CHW"
    hwc = np.transpose(arr, [fmt.index(ch) for ch in "HWC"])
    c = hwc.shape[2]
    if c == 1:
        hwc = np.repeat(hwc, 3, axis=2)
    elif c not in (3, 4):
        raise ValueError(f"{what}: images need 1, 3 or 4 channels, got {c} (shape {arr.shape}, "
                         f"dataformats={dataformats!r})")
    return hwc


def _grid(nchw, ncols=8):
    """A batch N x C x H x W laid out in rows of ``ncols`` images, as one C x H' x W' image."""
    n, c, h, w = nchw.shape
    if c == 1:
        nchw, c = np.repeat(nchw, 3, axis=1), 3
    cols = min(n, ncols)
    rows = -(-n // cols) if n else 1
    canvas = np.zeros((c, h * rows, w * cols), dtype=nchw.dtype)
    for i in range(n):
        r, k = divmod(i, cols)
        canvas[:, r * h:(r + 1) * h, k * w:(k + 1) * w] = nchw[i]
    return canvas


def image(tag, img, dataformats="CHW"):
    """A ``Summary`` with a PNG image (float values in [0, 1] are scaled to 0..255, uint8 kept)."""
    what = f"add_image({tag!r})"
    arr = to_numpy(img, what)
    hwc = _to_hwc(arr, dataformats, what)
    if hwc.dtype != np.uint8:
        hwc = np.clip(hwc.astype(np.float32) * np.float32(255), 0, 255).astype(np.uint8)   # truncated, as PyTorch
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"{what} encodes PNG images with Pillow, which is not installed; "
                          "pip install 'ember[tensorboard]' (or: pip install pillow)") from None
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(hwc), mode="RGBA" if hwc.shape[2] == 4 else "RGB").save(buf, format="PNG")
    summary_pb2 = _pb("summary_pb2")
    pic = summary_pb2.Summary.Image(height=hwc.shape[0], width=hwc.shape[1], colorspace=hwc.shape[2],
                                    encoded_image_string=buf.getvalue())
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, image=pic)])


def text(tag, text_string):
    """A ``Summary`` for the text plugin (tag ``<tag>/text_summary``, a one-element string tensor)."""
    if not isinstance(text_string, str):
        raise TypeError(f"add_text({tag!r}): expected a str, got {type(text_string).__name__}")
    summary_pb2, tensor_pb2 = _pb("summary_pb2"), _pb("tensor_pb2")
    types_pb2, shape_pb2 = _pb("types_pb2"), _pb("tensor_shape_pb2")
    text_data = require("tensorboard.plugins.text.plugin_data_pb2").TextPluginData(version=0)
    meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(
        plugin_name="text", content=text_data.SerializeToString()))
    tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, string_val=[text_string.encode("utf-8")],
                                    tensor_shape=shape_pb2.TensorShapeProto(dim=[shape_pb2.TensorShapeProto.Dim(size=1)]))
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag + "/text_summary", metadata=meta, tensor=tensor)])


def _hparam_value(name, v):
    if isinstance(v, Tensor) or isinstance(v, np.ndarray) or isinstance(v, np.generic):
        v = to_numpy(v).item()
    if isinstance(v, bool):
        return "bool_value", v, "DATA_TYPE_BOOL"
    if isinstance(v, (int, float)):
        return "number_value", float(v), "DATA_TYPE_FLOAT64"
    if isinstance(v, str):
        return "string_value", v, "DATA_TYPE_STRING"
    raise ValueError(f"add_hparams: hyperparameter {name!r} has a value of type {type(v).__name__}; "
                     "use an int, float, str, bool or a one-element Tensor")


def hparams(hparam_dict, metric_dict, hparam_domain_discrete=None):
    """The hparams plugin's three summaries: experiment, session start (the values), session end."""
    api_pb2 = require("tensorboard.plugins.hparams.api_pb2")
    plugin_pb2 = require("tensorboard.plugins.hparams.plugin_data_pb2")
    metadata = require("tensorboard.plugins.hparams.metadata")
    struct_pb2 = require("google.protobuf.struct_pb2")
    summary_pb2 = _pb("summary_pb2")
    hparam_domain_discrete = hparam_domain_discrete or {}
    if not isinstance(hparam_domain_discrete, dict) or any(
            k not in hparam_dict or not isinstance(v, (list, tuple)) for k, v in hparam_domain_discrete.items()):
        raise TypeError("add_hparams: hparam_domain_discrete must map names in hparam_dict to lists of values")
    infos, start = [], plugin_pb2.SessionStartInfo()
    for name, v in hparam_dict.items():
        field, value, dtype = _hparam_value(name, v)
        start.hparams[name].CopyFrom(struct_pb2.Value(**{field: value}))
        info = api_pb2.HParamInfo(name=name, type=api_pb2.DataType.Value(dtype))
        if name in hparam_domain_discrete:
            domain = [struct_pb2.Value(**{f: x}) for f, x, _ in
                      (_hparam_value(name, d) for d in hparam_domain_discrete[name])]
            info.domain_discrete.CopyFrom(struct_pb2.ListValue(values=domain))
        infos.append(info)
    experiment = api_pb2.Experiment(hparam_infos=infos, metric_infos=[
        api_pb2.MetricInfo(name=api_pb2.MetricName(tag=k)) for k in metric_dict])

    def one(tag, **data):
        content = plugin_pb2.HParamsPluginData(version=metadata.PLUGIN_DATA_VERSION, **data)
        return summary_pb2.Summary(value=[summary_pb2.Summary.Value(
            tag=tag, metadata=metadata.create_summary_metadata(content))])

    return (one(metadata.EXPERIMENT_TAG, experiment=experiment),
            one(metadata.SESSION_START_INFO_TAG, session_start_info=start),
            one(metadata.SESSION_END_INFO_TAG,
                session_end_info=plugin_pb2.SessionEndInfo(status=api_pb2.Status.Value("STATUS_SUCCESS"))))

