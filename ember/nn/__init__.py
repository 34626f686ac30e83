"""ember.nn: Modules, Parameter, functional, init, utils."""
from .modules import *  # noqa: F401,F403
from .parameter import *  # noqa: F401,F403
from . import functional, init, utils  # noqa: F401
from .parallel import DataParallel  # noqa: F401  (ember.nn.parallel)
