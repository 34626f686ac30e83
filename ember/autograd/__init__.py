"""Reverse-mode automatic differentiation: Function, backward, grad (to any order), grad modes,
gradcheck and gradgradcheck, autograd.functional."""
from . import grad_mode  # noqa: F401
from .function import Function, Op  # noqa: F401
from .anomaly_mode import detect_anomaly, is_anomaly_enabled, set_detect_anomaly  # noqa: F401
from .api import backward, grad  # noqa: F401
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: F401
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from .variable import Variable  # noqa: F401,E402  (PyTorch's pre-0.4 name; every Tensor is one)
