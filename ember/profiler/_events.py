"""The profiler's results as PyTorch presents them: ``FunctionEvent`` (one recorded range),
``FunctionEventAvg`` (ranges of one name averaged), and ``EventList`` with ``table()``,
``key_averages()`` and ``export_chrome_trace()``. Times are in microseconds.

Example:
    >>> print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
"""
import gzip
import json
import math
import os

US_IN_SECOND, US_IN_MS = 1e6, 1e3


def format_time(us):
    """PyTorch's time cell: ``1.234s``, ``1.234ms`` or ``1.234us``."""
    if us >= US_IN_SECOND:
        return f"{us / US_IN_SECOND:.3f}s"
    if us >= US_IN_MS:
        return f"{us / US_IN_MS:.3f}ms"
    return f"{us:.3f}us"


def format_share(us, total_us):
    if total_us == 0:
        return "NaN"
    return f"{us * 100.0 / total_us:.2f}%"


def format_memory(nbytes):
    """PyTorch's memory cell: ``1.50 Mb``-style with binary units (B, KB, MB, GB)."""
    for unit, size in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if abs(nbytes) >= size:
            return f"{nbytes * 1.0 / size:.2f} {unit}"
    return f"{nbytes} B"


class _Timed:
    """Shared derived fields (PyTorch's names; CPU only, so device times are 0)."""
    device_time_total = self_device_time_total = device_time = 0
    cuda_time_total = self_cuda_time_total = cuda_time = 0
    device_memory_usage = self_device_memory_usage = 0
    cuda_memory_usage = self_cuda_memory_usage = 0
    node_id = -1
    is_async = False
    is_remote = False
    is_legacy = False
    overload_name = ""
    use_device = None
    flops = 0

    @property
    def cpu_time(self):
        """Average total CPU time per call (us)."""
        return self.cpu_time_total / self.count if self.count else 0.0

    @property
    def cpu_time_str(self):
        return format_time(self.cpu_time)

    @property
    def cpu_time_total_str(self):
        return format_time(self.cpu_time_total)

    @property
    def self_cpu_time_total_str(self):
        return format_time(self.self_cpu_time_total)


class FunctionEvent(_Timed):
    """One recorded range: ``name``, ``time_range`` (us from the profiler's start), children."""
    count = 1

    def __init__(self, raw, origin_ns):
        self.id, self.thread, self.trace_name = raw.id, raw.thread, raw.name
        # as PyTorch: the steps are one name in summaries, numbered in the trace
        self.name = "ProfilerStep*" if raw.name.startswith("ProfilerStep#") else raw.name
        self.category = raw.category
        self.start_us = (raw.start - origin_ns) / 1e3
        self.end_us = (raw.end - origin_ns) / 1e3
        self.input_shapes = raw.shapes
        self.self_cpu_memory_usage = raw.memory
        self.cpu_children, self.cpu_parent = [], None
        self.stack, self.flops = list(raw.stack), raw.flops

    @property
    def key(self):
        return self.name

    @property
    def time_range(self):
        return (self.start_us, self.end_us)

    @property
    def cpu_time_total(self):
        return self.end_us - self.start_us

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def cpu_memory_usage(self):
        return self.self_cpu_memory_usage + sum(c.cpu_memory_usage for c in self.cpu_children)

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} device_type=DeviceType.CPU "
                f"cpu_time={format_time(self.cpu_time_total)} start_us={self.start_us:.2f} "
                f"end_us={self.end_us:.2f} cpu_children={[c.id for c in self.cpu_children]} "
                f"thread={self.thread} input_shapes={self.input_shapes} "
                f"cpu_memory_usage={self.cpu_memory_usage}>")


class FunctionEventAvg(_Timed):
    """The ranges that share a key (name, and input shapes when grouped by them), summed."""

    def __init__(self, key, input_shapes=None, stack=()):
        self.key, self.input_shapes = key, input_shapes
        self.count = self.flops = 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0
        self.cpu_memory_usage = self.self_cpu_memory_usage = 0
        self.stack = list(stack)
        self.cpu_parent = None

    def add(self, ev):
        self.count += 1
        self.flops += ev.flops
        self.cpu_time_total += ev.cpu_time_total
        self.self_cpu_time_total += ev.self_cpu_time_total
        self.cpu_memory_usage += ev.cpu_memory_usage
        self.self_cpu_memory_usage += ev.self_cpu_memory_usage
        return self

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={format_time(self.self_cpu_time_total)} "
                f"cpu_time={format_time(self.cpu_time)} input_shapes={self.input_shapes} "
                f"cpu_memory_usage={self.cpu_memory_usage}>")


class EventList(list):
    """A list of events with PyTorch's summaries."""

    def __init__(self, *args, profile_memory=False, trace_start_epoch_ns=0, with_flops=False, **kwargs):
        super().__init__(*args)
        self._profile_memory, self._with_flops = profile_memory, with_flops
        self._epoch_ns = trace_start_epoch_ns

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shapes=False, group_by_stack_n=0, group_by_overload_name=False):
        """One ``FunctionEventAvg`` per name (and per input shapes, per top ``group_by_stack_n`` stack
        entries, if asked), in order of first use."""
        groups = {}
        for ev in self:
            key = (ev.key, str(ev.input_shapes) if group_by_input_shapes else None,
                   tuple(ev.stack[:group_by_stack_n]) if group_by_stack_n > 0 else ())
            avg = groups.get(key)
            if avg is None:
                avg = groups[key] = FunctionEventAvg(ev.key, ev.input_shapes if group_by_input_shapes else None,
                                                     key[2])
            avg.add(ev)
        return EventList(groups.values(), profile_memory=self._profile_memory, with_flops=self._with_flops)

    def export_stacks(self, path, metric="self_cpu_time_total"):
        """Flame-graph lines: stack frames outermost first joined by ``;``, a space, the metric (us)."""
        metrics = ("self_cpu_time_total", "self_cuda_time_total", "self_device_time_total")
        if metric not in metrics:
            raise ValueError(f"metric should be one of: {list(metrics)}")
        clean = str.maketrans(" ;\t\n", "____")
        with open(path, "w") as f:
            for ev in self:
                value = int(getattr(ev, metric.replace("cuda", "device")))
                if ev.stack and value > 0:
                    f.write(";".join(e.translate(clean) for e in reversed(ev.stack)) + f" {value}\n")

    def total_average(self):
        total = FunctionEventAvg("Total")
        for ev in self:
            total.add(ev)
        return total

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False, time_unit=None):
        """The summary table PyTorch prints (same columns, widths and number formats)."""
        return build_table(self, sort_by, row_limit, max_name_column_width, max_shapes_column_width, header,
                           top_level_events_only, time_unit, self._profile_memory, self._with_flops,
                           max_src_column_width)

    def __str__(self):
        return self.table()

    def export_chrome_trace(self, path):
        """Write the ranges as Chrome trace JSON (``chrome://tracing``, Perfetto): complete events
        (``ph: "X"``) with ``ts``/``dur`` in microseconds."""
        events = [{"ph": "M", "name": "process_name", "ts": 0, "pid": os.getpid(), "tid": 0,
                   "args": {"name": "python"}}]
        for ev in self:
            events.append({"ph": "X", "cat": ev.category, "name": ev.trace_name, "pid": os.getpid(), "tid": ev.thread,
                           "ts": round(self._epoch_ns / 1e3 + ev.start_us, 3),
                           "dur": round(ev.cpu_time_total, 3),
                           "args": {"External id": ev.id, **({"Input Dims": ev.input_shapes}
                                                             if ev.input_shapes else {})}})
        doc = {"schemaVersion": 1, "deviceProperties": [], "displayTimeUnit": "ms",
               "baseTimeNanoseconds": 0, "traceEvents": events, "traceName": str(path)}
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "wt") as f:
            json.dump(doc, f)


def _sort_key(sort_by):
    attr = sort_by.replace("cuda", "device").replace("xpu", "device").replace("privateuse1", "device")

    def key(ev):
        if not hasattr(ev, attr):
            raise AttributeError(f"table(sort_by={sort_by!r}): no such column; use one of cpu_time_total, "
                                 "self_cpu_time_total, cpu_time, count, cpu_memory_usage, self_cpu_memory_usage")
        return getattr(ev, attr)
    return key


def _flops_unit(smallest):
    """(scale, header) showing FLOPs in the unit of the smallest positive count (PyTorch's rule)."""
    names = ["FLOPs", "KFLOPs", "MFLOPs", "GFLOPs", "TFLOPs", "PFLOPs"]
    level = max(0.0, min(math.log10(smallest) / 3, float(len(names) - 1)))
    return 10 ** (math.floor(level) * -3.0), names[int(level)]


def _trim_path(path, width):
    if len(path) > width:
        path = path[len(path) - width:]
        if len(path) > 3:
            path = "..." + path[3:]
    return path


def build_table(events, sort_by, row_limit, max_name_width, max_shapes_width, header, top_level_only,
                time_unit, profile_memory, with_flops=False, max_src_width=75):
    if len(events) == 0:
        return ""
    if sort_by is not None:
        events = sorted(events, key=_sort_key(sort_by), reverse=True)
    has_shapes = any(e.input_shapes for e in events)
    name_width = max(len(e.key) for e in events) + 4
    if max_name_width is not None:
        name_width = min(name_width, max_name_width)
    shapes_width = max(len(str(e.input_shapes)) for e in events) + 4
    if max_shapes_width is not None:
        shapes_width = min(shapes_width, max_shapes_width)
    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if profile_memory:
        headers += ["CPU Mem", "Self CPU Mem"]
    headers.append("# of Calls")
    widths = [name_width] + [12] * (len(headers) - 1)
    aligns = [">"] * len(widths)
    if has_shapes:
        headers.append("Input Shapes")
        widths.append(shapes_width)
        aligns.append(">")
    stacks = [e.stack for e in events if e.stack]
    if stacks:
        headers.append("Source Location")
        widths.append(min(max(len(x) for s in stacks for x in s) + 4, max_src_width or 10 ** 9))
        aligns.append("<")
    positive = [e.flops for e in events if e.flops > 0]
    if with_flops and positive:
        flops_scale, flops_header = _flops_unit(min(positive))
        headers.append(f"Total {flops_header}")
        widths.append(12)
        aligns.append(">")
    else:
        with_flops = False
    row_format = "".join("{: " + a + str(w) + "}  " for a, w in zip(aligns, widths))
    separator = "".join("-" * w + "  " for w in widths)
    line_length = sum(w + 2 for w in widths) - 2

    def unit(us):
        scale = {"s": US_IN_SECOND, "ms": US_IN_MS, "us": 1.0}.get(time_unit)
        return format_time(us) if scale is None else f"{us / scale:.3f}{time_unit}"

    total = sum(e.self_cpu_time_total for e in events)
    lines = []
    if header is not None:
        lines += ["=" * line_length, header]
    if top_level_only:
        lines += ["=" * line_length, "This report only display top-level ops statistics"]
    lines += [separator, row_format.format(*headers), separator]
    shown = 0
    for e in events:
        if shown == row_limit:
            break
        if top_level_only and e.cpu_parent is not None:
            continue
        shown += 1
        name = e.key
        if max_name_width is not None and len(name) >= max_name_width - 3:
            name = name[:max_name_width - 3] + "..."
        row = [name, format_share(e.self_cpu_time_total, total), unit(e.self_cpu_time_total),
               format_share(e.cpu_time_total, total), unit(e.cpu_time_total), unit(e.cpu_time)]
        if profile_memory:
            row += [format_memory(e.cpu_memory_usage), format_memory(e.self_cpu_memory_usage)]
        row.append(e.count)
        if has_shapes:
            row.append(str(e.input_shapes)[:shapes_width])
        if stacks:
            row.append(_trim_path(e.stack[0], widths[-1 - with_flops]) if e.stack else "")
        if with_flops:
            row.append("--" if e.flops <= 0 else f"{e.flops * flops_scale:8.3f}")
        lines.append(row_format.format(*row))
        if stacks and e.stack:
            blank = [""] * (len(headers) - 1 - with_flops)
            for entry in e.stack[1:]:
                lines.append(row_format.format(*blank, _trim_path(entry, widths[-1 - with_flops]),
                                               *([""] if with_flops else [])))
            lines.append(row_format.format(*([""] * len(headers))))
    lines += [separator, f"Self CPU time total: {unit(total)}"]
    return "\n".join(lines) + "\n"
