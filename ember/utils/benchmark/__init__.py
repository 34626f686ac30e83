"""``torch.utils.benchmark`` for ember: ``Timer`` (``timeit``, ``blocked_autorange``,
``adaptive_autorange``), ``Measurement`` and ``Compare``, at PyTorch's module paths
(``utils/timer.py``, ``utils/common.py``, ``utils/compare.py``).

Example:
    >>> import ember.utils.benchmark as benchmark
    >>> t = benchmark.Timer(stmt="x.relu()", globals={"x": ember.randn(1000)})
    >>> print(t.blocked_autorange(min_run_time=0.1))
"""
from .utils import common  # noqa: F401
from .utils.common import Measurement, TaskSpec, select_unit, trim_sigfig  # noqa: F401
from .utils.compare import Compare  # noqa: F401
from .utils.timer import Language, Timer  # noqa: F401

__all__ = ["Timer", "Measurement", "Compare", "Language"]
