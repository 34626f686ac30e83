"""``torch.optim.swa_utils``: weight averaging (SWA, EMA), its learning-rate schedule and BN refresh.

- ``AveragedModel(model)``: a deep copy whose parameters (and with ``use_buffers=True`` buffers)
  are a running average of ``model``'s, updated by ``update_parameters(model)``; the count is the
  buffer ``n_averaged``. Default: the equal-weight mean ``a + (p - a) / (n + 1)``;
  ``multi_avg_fn=get_ema_multi_avg_fn(decay)`` gives an exponential moving average.
- ``SWALR``: anneals each group's lr to ``swa_lr`` over ``anneal_epochs`` (cos or linear), then holds it.
- ``update_bn(loader, model)``: recomputes BatchNorm running statistics over the loader.
"""
import copy
import itertools
import math

from .. import _creation
from .._dtype import int64
from ..autograd.grad_mode import no_grad
from ..nn.modules.module import Module
from ..nn.modules.normalization import _BatchNorm
from .lr_scheduler._base import LRScheduler, _per_group

__all__ = ["AveragedModel", "SWALR", "update_bn", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn",
           "get_ema_avg_fn", "get_swa_avg_fn"]


def _floating(t):
    return t.dtype.is_floating_point or t.dtype.is_complex


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place EMA update of lists of tensors: ``ema <- lerp(ema, current, 1 - decay)``."""
    def ema_update(ema_param_list, current_param_list, _):
        with no_grad():
            if _floating(ema_param_list[0]):
                for p_ema, p_model in zip(ema_param_list, current_param_list):
                    p_ema.lerp_(p_model, 1 - decay)
            else:
                for p_ema, p_model in zip(ema_param_list, current_param_list):
                    p_ema.copy_(p_ema * decay + p_model * (1 - decay))
    return ema_update


def get_swa_multi_avg_fn():
    """An in-place equal-weight average of lists of tensors: ``a <- lerp(a, p, 1 / (n + 1))``."""
    def swa_update(averaged_param_list, current_param_list, num_averaged):
        with no_grad():
            if _floating(averaged_param_list[0]):
                for a, p in zip(averaged_param_list, current_param_list):
                    a.lerp_(p, 1 / (float(num_averaged) + 1))
            else:
                for a, p in zip(averaged_param_list, current_param_list):
                    a.copy_(a + (p - a) / (num_averaged + 1))
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """``ema_update(ema, current, n) = decay * ema + (1 - decay) * current``."""
    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """``swa_update(a, p, n) = a + (p - a) / (n + 1)``."""
    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


class AveragedModel(Module):
    """A running average of ``model``'s weights (SWA by default, EMA with ``get_ema_multi_avg_fn``).

    Example:
        >>> swa_model = ember.optim.swa_utils.AveragedModel(model)
        >>> for epoch in range(10):
        ...     train_one_epoch(model)
        ...     swa_model.update_parameters(model)
        >>> ember.optim.swa_utils.update_bn(loader, swa_model)
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", _creation.tensor(0, dtype=int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Fold ``model``'s current weights into the average (the first call copies them)."""
        if self.use_buffers:
            self_param = itertools.chain(self.module.parameters(), self.module.buffers())
            model_param = itertools.chain(model.parameters(), model.buffers())
        else:
            self_param, model_param = self.parameters(), model.parameters()
        averaged, current = [], []
        copy_param = int(self.n_averaged) == 0
        with no_grad():
            for p_averaged, p_model in zip(self_param, model_param):
                p_model_ = p_model.detach()
                averaged.append(p_averaged.detach())
                current.append(p_model_)
                if copy_param:
                    p_averaged.detach().copy_(p_model_)
            if int(self.n_averaged) > 0:
                if self.multi_avg_fn is not None or self.avg_fn is None:
                    groups = {}
                    for a, p in zip(averaged, current):
                        group = groups.setdefault(a.dtype, ([], []))
                        group[0].append(a)
                        group[1].append(p)
                    for self_params, model_params in groups.values():
                        if self.multi_avg_fn is not None:
                            self.multi_avg_fn(self_params, model_params, self.n_averaged)
                        else:   # PyTorch's CPU path: the per-tensor formula, not the fused lerp
                            avg_fn = get_swa_avg_fn()
                            for a, p in zip(self_params, model_params):
                                a.copy_(avg_fn(a, p, self.n_averaged))
                else:
                    for a, p in zip(averaged, current):
                        a.copy_(self.avg_fn(a, p, self.n_averaged))
            if not self.use_buffers:
                for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                    b_swa.detach().copy_(b_model.detach())
            self.n_averaged += 1


def update_bn(loader, model, device=None):
    """Recompute the BatchNorm running statistics of ``model`` with one pass over ``loader``
    (cumulative averages, ``momentum=None``); batches that are lists/tuples use their first item.

    Example:
        >>> ember.optim.swa_utils.update_bn(train_loader, swa_model)
    """
    with no_grad():
        momenta = {}
        for module in model.modules():
            if isinstance(module, _BatchNorm):
                module.reset_running_stats()
                momenta[module] = module.momentum
        if not momenta:
            return
        was_training = model.training
        model.train()
        for module in momenta:
            module.momentum = None
        for input in loader:
            if isinstance(input, (list, tuple)):
                input = input[0]
            if device is not None:
                input = input.to(device)
            model(input)
        for bn_module in momenta:
            bn_module.momentum = momenta[bn_module]
        model.train(was_training)


class SWALR(LRScheduler):
    """Anneal each param group's lr to ``swa_lr`` in ``anneal_epochs`` steps, then keep it there.

    Example:
        >>> swa_scheduler = ember.optim.swa_utils.SWALR(optimizer, swa_lr=0.05, anneal_epochs=5)
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        swa_lrs = _per_group("swa_lr", optimizer, swa_lr)
        for value, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = value
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        self._warn_if_outside_step()
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [group["swa_lr"] * alpha + lr * (1 - alpha) for group, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self):
        """Every attribute except the optimizer and the anneal function."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
