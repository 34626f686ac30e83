"""ember.backends.cuda: not built; the matmul precision flags are stored and, as in PyTorch without CUDA, do nothing.

``ember.backends.cuda.matmul.allow_tf32 = True`` is accepted (a bool, as PyTorch checks); it only
concerns CUDA matmuls, of which ember has none.
"""
from ._flags import FlagModule


def is_built():
    """False: ember is not built with CUDA (as a CPU-only PyTorch build)."""
    return False


class _Matmul(FlagModule):
    """CUDA matmul flags (stored; no effect: ember's matmuls run on the CPU in float32)."""
    _FLAGS = {
        "allow_tf32": (False, "set_allow_tf32_cublas"),
        "allow_fp16_reduced_precision_reduction": (True, None),
        "allow_bf16_reduced_precision_reduction": (True, None),
    }

    def __setattr__(self, name, value):
        if name == "allow_tf32" or name not in self._FLAGS:
            return super().__setattr__(name, value)
        object.__setattr__(self, name, _reduced_precision(name, value))


def _reduced_precision(name, value):
    """PyTorch's check: a bool, or (allow_reduced_precision, allow_splitk=True); stores the first."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{name} expects a bool or a tuple/list of bools, but got {type(value)}")
    if len(value) == 0:
        raise TypeError(f"{name} expects at least one boolean argument")
    allow, splitk = value[0], (value[1] if len(value) > 1 else True)
    if not isinstance(allow, bool):
        raise TypeError(f"{name} expects a bool for allow_reduced_precision, but got {type(allow)}")
    if not isinstance(splitk, bool):
        raise TypeError(f"{name} expects a bool for allow_splitk, but got {type(splitk)}")
    if allow and not splitk:
        raise RuntimeError("allow_splitk=False is not supported when reduced precision reductions are enabled")
    return allow


matmul = _Matmul()
