"""L-BFGS: a quasi-Newton method that builds its search direction from the last ``history_size``
steps and gradient changes, with an optional strong-Wolfe line search.

All parameters are handled as one flat vector (``x``, gradient ``g``). One ``step(closure)`` runs
up to ``max_iter`` iterations:

- direction: ``d = -H g`` by the two-loop recursion over the stored pairs
  ``(s_i, y_i) = (x_{i+1} - x_i, g_{i+1} - g_i)`` (kept only when ``y·s > 1e-10``), with the
  initial inverse Hessian ``H_0 = (y·s) / (y·y)`` of the newest pair; ``d = -g`` on the very first;
- step length: ``t = lr`` (``min(1, 1 / |g|_1) * lr`` on the very first iteration), or the
  strong-Wolfe line search (cubic interpolation, c1 = 1e-4, c2 = 0.9) when
  ``line_search_fn='strong_wolfe'``;
- stop on ``max_iter``, ``max_eval`` closure calls, ``max|g| <= tolerance_grad``,
  ``max|t d| <= tolerance_change``, a loss change below ``tolerance_change``, or a direction that
  no longer descends (``g·d > -tolerance_change``).

The scalars stay in the parameters' dtype (NumPy scalars, as PyTorch's 0-d tensors), so the
iterates are PyTorch's to round-off.
"""
import numpy as np

from .._tensor import Tensor, _wrap
from ..autograd.grad_mode import enable_grad
from ._update_math import add_scaled_
from .optimizer import Optimizer

__all__ = ["LBFGS"]


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimiser of the cubic through (x1, f1, f'=g1) and (x2, f2, f'=g2), clamped to ``bounds``
    (default: between x1 and x2); the bounds' midpoint when the cubic has no minimum."""
    lo, hi = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_sq = d1 ** 2 - g1 * g2
    if d2_sq < 0:
        return (lo + hi) / 2.0
    d2 = np.sqrt(d2_sq)
    if x1 <= x2:
        pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(pos, lo), hi)


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Step length along ``d`` satisfying the strong Wolfe conditions (Nocedal & Wright, alg. 3.5/3.6):
    a bracketing phase that grows t by cubic extrapolation, then a zoom phase that shrinks the
    bracket by cubic interpolation (kept 10% away from its ends). Returns (f, g, t, evaluations)."""
    d_norm = np.abs(d).max()
    g = g.copy()
    f_new, g_new = evaluate(t)
    n_evals = 1
    gtd_new = g_new.dot(d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    bracket = bracket_f = bracket_g = bracket_gtd = None
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f, bracket_g, bracket_gtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new.copy()], \
                [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f, bracket_g, bracket_gtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new.copy()], \
                [gtd_prev, gtd_new]
            break
        t_next = _cubic_minimum(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new.copy(), gtd_new
        t = t_next
        f_new, g_new = evaluate(t)
        n_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # zoom: shrink the bracket until the step satisfies the conditions
    insufficient = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        # keep t away from the bracket's ends (at least 10% of its width), unless that is
        # the second time in a row
        top, bottom = max(bracket), min(bracket)
        eps = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < eps:
            if insufficient or t >= top or t <= bottom:
                t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
                insufficient = False
            else:
                insufficient = True
        else:
            insufficient = False
        f_new, g_new = evaluate(t)
        n_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low]:
            bracket[high], bracket_f[high], bracket_g[high], bracket_gtd[high] = t, f_new, g_new.copy(), gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low], bracket_g[low], bracket_gtd[low] = t, f_new, g_new.copy(), gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], n_evals


def _arr(v):
    return v._data if isinstance(v, Tensor) else v


def _scalar(v):
    """A state scalar (0-d Tensor or number) as a NumPy scalar / Python number."""
    return v._data[()] if isinstance(v, Tensor) else v


def _keep(v):
    """A NumPy scalar or array as the Tensor PyTorch keeps in its state."""
    return _wrap(np.asarray(v)) if isinstance(v, (np.ndarray, np.generic)) else v


class LBFGS(Optimizer):
    """L-BFGS (PyTorch's algorithm, after minFunc): call ``step(closure)``, where ``closure``
    zeroes the gradients, computes the loss, calls ``backward()`` and returns the loss.

    Only one parameter group. State (under the first parameter, PyTorch's names): ``func_evals``,
    ``n_iter``, ``d``, ``t``, ``old_dirs``, ``old_stps``, ``ro``, ``H_diag``, ``al``,
    ``prev_flat_grad``, ``prev_loss``; it survives ``state_dict()`` / ``load_state_dict()``.

    Example:
        >>> opt = ember.optim.LBFGS(model.parameters(), lr=1, line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = loss_fn(model(x), y)
        ...     loss.backward()
        ...     return loss
        >>> opt.step(closure)
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}")
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _on_load(self):
        super()._on_load()
        self._params = self.param_groups[0]["params"]

    # -- the parameters as one flat vector ------------------------------------------------------
    def _flat_grad(self):
        return np.concatenate([p.grad._data.reshape(-1) if p.grad is not None else np.zeros(p._data.size, p._data.dtype)
                               for p in self._params])

    def _add(self, t, d):
        """x += t * d, parameter by parameter."""
        offset = 0
        for p in self._params:
            n = p._data.size
            add_scaled_(p._data, d[offset:offset + n].reshape(p._data.shape), t)
            p._vc[0] += 1
            offset += n

    def _set(self, xs):
        for p, x in zip(self._params, xs):
            np.copyto(p._data, x)
            p._vc[0] += 1

    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations; returns the loss ``closure()`` gave at the start."""
        if closure is None:
            raise RuntimeError("LBFGS.step() needs a closure that re-evaluates the model and returns the loss "
                               "(see the class docstring)")
        group = self.param_groups[0]
        lr = group["lr"]
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        line_search, history_size = group["line_search_fn"], group["history_size"]

        def evaluate():
            with enable_grad():
                return closure()

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = evaluate()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        g = self._flat_grad()
        if np.abs(g).max() <= tol_grad:
            return orig_loss

        d, t = _arr(state.get("d")), _scalar(state.get("t"))
        old_dirs = [_arr(v) for v in state.get("old_dirs") or []]
        old_stps = [_arr(v) for v in state.get("old_stps") or []]
        ro = [_scalar(v) for v in state.get("ro") or []]
        H_diag = _scalar(state.get("H_diag"))
        prev_g = _arr(state.get("prev_flat_grad"))
        prev_loss = state.get("prev_loss")
        al = [_scalar(v) for v in state["al"]] if "al" in state else None

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -g
                old_dirs, old_stps, ro, H_diag = [], [], [], 1
            else:
                y = g - prev_g
                s = d * np.asarray(t, d.dtype)
                ys = y.dot(s)
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)
                if al is None:
                    al = [None] * history_size
                # two-loop recursion: d = -H g
                q = -g
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    add_scaled_(q, old_dirs[i], -al[i])
                d = r = q * np.asarray(H_diag, q.dtype)
                for i in range(len(old_dirs)):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    add_scaled_(r, old_stps[i], al[i] - be_i)
            prev_g = g.copy()
            prev_loss = loss
            t = min(1.0, 1.0 / np.abs(g).sum()) * lr if state["n_iter"] == 1 else lr
            gtd = g.dot(d)
            if gtd > -tol_change:
                break

            ls_evals = 0
            if line_search is not None:
                x0 = [p._data.copy() for p in self._params]

                def along(step):
                    self._add(step, d)
                    f_new = float(evaluate())
                    g_new = self._flat_grad()
                    self._set(x0)
                    return f_new, g_new
                loss, g, t, ls_evals = _strong_wolfe(along, t, d, loss, g, gtd, max_ls=max_eval - current_evals)
                self._add(t, d)
                opt_cond = np.abs(g).max() <= tol_grad
            else:
                self._add(t, d)
                opt_cond = False
                if n_iter != max_iter:
                    loss = float(evaluate())
                    g = self._flat_grad()
                    opt_cond = np.abs(g).max() <= tol_grad
                    ls_evals = 1
            current_evals += ls_evals
            state["func_evals"] += ls_evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.abs(d * np.asarray(t, d.dtype)).max() <= tol_change:
                break
            if abs(loss - prev_loss) < tol_change:
                break

        state["d"] = _keep(d)
        state["t"] = _keep(t)
        state["old_dirs"] = [_keep(v) for v in old_dirs]
        state["old_stps"] = [_keep(v) for v in old_stps]
        state["ro"] = [_keep(v) for v in ro]
        state["H_diag"] = _keep(H_diag)
        state["prev_flat_grad"] = _keep(prev_g)
        state["prev_loss"] = prev_loss
        if al is not None:
            state["al"] = [_keep(v) for v in al]
        return orig_loss
