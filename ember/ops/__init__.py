"""Differentiable primitives, one family per module."""
from . import activation, elementwise, index, linalg, reduce, shape  # noqa: F401
from .activation import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .index import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
