"""``torch.profiler`` for ember: ``profile``, ``record_function``, ``schedule``,
``ProfilerActivity``, ``tensorboard_trace_handler`` (see ``profiler.py``).

Example:
    >>> import ember
    >>> with ember.profiler.profile() as prof:
    ...     ember.ones(3).relu()
    >>> print(prof.key_averages().table(row_limit=5))
"""
from ._events import EventList, FunctionEvent, FunctionEventAvg  # noqa: F401
from .profiler import (ProfilerAction, ProfilerActivity, _KinetoProfile, profile, record_function,  # noqa: F401
                       schedule, supported_activities, tensorboard_trace_handler)

__all__ = ["profile", "record_function", "schedule", "ProfilerActivity", "ProfilerAction",
           "tensorboard_trace_handler", "supported_activities"]
