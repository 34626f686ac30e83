"""``ember.onnx.export``: trace a forward, translate each op, write and check the ONNX model."""
import contextlib
import enum
import inspect
import os
import sys

import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.grad_mode import no_grad
from ._registry import UnsupportedOperatorError
from ._trace import Trace

DEFAULT_OPSET = 20        # torch.onnx._constants.ONNX_DEFAULT_OPSET in PyTorch 2.13
MIN_OPSET = 18            # ReduceMean/ReduceMax with axes as an input, Split with num_outputs
MAX_OPSET = 20


class TrainingMode(enum.IntEnum):
    """``torch.onnx.TrainingMode``: export in eval mode (the only one ember writes)."""
    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


class OperatorExportTypes(enum.IntEnum):
    """``torch.onnx.OperatorExportTypes``: ember writes standard ONNX ops only."""
    ONNX = 0
    ONNX_ATEN = 1
    ONNX_ATEN_FALLBACK = 2
    ONNX_FALLTHROUGH = 3


class _State:
    exporting = False


def is_in_onnx_export():
    """True while ``ember.onnx.export`` runs the model's forward (as ``torch.onnx.is_in_onnx_export``).

    Example:
        >>> ember.onnx.is_in_onnx_export()
        False
    """
    return _State.exporting


@contextlib.contextmanager
def select_model_mode_for_export(model, mode):
    """Put ``model`` in eval (``TrainingMode.EVAL``) or train (``TRAINING``) mode for the ``with``
    block, then back (``PRESERVE``: unchanged), as ``torch.onnx.select_model_mode_for_export``.

    Example:
        >>> with ember.onnx.select_model_mode_for_export(model, ember.onnx.TrainingMode.EVAL):
        ...     assert not model.training
    """
    if not isinstance(mode, TrainingMode):
        raise TypeError(f"select_model_mode_for_export: mode must be a TrainingMode, received {mode!r}")
    was = model.training
    if mode != TrainingMode.PRESERVE:
        model.train(mode == TrainingMode.TRAINING)
    try:
        yield
    finally:
        model.train(was)


def _onnx():
    try:
        import onnx
    except ImportError as e:
        raise ImportError("ember.onnx.export needs the onnx package, which is not installed. "
                          "Install it with: pip install ember[onnx]") from e
    return onnx


def _refuse(name, value, allowed, why):
    if value not in allowed:
        raise NotImplementedError(f"ember.onnx.export: {name}={value!r} is not supported ({why})")


def _check_options(opts):
    _refuse("export_params", opts["export_params"], (True,),
            "ember always stores the parameters in the file as initializers")
    _refuse("keep_initializers_as_inputs", opts["keep_initializers_as_inputs"], (None, False),
            "parameters are initializers, not graph inputs")
    if opts["training"] not in (None, TrainingMode.EVAL, TrainingMode.PRESERVE) and \
            getattr(opts["training"], "name", None) not in ("EVAL", "PRESERVE"):
        raise NotImplementedError("ember.onnx.export: training=TrainingMode.TRAINING is not supported; ember "
                                  "exports inference graphs only (training=TrainingMode.EVAL, the default)")
    op_type = opts["operator_export_type"]
    if op_type is not None and getattr(op_type, "name", op_type) not in ("ONNX", 0):
        raise NotImplementedError(f"ember.onnx.export: operator_export_type={op_type!r} is not supported; "
                                  "ember writes standard ONNX operators only (OperatorExportTypes.ONNX)")
    if opts["custom_opsets"]:
        raise NotImplementedError("ember.onnx.export: custom_opsets is not supported (ember writes the "
                                  "default ONNX domain only)")
    if opts["export_modules_as_functions"]:
        raise NotImplementedError("ember.onnx.export: export_modules_as_functions is not supported; the "
                                  "graph is flat")
    _refuse("autograd_inlining", opts["autograd_inlining"], (True,),
            "custom autograd.Functions are always inlined: their ops are traced")
    if opts["dynamic_shapes"] is not None:
        raise NotImplementedError("ember.onnx.export: dynamic_shapes is not supported; give dynamic axes "
                                  "with dynamic_axes={'input': {0: 'batch'}}")
    if opts["custom_translation_table"]:
        raise NotImplementedError("ember.onnx.export: custom_translation_table is not supported")
    for name in ("report", "verify", "profile", "dump_exported_program"):
        _refuse(name, opts[name], (False, None), "it belongs to PyTorch's dynamo exporter's tooling")


def export(model, args=(), f=None, *, kwargs=None, verbose=None, input_names=None, output_names=None,
           opset_version=None, dynamo=True, external_data=True, dynamic_shapes=None,
           custom_translation_table=None, report=False, optimize=True, verify=False, profile=False,
           dump_exported_program=False, artifacts_dir=".", export_params=True,
           keep_initializers_as_inputs=False, dynamic_axes=None, training=TrainingMode.EVAL,
           operator_export_type=OperatorExportTypes.ONNX, do_constant_folding=True, custom_opsets=None,
           export_modules_as_functions=False, autograd_inlining=True):
    """Export ``model`` (a Module or a function) as an ONNX file, as ``torch.onnx.export``.

    The forward runs on ``args`` (a tuple, or one Tensor; a trailing dict and ``kwargs`` are
    keyword arguments) in eval mode while every ember op is recorded; each op is written as ONNX
    operators (default opset 20, PyTorch 2.13's default; 18 to 20) with the parameters as
    initializers, and the model is checked by ``onnx.checker``. ``f`` is a path or a binary file
    object. ``dynamic_axes`` (``{name: [axes]}`` or ``{name: {axis: "dim name"}}``) marks axes
    whose size may change: the forward is traced a second time at other sizes (and other input
    values, which also catches values that bypass the ops) to find the shapes that follow them.

    Options: ``do_constant_folding`` folds the ops that do not depend on the inputs into
    initializers; ``verbose`` prints the graph; ``external_data`` stores the weights beside a
    model over 2 GB; ``dynamo`` selects between PyTorch's two exporters, and ``optimize`` and
    ``artifacts_dir`` belong to its dynamo one: ember has one exporter (its own tracer), so these
    change nothing. ``export_params=False``, ``keep_initializers_as_inputs=True``,
    ``training=TrainingMode.TRAINING``, operator types other than ONNX, ``custom_opsets``,
    ``export_modules_as_functions``, ``autograd_inlining=False``, ``dynamic_shapes``,
    ``custom_translation_table``, ``report``, ``verify``, ``profile`` and
    ``dump_exported_program`` raise ``NotImplementedError``; an op without a translation raises
    ``ember.onnx.errors.UnsupportedOperatorError`` naming it and its module. Returns None.

    Example:
        >>> model = ember.nn.Sequential(ember.nn.Linear(4, 2), ember.nn.ReLU())
        >>> ember.onnx.export(model, (ember.randn(1, 4),), "model.onnx", input_names=["x"],
        ...                   output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    """
    onnx = _onnx()
    _check_options(dict(locals()))
    opset = DEFAULT_OPSET if opset_version is None else opset_version
    if not isinstance(opset, int) or not MIN_OPSET <= opset <= MAX_OPSET:
        raise ValueError(f"ember.onnx.export: opset_version must be an int from {MIN_OPSET} to {MAX_OPSET} "
                         f"(received {opset_version!r}); leave it unset for the default {DEFAULT_OPSET}")
    if f is None:
        raise TypeError("ember.onnx.export: f (the file path or a writable binary file object) is required")
    if getattr(training, "name", None) == "PRESERVE" and getattr(model, "training", False):
        raise NotImplementedError("ember.onnx.export: training=TrainingMode.PRESERVE on a model in training mode "
                                  "would export a training graph, which ember does not write; call model.eval() "
                                  "or use training=TrainingMode.EVAL (the default)")
    args, kwargs = _split_args(args, kwargs)
    proto = build_model(model, args, kwargs, input_names, output_names, dynamic_axes, opset,
                        do_constant_folding)
    if verbose:
        print(onnx.printer.to_text(proto.graph))
    _save(onnx, proto, f, external_data)
    return None


def _split_args(args, kwargs):
    if isinstance(args, Tensor):
        args = (args,)
    elif isinstance(args, list):
        args = tuple(args)
    elif not isinstance(args, tuple):
        raise TypeError(f"ember.onnx.export: args must be a tuple of the model's inputs (or one Tensor), "
                        f"received {type(args).__name__}")
    kwargs = dict(kwargs or {})
    if args and isinstance(args[-1], dict):          # PyTorch: a trailing dict holds keyword arguments
        kwargs.update(args[-1])
        args = args[:-1]
    return args, kwargs


def _save(onnx, proto, f, external_data):
    if isinstance(f, (str, os.PathLike)):
        large = proto.ByteSize() > 2 ** 31 - 1 if external_data else False
        onnx.save_model(proto, os.fspath(f), save_as_external_data=large)
    elif hasattr(f, "write"):
        f.write(proto.SerializeToString())
    else:
        raise TypeError(f"ember.onnx.export: f must be a path or a binary file object, received "
                        f"{type(f).__name__}")


# -- building the model ----------------------------------------------------------------------------
def _flatten(obj, out):
    if isinstance(obj, Tensor):
        out.append(obj)
    elif isinstance(obj, (tuple, list)):
        for o in obj:
            _flatten(o, out)
    elif isinstance(obj, dict):
        for o in obj.values():
            _flatten(o, out)
    return out


def _input_names(model, args, kwargs, n, given):
    """``given`` names first; then the forward's parameter names (a keyword's own name), with an
    index for tensors inside a list or tuple; ``input_i`` where there is no name."""
    given = list(given or [])
    if len(given) > n:
        raise ValueError(f"ember.onnx.export: {len(given)} input_names given but the model has {n} tensor "
                         f"inputs; give at most {n}")
    try:
        sig = inspect.signature(model.forward if hasattr(model, "forward") else model).parameters.values()
        params = [p.name for p in sig if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    names = []
    for i, a in enumerate(args):
        base = params[i] if i < len(params) else f"input_{i}"
        found = _flatten(a, [])
        names += [base] if isinstance(a, Tensor) else [f"{base}_{j}" for j in range(len(found))]
    for k, a in kwargs.items():
        found = _flatten(a, [])
        names += [k] if isinstance(a, Tensor) else [f"{k}_{j}" for j in range(len(found))]
    names = given + names[len(given):]
    if len(set(names)) != len(names):
        raise ValueError(f"ember.onnx.export: input names must be unique, got {names}; pass input_names")
    return names


def _output_names(n, given):
    given = list(given or [])
    if len(given) > n:
        raise ValueError(f"ember.onnx.export: {len(given)} output_names given but the model returns {n} "
                         f"tensors; give at most {n}")
    return given + [("output" if n == 1 else f"output_{i}") for i in range(len(given), n)]


def _axes(dynamic_axes, names_in, names_out):
    """{value name: {axis: dim name}} from PyTorch's two forms (a list of axes or a dict)."""
    out = {}
    for name, spec in (dynamic_axes or {}).items():
        if name not in names_in and name not in names_out:
            raise ValueError(f"ember.onnx.export: dynamic_axes names {name!r}, which is neither an input "
                             f"{names_in} nor an output {names_out}; use input_names/output_names")
        if isinstance(spec, dict):
            out[name] = {int(k): str(v) for k, v in spec.items()}
        else:
            out[name] = {int(k): f"{name}_dynamic_axes_{i + 1}" for i, k in enumerate(spec)}
    return out


def _variant(t, axes, grow):
    """The second trace's input: ``t`` longer by ``grow[size]`` along each dynamic axis (its first
    slice repeated), its values in reverse order and, for floats, changed (a tensor that follows the
    values without an op then shows). Dims of different sizes grow by different amounts, so a shape entry such as
    ``x.shape[1] + 1`` is matched to its dim; dims of one size grow alike (a batch shared by inputs)."""
    a = t._data
    for ax in axes:
        n = a.shape[ax]
        reps = np.resize(np.arange(n), grow[n]) if n else np.zeros(0, np.int64)
        a = np.concatenate([a, np.take(a, reps, axis=ax)], axis=ax) if n else a
    if a.size:                # the same values in another order (valid indices stay valid) ...
        a = a.reshape(-1)[::-1].reshape(a.shape)
    if a.dtype.kind == "f":   # ... and, for floats, other values
        a = a * a.dtype.type(0.75) + a.dtype.type(0.125)
    return _wrap(np.ascontiguousarray(a))


def _substitute(obj, swap):
    if isinstance(obj, Tensor):
        return swap.get(id(obj), obj)
    if isinstance(obj, tuple):
        return tuple(_substitute(o, swap) for o in obj)
    if isinstance(obj, list):
        return [_substitute(o, swap) for o in obj]
    if isinstance(obj, dict):
        return {k: _substitute(v, swap) for k, v in obj.items()}
    return obj


def _run(model, args, kwargs):
    trace = Trace(model)
    prev, _State.exporting = _State.exporting, True
    # Compiled callables in the model (``module.compile()``, ``ember.compile(fn)``) run eagerly while
    # a recording is in progress, so their ops are traced and nothing is recorded into their caches.
    recording = getattr(sys.modules.get("ember.compiler.api"), "_recording", None)
    counted = isinstance(recording, list) and len(recording) == 1 and isinstance(recording[0], int)
    if counted:
        recording[0] += 1
    try:
        with no_grad(), trace:
            result = model(*args, **kwargs)
    finally:
        _State.exporting = prev
        if counted:
            recording[0] -= 1
    return trace, result


def build_model(model, args, kwargs, input_names, output_names, dynamic_axes, opset, fold=True):
    """The ``onnx.ModelProto`` of ``model`` called on ``args``/``kwargs`` (checked by onnx.checker)."""
    onnx = _onnx()
    if "_orig_mod" in getattr(model, "__dict__", {}):      # ember.compile(module): export the module itself
        model = model.__dict__["_orig_mod"]
    was_training = getattr(model, "training", None)
    if was_training:
        model.eval()
    try:
        inputs = _flatten([args, kwargs], [])
        in_names = _input_names(model, args, kwargs, len(inputs), input_names)
        trace, result = _run(model, args, kwargs)
        outputs = _flatten(result, [])
        if not outputs:
            raise ValueError("ember.onnx.export: the model returned no tensor")
        out_names = _output_names(len(outputs), output_names)
        axes = _axes(dynamic_axes, in_names, out_names)
        # A second trace at other sizes (along the dynamic axes) and other values shows which
        # shapes follow the dynamic axes, and catches values that bypass the ops.
        sizes = sorted({t.shape[ax] for t, n in zip(inputs, in_names) for ax in axes.get(n, {})
                        if -t.dim() <= ax < t.dim()})
        grow = {size: k + 1 for k, size in enumerate(sizes)}
        swap = {id(t): _variant(t, [ax for ax in axes.get(n, {}) if -t.dim() <= ax < t.dim()], grow)
                for t, n in zip(inputs, in_names)}
        inputs2 = [swap[id(t)] for t in inputs]
        trace2, result2 = _run(model, _substitute(args, swap), _substitute(kwargs, swap))
        outputs2 = _flatten(result2, [])
        _same_program(trace, trace2)
    finally:
        if was_training:
            model.train()
    from ._build import Exporter       # needs onnx: imported only when exporting
    proto = Exporter(model, opset, fold).build(trace, trace2, inputs, inputs2, in_names, outputs, outputs2,
                                               out_names, axes)
    onnx.checker.check_model(proto)
    return proto


def _same_program(t1, t2):
    if len(t1.steps) != len(t2.steps) or any(a.cls is not b.cls for a, b in zip(t1.steps, t2.steps)):
        raise UnsupportedOperatorError("ember.onnx.export: the model runs different ops for inputs of other values or "
                                       "sizes (Python control flow on tensor values or shapes), so one graph cannot "
                                       "serve every input; export without dynamic_axes, or make the forward's ops "
                                       "independent of the input values")
