"""ember.nn.functional: the functional form of every layer, activation and loss.

The math lives in ember.ops (one family per module); this namespace gathers it as in PyTorch.
"""
from ..ops.activation import *  # noqa: F401,F403
from ..ops.bilinear import *  # noqa: F401,F403
from ..ops.conv import *  # noqa: F401,F403
from ..ops.dropout import *  # noqa: F401,F403
from ..ops.embedding import *  # noqa: F401,F403
from ..ops.index import one_hot  # noqa: F401
from ..ops.linalg import linear  # noqa: F401
from ..ops.loss import *  # noqa: F401,F403
from ..ops.normalization import *  # noqa: F401,F403
from ..ops.padding import *  # noqa: F401,F403
from ..ops.pool import *  # noqa: F401,F403
from ..ops.elementwise import relu, sigmoid, tanh  # noqa: F401
