"""The optional ``tensorboard`` package: imported on first use, with an error naming the extra."""
import importlib

_INSTALL = "pip install 'ember[tensorboard]' (or: pip install tensorboard)"


def require(module="tensorboard"):
    """Import and return ``module`` (a tensorboard module); ImportError with the install command if missing.

    Example:
        >>> event_pb2 = require("tensorboard.compat.proto.event_pb2")
    """
    try:
        return importlib.import_module(module)
    except ImportError as e:
        if e.name is not None and not e.name.startswith(("tensorboard", "google")):
            raise
        raise ImportError(f"ember.utils.tensorboard needs the 'tensorboard' package, which is not installed "
                          f"({e.name} is missing); install it with: {_INSTALL}") from None
