"""``torch.autograd.profiler``: the older profiler API of many tutorials, on ``ember.profiler``.

``profile(enabled=True, use_cuda=False, record_shapes=False, profile_memory=False, ...)`` records
as ``torch.profiler.profile`` does (CPU only: ``use_cuda=True`` adds nothing), and
``record_function`` is the same class as ``torch.profiler.record_function``.

Example:
    >>> with ember.autograd.profiler.profile(use_cuda=False) as prof:
    ...     y = model(x)
    >>> print(prof.key_averages().table(sort_by="self_cpu_time_total"))
"""
from ..profiler import EventList, FunctionEvent, FunctionEventAvg, record_function  # noqa: F401
from ..profiler import profile as _profile

__all__ = ["profile", "record_function", "EventList", "FunctionEvent", "FunctionEventAvg"]


class profile(_profile):
    """``torch.autograd.profiler.profile``: records while active when ``enabled``.

    Example:
        >>> with profile(record_shapes=True) as prof:
        ...     y = x.relu()
        >>> prof.function_events[0].name
        'aten::relu'
    """

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False, with_flops=False,
                 profile_memory=False, with_stack=False, with_modules=False, use_kineto=False, use_cpu=True,
                 experimental_config=None, acc_events=False, custom_trace_id_callback=None):
        if use_device not in (None, "cpu"):
            raise NotImplementedError(f"profile(use_device={use_device!r}): ember runs on the CPU only")
        super().__init__(record_shapes=record_shapes, profile_memory=profile_memory, with_stack=with_stack,
                         with_flops=with_flops, with_modules=with_modules)
        self.enabled, self.use_cuda = enabled, use_cuda

    def __enter__(self):
        if not self.enabled:
            return None          # as PyTorch: `with profile(enabled=False) as prof` binds None
        self.start()
        return self

    def __exit__(self, *exc):
        if self.enabled:
            self.stop()
        return False

    @property
    def function_events(self):
        return self.events()

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False, time_unit=None):
        return self.events().table(sort_by, row_limit, max_src_column_width, max_name_column_width,
                                   max_shapes_column_width, header, top_level_events_only, time_unit)

    def total_average(self):
        return self.events().total_average()

    def __str__(self):
        return self.table()
