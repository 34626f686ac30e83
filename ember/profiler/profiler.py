"""``torch.profiler``'s ``profile``: record ember's ops, backward nodes, optimizer steps and
``record_function`` ranges, then summarise them (``key_averages().table()``) or export a Chrome
trace. CPU only; ember runs on NumPy, so ``ProfilerActivity.CUDA`` records nothing more.

Example:
    >>> from ember.profiler import profile, record_function, ProfilerActivity
    >>> with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
    ...     with record_function("model_inference"):
    ...         model(inputs)
    >>> print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
"""
import enum
import os
import socket
import time
import warnings

from . import _hooks
from ._events import EventList, FunctionEvent
from ._recorder import DROPPED, Recorder
from .record_function import record_function  # noqa: F401  (torch.profiler.record_function)


class ProfilerActivity(enum.Enum):
    """What to profile: ``CPU`` (ember's ops); ``CUDA``/``XPU``/``MTIA`` accepted, nothing to record."""
    CPU = 0
    CUDA = 2
    XPU = 3
    MTIA = 4

    def __repr__(self):
        return f"<ProfilerActivity.{self.name}: {self.value}>"


def supported_activities():
    return {ProfilerActivity.CPU}


class ProfilerAction(enum.Enum):
    """What the profiler does at a step (returned by a ``schedule``)."""
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """The step -> action function of ``profile(schedule=...)``: skip ``skip_first`` steps, then
    cycles of ``wait`` idle, ``warmup`` and ``active`` recorded steps (the last one saves), ``repeat``
    times (0: forever).

    Example:
        >>> s = schedule(wait=1, warmup=1, active=2)
        >>> [s(i).name for i in range(4)]
        ['NONE', 'WARMUP', 'RECORD', 'RECORD_AND_SAVE']
    """
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(f"Invalid profiler schedule arguments: wait={wait}, warmup={warmup}, "
                             f"active={active}, repeat={repeat}, skip_first={skip_first} (need active > 0 "
                             "and the others >= 0)")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results", stacklevel=2)

    def schedule_fn(step):
        if step < 0:
            raise AssertionError(f"Step should be non-negative, got {step}")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        cycle = wait + warmup + active
        if skip_first_wait:
            step += wait
        if repeat > 0 and step // cycle >= repeat:
            return ProfilerAction.NONE
        at = step % cycle
        if at < wait:
            return ProfilerAction.NONE
        if at < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if at < cycle - 1 else ProfilerAction.RECORD_AND_SAVE
    return schedule_fn


def _always_record(step):
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False):
    """An ``on_trace_ready`` that writes ``{worker_name}.{time_ns}.pt.trace.json`` into ``dir_name``
    (``worker_name`` defaults to ``hostname_pid``), PyTorch's naming. The file is a Chrome trace of
    the CPU ranges (TensorBoard's profiler plugin expects Kineto's fuller trace; see the README).

    Example:
        >>> with profile(on_trace_ready=tensorboard_trace_handler("./log")) as prof:
        ...     model(x)
    """
    def handler_fn(prof):
        nonlocal worker_name
        try:
            os.makedirs(dir_name, exist_ok=True)
        except OSError as e:
            raise RuntimeError("Can't create directory: " + str(dir_name)) from e
        if not worker_name:
            worker_name = f"{socket.gethostname()}_{os.getpid()}"
        name = f"{worker_name}.{time.time_ns()}.pt.trace.json" + (".gz" if use_gzip else "")
        prof.export_chrome_trace(os.path.join(dir_name, name))
    return handler_fn


class profile:
    """Profiler context manager (``torch.profiler.profile``); also ``start()``/``stop()``/``step()``.

    ``record_shapes``: keep each op's input shapes (``key_averages(group_by_input_shape=True)``);
    ``profile_memory``: bytes of each op's outputs (the CPU Mem columns); ``schedule``: a
    ``schedule(...)`` driven by ``step()``; ``on_trace_ready(prof)`` runs when a recorded cycle ends.
    ``with_stack``: each op's Python stack (``key_averages(group_by_stack_n=5)``, ``export_stacks``);
    ``with_flops``: FLOPs of products, convolutions, adds and multiplies (the "Total FLOPs" column);
    ``with_modules`` records nothing more (PyTorch uses it for TorchScript models only).

    Example:
        >>> with profile(activities=[ProfilerActivity.CPU]) as prof:
        ...     y = model(x)
        >>> print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
    """

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None, record_shapes=False,
                 profile_memory=False, with_stack=False, with_flops=False, with_modules=False,
                 experimental_config=None, execution_trace_observer=None, acc_events=False,
                 use_cuda=None, custom_trace_id_callback=None):
        activities = set(activities) if activities is not None else supported_activities()
        for a in activities:
            if not isinstance(a, ProfilerActivity):
                raise TypeError(f"profile(activities=...): expected ProfilerActivity values, got {a!r}")
        if use_cuda:
            activities.add(ProfilerActivity.CUDA)
        self.activities = activities
        self.record_shapes, self.profile_memory = record_shapes, profile_memory
        self.with_stack, self.with_flops, self.with_modules = with_stack, with_flops, with_modules
        self.acc_events = acc_events
        for name, value in (("experimental_config", experimental_config),
                            ("execution_trace_observer", execution_trace_observer),
                            ("custom_trace_id_callback", custom_trace_id_callback)):
            if value is not None:
                raise NotImplementedError(f"profile({name}=...): Kineto options; ember's profiler records CPU "
                                          "ranges only")
        self.schedule = schedule if schedule is not None else _always_record
        self.record_steps = schedule is not None
        self.on_trace_ready = on_trace_ready
        self.step_num = 0
        self.current_action = self.schedule(self.step_num)
        self._recorder = None          # the recording in progress, or the last one finished
        self._step_range = None
        self._events = None

    # -- context manager / start-stop ----------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        """Begin (the schedule's step 0 action)."""
        self._enter_action(self.current_action)
        if self.record_steps:
            self._open_step()

    def stop(self):
        """Stop recording; if a cycle was being recorded, hand it to ``on_trace_ready``."""
        self._close_step()
        if self._recording():
            self._stop_recording()
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)

    def step(self):
        """Mark the end of a training step: advance the schedule (start/stop/save as it says)."""
        self._close_step()
        prev = self.current_action
        self.step_num += 1
        self.current_action = self.schedule(self.step_num)
        if prev == ProfilerAction.RECORD_AND_SAVE or (
                prev == ProfilerAction.RECORD and self.current_action not in (ProfilerAction.RECORD,
                                                                               ProfilerAction.RECORD_AND_SAVE)):
            self._stop_recording()
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)
        if self.current_action in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE) and not self._recording():
            self._start_recording()
        if self.record_steps:
            self._open_step()

    # -- internals -----------------------------------------------------------------------------
    def _enter_action(self, action):
        if action in (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE):
            self._start_recording()

    def _recording(self):
        return self._recorder is not None and _hooks.is_attached() and self._attached

    _attached = False

    def _start_recording(self):
        if not (self.acc_events and self._recorder is not None):     # acc_events: one recording across cycles
            self._recorder = Recorder(self.record_shapes, self.profile_memory, self.with_stack, self.with_flops)
        self._events = None
        _hooks.attach(self._recorder)
        self._attached = True

    def _stop_recording(self):
        if self._attached:
            _hooks.detach()
            self._attached = False
            self._recorder.close_all()

    def _open_step(self):
        if self._recording():
            self._step_range = self._recorder.begin(f"ProfilerStep#{self.step_num}", category="user_annotation")

    def _close_step(self):
        if self._step_range is not None and self._recording():
            self._recorder.end(self._step_range)
        self._step_range = None

    # -- results -------------------------------------------------------------------------------
    def events(self):
        """Every recorded range as a ``FunctionEvent`` (``EventList``), in order of start."""
        if self._recorder is None:
            raise RuntimeError("profile.events(): nothing recorded yet; run code inside `with profile() as prof:` "
                               "(or between prof.start() and prof.stop()) first")
        if self._events is None or self._recording():
            rec = self._recorder
            made = {}
            for raw in rec.events:
                if raw.end is None or raw.category == DROPPED:
                    continue
                ev = made[raw.id] = FunctionEvent(raw, rec.start_ns)
                parent = raw.parent
                while parent is not None and parent.category == DROPPED:
                    parent = parent.parent
                if parent is not None and parent.id in made:
                    ev.cpu_parent = made[parent.id]
                    ev.cpu_parent.cpu_children.append(ev)
            self._events = EventList(made.values(), profile_memory=self.profile_memory,
                                     trace_start_epoch_ns=rec.start_epoch_ns, with_flops=self.with_flops)
        return self._events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        """The events grouped by name (and input shapes), as ``EventList`` of ``FunctionEventAvg``."""
        if group_by_input_shape and not self.record_shapes:
            raise AssertionError("key_averages(group_by_input_shape=True) needs profile(record_shapes=True)")
        return self.events().key_averages(group_by_input_shape, group_by_stack_n)

    def export_chrome_trace(self, path):
        """Write the recorded ranges as Chrome trace JSON (open in chrome://tracing or Perfetto)."""
        return self.events().export_chrome_trace(path)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        """Write each op's stack (``profile(with_stack=True)``) as flame-graph lines: the frames from
        the outermost, separated by ``;``, then the op's ``metric`` in whole microseconds."""
        if not self.with_stack:
            raise RuntimeError("export_stacks: no stacks were recorded; use profile(with_stack=True)")
        return self.events().export_stacks(path, metric)

    def add_metadata(self, key, value):
        pass

    def add_metadata_json(self, key, value):
        pass

    @property
    def self_cpu_time_total(self):
        return self.events().self_cpu_time_total


class _KinetoProfile(profile):
    """PyTorch's base class name, for ``isinstance`` checks."""
