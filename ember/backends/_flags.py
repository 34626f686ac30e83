"""A bool flag stored on a module-like object, checked as PyTorch's backend setters check it."""


def check_bool(value, setter):
    """PyTorch's setters raise RuntimeError on a non-bool (``cudnn.benchmark = 'x'``)."""
    if not isinstance(value, bool):
        raise RuntimeError(f"{setter} expects a bool, but got {type(value).__name__}")
    return value


class FlagModule:
    """Attributes named in ``_FLAGS`` (name -> (default, PyTorch's setter name)); any other raises AttributeError."""
    _FLAGS = {}

    def __init__(self):
        for name, (default, _) in self._FLAGS.items():
            object.__setattr__(self, name, default)

    def __setattr__(self, name, value):
        if name not in self._FLAGS:
            raise AttributeError(f"Unknown attribute {name}")
        object.__setattr__(self, name, check_bool(value, self._FLAGS[name][1]))
