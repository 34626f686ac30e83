"""ember.optim: optimizers (SGD, Adam, ...) and learning-rate schedulers (``ember.optim.lr_scheduler``).

One optimizer per module (``sgd``, ``adam``, ...), each a subclass of ``optimizer.Optimizer``
(param groups, state_dict, hooks, zero_grad, the shared per-parameter loop). Below it:
``_state`` (state tensors), ``_update_math`` (in-place arithmetic the update rules share),
``_checks`` (argument checks, implementation flags) and ``_flat_state`` (flat buffers that let
Adam update a whole param group at once).

Example:
    >>> opt = ember.optim.Adam(model.parameters(), lr=1e-3)
    >>> sched = ember.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
"""
from .optimizer import Optimizer
from .sgd import SGD
from .adagrad import Adagrad
from .rmsprop import RMSprop
from .adam import Adam
from .adamw import AdamW
from .adadelta import Adadelta
from .adamax import Adamax
from .nadam import NAdam
from .radam import RAdam
from .rprop import Rprop
from .asgd import ASGD
from .lbfgs import LBFGS
from . import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW", "Adadelta", "Adamax", "NAdam", "RAdam",
           "lr_scheduler"]
__all__ += ["Rprop", "ASGD", "LBFGS"]
from . import swa_utils  # noqa: E402,F401  (torch.optim.swa_utils)
