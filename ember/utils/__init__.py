"""ember.utils: data loading and helpers."""
from . import data  # noqa: F401
from . import viz  # noqa: F401
from . import diagnostics  # noqa: F401
from . import checkpoint  # noqa: F401,E402  (torch.utils.checkpoint)
