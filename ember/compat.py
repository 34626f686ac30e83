"""Run unmodified PyTorch programs on ember: ``torch`` and ``torchvision`` imports resolve to ember.

``install()`` adds an import hook: ``import torch`` gives ``ember``, ``torch.X.Y`` gives
``ember.X.Y`` and ``torchvision.X`` gives ``ember.vision.X`` — the *same* module objects, so a
class imported through either name is one class. A torch module ember does not provide fails at
import with ``ModuleNotFoundError`` saying so. ``run_script`` is ``ember run SCRIPT [ARGS...]``:
it runs a script as ``python SCRIPT`` would (``sys.argv``, ``__name__ == "__main__"``, imports of
the script's own modules, exit status, the script's own traceback). Once installed, reprs name
``torch`` (``torch.float32``, ``torch.Size([2, 3])``, ``torch.return_types.max``), as the
tutorial a script comes from printed them, and small float32 sums add in PyTorch's order
(``_torch_sum``), so their last digits are the tutorial's too.

Example (in a notebook):
    >>> import ember.compat
    >>> ember.compat.install()
    >>> import torch                     # ember
    >>> from torch.utils.data.dataloader import DataLoader
"""
import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys
import traceback

from . import _dtype, _torch_sum

# torch name prefix -> ember module name prefix (longest first)
_ALIASES = (("torchvision", "ember.vision"), ("torch", "ember"))
_ALIASES += (("functorch", "ember.functorch"),)   # torch.func's old name


def _target(fullname):
    for alias, real in _ALIASES:
        if fullname == alias or fullname.startswith(alias + "."):
            return real + fullname[len(alias):]
    return None


class _AliasLoader(importlib.abc.Loader):
    """Hands out the already-imported ember module itself (one module object per path)."""

    def __init__(self, target):
        self.target = target

    def create_module(self, spec):
        module = importlib.import_module(self.target)
        self._original_spec = getattr(module, "__spec__", None)
        return module

    def exec_module(self, module):
        # the import system has just set __spec__ to the alias's spec: give the module its own back
        if self._original_spec is not None:
            module.__spec__ = self._original_spec


class TorchAliasFinder(importlib.abc.MetaPathFinder):
    """``import torch...`` / ``import torchvision...`` -> ember's modules."""

    def find_spec(self, fullname, path=None, target=None):
        real = _target(fullname)
        if real is None:
            return None
        try:
            module = importlib.import_module(real)
        except ModuleNotFoundError as e:
            if e.name != real and not real.startswith(f"{e.name}."):
                raise               # a genuine missing dependency inside ember: report it as is
            raise ModuleNotFoundError(
                f"No module named '{fullname}': ember does not provide PyTorch's '{fullname}' yet "
                f"(it would be '{real}'). The README lists what ember implements.", name=fullname) from None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(real),
                                               is_package=hasattr(module, "__path__"))


def install():
    """Make ``torch`` and ``torchvision`` imports resolve to ember in this interpreter."""
    for name in [n for n in sys.modules if _target(n) is not None]:
        if getattr(sys.modules[name], "__name__", "").startswith(("torch", "torchvision")):
            raise RuntimeError(f"the real PyTorch module '{name}' is already imported in this interpreter; "
                               "call ember.compat.install() before anything imports torch")
    if not any(isinstance(f, TorchAliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, TorchAliasFinder())
    _dtype.DISPLAY_NAMESPACE = "torch"       # reprs read torch.float32, torch.Size([...]) as in the tutorial
    _torch_sum.ENABLED = True                # small float32 sums add in PyTorch's order: its printed digits


def is_installed():
    return any(isinstance(f, TorchAliasFinder) for f in sys.meta_path)


def run_script(path, args=()):
    """Run the PyTorch script ``path`` with ``args`` on ember, as ``python path args`` would.

    Returns the exit status: 0, the script's ``sys.exit`` code, or 1 after printing the
    traceback of an uncaught exception (starting at the script's own frame)."""
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        sys.stderr.write(f"ember run: can't open file '{path}': No such file\n")
        return 2
    install()
    saved_argv, saved_path = sys.argv[:], sys.path[:]
    sys.argv = [path, *args]
    sys.path.insert(0, os.path.dirname(path))
    try:
        runpy.run_path(path, run_name="__main__")
        return 0
    except SystemExit as e:
        if e.code is None:
            return 0
        if isinstance(e.code, int):
            return e.code
        sys.stderr.write(f"{e.code}\n")
        return 1
    except BaseException as e:  # noqa: B902 - report it as Python would, from the script's frame on
        tb = e.__traceback__
        while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != path:
            tb = tb.tb_next
        traceback.print_exception(type(e), e, tb if tb is not None else e.__traceback__)
        return 130 if isinstance(e, KeyboardInterrupt) else 1
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
