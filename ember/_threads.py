"""Moved to ``ember._parallel``; this name stays only for ``ember/cli/main.py``'s import of
``blas_threads`` (delete this file once that import reads ``from .._parallel import ...``)."""
from ._parallel import blas_threads, get_num_threads, set_num_threads  # noqa: F401
