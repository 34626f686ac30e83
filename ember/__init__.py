"""ember: a deep-learning framework on NumPy with PyTorch's API.

Example:
    >>> import ember as torch
    >>> x = torch.tensor([1.0, 2.0], requires_grad=True)
    >>> (x ** 2).sum().backward()
    >>> x.grad
    tensor([2., 4.])
"""
import warnings as _warnings

from ._dtype import (bfloat16, bool_ as bool, double, dtype, float, float16, float32, float64,  # noqa: F401
                     get_default_dtype, half, int, int8, int16, int32, int64, long, set_default_dtype,
                     short, uint8)
from ._tensor import Size, Tensor, device  # noqa: F401
from ._tensor_str import set_printoptions  # noqa: F401
from ._creation import (arange, as_tensor, bernoulli, empty, empty_like, eye, from_numpy, full,  # noqa: F401
                        full_like, linspace, logspace, multinomial, normal, ones, ones_like, rand,
                        rand_like, randint, randint_like, randn, randn_like, randperm, tensor, zeros,
                        zeros_like)
from ._random import (Generator, default_generator, get_rng_state, initial_seed, manual_seed,  # noqa: F401
                      seed, set_rng_state)
from .autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled, no_grad,  # noqa: F401
                                 set_grad_enabled)
from .ops import *  # noqa: F401,F403
from .ops.index import one_hot  # noqa: F401
from . import autograd, ops  # noqa: F401
from . import linalg  # noqa: F401  (torch.linalg)
from . import special  # noqa: F401  (torch.special)
from .linalg import (cdist, det, diag_embed, dist, inverse, legacy_cholesky as cholesky, legacy_qr as qr,  # noqa: F401
                     legacy_svd as svd, logdet, pinverse, slogdet)
from .linalg import matrix_power  # noqa: F401  (torch.matrix_power)
from ._parallel import get_num_threads, set_num_threads  # noqa: F401
from . import _tensor_methods  # noqa: F401  (the one place that attaches methods to Tensor)
from .autograd import functional as _autograd_functional  # noqa: F401  (ember.autograd.functional)
from . import _fast

# NumPy's floating-point warnings ("overflow encountered in exp", ...) raised inside ember's ops:
# PyTorch returns inf/nan silently, and so does ember (the filter matches ember's own modules only).
_warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"ember(\.|$)")

if _fast.ENABLED:
    _fast.install()

__version__ = "0.1.0"

FloatTensor = DoubleTensor = LongTensor = Tensor


def is_tensor(obj):
    """True if ``obj`` is an ember Tensor."""
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()


def is_floating_point(input):
    return input.is_floating_point()


from . import accelerator, amp, backends, cuda, random  # noqa: E402,F401  (CPU-only answers: ember.cuda, ...)
from .amp import autocast  # noqa: E402,F401
from .backends._precision import get_float32_matmul_precision, set_float32_matmul_precision  # noqa: E402,F401

from . import nn, optim, utils  # noqa: E402,F401
from . import distributions  # noqa: E402,F401
from . import distributed  # noqa: E402,F401  (mpi4py is imported by init_process_group, not here)
from . import onnx  # noqa: E402,F401  (ember.onnx.export; the onnx package is imported only when exporting)
from . import jit  # noqa: E402,F401  (torch.jit: pass-throughs, ember runs eagerly)
from . import testing  # noqa: E402,F401  (torch.testing: assert_close, make_tensor)
from .serialization import load, save  # noqa: E402,F401
from .compiler import compile  # noqa: E402,F401  (ember.compile, as torch.compile)
from ._finfo import finfo, iinfo  # noqa: E402,F401
from ._global_flags import *  # noqa: E402,F401,F403  (use_deterministic_algorithms, set_default_device, typename, ...)
from ._legacy_types import (BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor, HalfTensor,  # noqa: E402,F401
                            IntTensor, LongTensor, ShortTensor)
from ._creation_extra import asarray, empty_strided, frombuffer, range, scalar_tensor  # noqa: E402,F401
from ._count_sampling import binomial, poisson  # noqa: E402,F401
from ._toplevel_aliases import *  # noqa: E402,F401,F403  (torch.dropout, torch.embedding, torch.abs_, ...)
from ._math_extra import *  # noqa: E402,F401,F403  (matrix_exp, gradient, histogram, the *_copy forms, ...)
from .ops.windowed_views import diagonal_scatter, select_scatter, slice_scatter  # noqa: E402,F401
from ._windows import bartlett_window, blackman_window, hamming_window, hann_window, kaiser_window  # noqa: E402,F401
from . import func  # noqa: E402,F401  (torch.func: grad, vmap, jacrev, functional_call, ...)
from .func import vmap  # noqa: E402,F401  (torch.vmap)
from . import profiler  # noqa: E402,F401  (torch.profiler: profile, record_function, schedule)
from .autograd import profiler as _autograd_profiler  # noqa: E402,F401  (torch.autograd.profiler)
